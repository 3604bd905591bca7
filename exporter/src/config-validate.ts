/**
 * Validation of the configuration's shape against CONFIG_SCHEMA with ajv, and
 * the problems it finds in nfscope's own words: every ajv error becomes a
 * ConfigProblem at the path of the value (`nfs[2].addresses[0]`), with the
 * message the schema's annotations make (config-schema.ts). Also the helpers
 * the domain checks (config-domain.ts) report with, and the order problems
 * are reported in.
 */
import Ajv, { type ErrorObject } from 'ajv';
import { CONFIG_SCHEMA, type SchemaNode } from './config-schema';

/** Where a value is: keys of mappings and indices of lists, from the top. */
export type At = (string | number)[];

export interface Problem {
  at: At;
  message: string;
  /** Report it after every problem at or under this path (for checks across entries) rather than by `at`. */
  after?: At;
}

/** The path as messages name it: `nfs[2].addresses[0]`, `["my key"]`; "" for the document. */
export function formatPath(at: At): string {
  let path = '';
  for (const part of at) {
    if (typeof part === 'number') path += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) path += path === '' ? part : `.${part}`;
    else path += `[${JSON.stringify(part)}]`;
  }
  return path;
}

/** A value as it appears in messages: JSON, shortened if long. */
export function show(value: unknown): string {
  if (typeof value === 'number') return String(value); // JSON would print NaN and Infinity as null
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The entry of `candidates` within edit distance 2 of `word`, the closest first. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** Levenshtein distance, counting a swap of adjacent characters as one edit ("nsf" -> "nfs"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

// ---------------------------------------------------------------------------
// The schema's nodes

/** The schema of the key `key` of a mapping described by `node`. */
export function childOf(node: SchemaNode | undefined, key: string): SchemaNode | undefined {
  return node?.properties !== undefined && Object.hasOwn(node.properties, key) ? node.properties[key] : undefined;
}

/** The schema node that describes the value at `at`, if the schema has one. */
export function schemaAt(at: At, root: SchemaNode = CONFIG_SCHEMA): SchemaNode | undefined {
  let node: SchemaNode | undefined = root;
  for (const part of at) {
    node = typeof part === 'number' ? node?.items : childOf(node, part);
    if (node === undefined) return undefined;
  }
  return node;
}

/** What a value should be, as in "(expected ...)". */
export function expected(node: SchemaNode): string {
  if (node['x-expected'] !== undefined) return node['x-expected'];
  if (node.properties !== undefined) return `a mapping with the keys ${Object.keys(node.properties).join(', ')}`;
  return 'a value';
}

/**
 * Optional keys given an empty value (`peers:` with everything below it
 * commented out) parse as null and are treated as absent: this drops every
 * null-valued key the schema knows, so that a required one is missing and an
 * optional one takes its default. Unknown keys stay, to be reported.
 */
export function dropNulls(value: unknown, node: SchemaNode | undefined = CONFIG_SCHEMA): unknown {
  if (node === undefined) return value;
  if (Array.isArray(value)) return value.map((item) => dropNulls(item, node.items));
  if (!isMapping(value) || node.properties === undefined) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const child = childOf(node, key);
    if (v === null && child !== undefined) continue;
    out[key] = dropNulls(v, child);
  }
  return out;
}

// ---------------------------------------------------------------------------
// ajv

const ANNOTATIONS = ['x-expected', 'x-missing', 'x-messages', 'x-unit', 'x-check-order'];

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
ajv.addVocabulary(ANNOTATIONS);
const validate = ajv.compile(CONFIG_SCHEMA);

/** JSON pointer (`/nfs/0/name`) to keys and indices, reading `data` to tell one from the other. */
function pointerToAt(pointer: string, data: unknown): At {
  const at: At = [];
  let value = data;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      at.push(Number(key));
      value = value[Number(key)];
    } else {
      at.push(key);
      value = isMapping(value) ? value[key] : undefined;
    }
  }
  return at;
}

function template(text: string, node: SchemaNode, value: unknown): string {
  return text
    .replace('{value}', show(value))
    .replace('{count}', String(Array.isArray(value) ? value.length : 0))
    .replace('{enumHint}', () => {
      const spelling = typeof value === 'string' ? node.enum?.find((e) => String(e).toLowerCase() === value.toLowerCase()) : undefined;
      return spelling === undefined ? ` (expected one of: ${(node.enum ?? []).join(', ')})` : `; did you mean ${JSON.stringify(spelling)}?`;
    });
}

const TYPE_NAMES: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string' };

/** One ajv error in nfscope's words; `at` is where the value is (the key, for missing and unknown keys). */
function describe(error: ErrorObject, data: unknown): Problem & { keyword: string } {
  const at = pointerToAt(error.instancePath, data);
  const node = error.parentSchema as SchemaNode;
  const value = error.data;
  const { keyword } = error;
  const custom = node['x-messages']?.[keyword as 'type'] ?? node['x-messages']?.default;
  if (keyword === 'required') {
    const key = (error.params as { missingProperty: string }).missingProperty;
    const child = node.properties?.[key] ?? {};
    return { at: [...at, key], keyword, message: `is missing (expected ${child['x-missing'] ?? expected(child)})` };
  }
  if (keyword === 'additionalProperties') {
    const key = (error.params as { additionalProperty: string }).additionalProperty;
    const allowed = Object.keys(node.properties ?? {});
    const near = closest(key, allowed);
    return {
      at: [...at, key],
      keyword,
      message: `unknown key ${JSON.stringify(key)} (expected one of: ${allowed.join(', ')})` + (near === undefined ? '' : `; did you mean ${JSON.stringify(near)}?`),
    };
  }
  if (custom !== undefined) return { at, keyword, message: template(custom, node, value) };
  if (keyword === 'type') {
    const type = (error.params as { type: string }).type;
    return { at, keyword, message: `${show(value)} is not ${TYPE_NAMES[type] ?? type} (expected ${expected(node)})` };
  }
  if (keyword === 'minItems') return { at, keyword, message: `${show(value)} is empty (expected ${expected(node)} with at least one entry)` };
  if (keyword === 'minLength') return { at, keyword, message: `${show(value)} is empty (expected ${expected(node)})` };
  // Every keyword the schema uses has a message above or in its x-messages (config-doc.test.ts checks it).
  return { at, keyword, message: `${show(value)} ${error.message ?? 'is not valid'}` };
}

const isUnder = (at: At, prefix: At): boolean => at.length > prefix.length && prefix.every((p, i) => at[i] === p);
const samePath = (a: At, b: At): boolean => a.length === b.length && a.every((p, i) => b[i] === p);

/**
 * The problems with the shape of `data` (already passed through dropNulls).
 * A value of the wrong type gets that one problem; a list with too many
 * entries gets that one, none for its entries.
 */
export function schemaProblems(data: unknown): Problem[] {
  if (validate(data)) return [];
  const all = (validate.errors ?? []).map((e) => describe(e, data));
  const typeAt = all.filter((p) => p.keyword === 'type').map((p) => p.at);
  const tooLong = all.filter((p) => p.keyword === 'maxItems').map((p) => p.at);
  const out: Problem[] = [];
  for (const p of all) {
    if (p.keyword !== 'type' && typeAt.some((at) => samePath(at, p.at))) continue;
    if (tooLong.some((at) => isUnder(p.at, at))) continue;
    if (out.some((q) => samePath(q.at, p.at) && q.message === p.message)) continue;
    out.push({ at: p.at, message: p.message });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Order

/**
 * Problems in the order the file's keys are checked: the schema's order of
 * keys within a mapping (`x-check-order` where it differs; unknown keys
 * first), lists by index, a value before what is inside it; problems at one
 * path in the order they were found.
 */
export function sortProblems(problems: Problem[]): Problem[] {
  const rank = (at: At): number[] => {
    const out: number[] = [];
    let node: SchemaNode | undefined = CONFIG_SCHEMA;
    for (const part of at) {
      if (typeof part === 'number') {
        out.push(part);
        node = node?.items;
      } else {
        const keys = node?.['x-check-order'] ?? Object.keys(node?.properties ?? {});
        out.push(keys.indexOf(part) + 1); // 0 for an unknown key
        node = childOf(node, part);
      }
    }
    return out;
  };
  const compare = (a: number[], b: number[]): number => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    return a.length - b.length;
  };
  return problems
    .map((p, i) => ({ p, i, rank: p.after === undefined ? rank(p.at) : [...rank(p.after), Infinity] }))
    .sort((x, y) => compare(x.rank, y.rank) || x.i - y.i)
    .map(({ p }) => ({ at: p.at, message: p.message }));
}
