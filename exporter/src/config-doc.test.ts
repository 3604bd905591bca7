/**
 * docs/configuration.md against the schema (config-schema.ts): the table of
 * keys names every key of the schema and no other, the example file is valid
 * and uses only schema keys, the defaults it shows are the ones applied, and
 * the example error lines are what the loader prints.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError, parseConfig } from './config';
import { CONFIG_SCHEMA, PROTOCOLS, type SchemaNode } from './config-schema';
import { dropNulls, schemaProblems } from './config-validate';
import { DEFAULT_MAX_SERIES, DEFAULT_MEMORY_LIMIT_BYTES, DEFAULT_TIERS } from './history/store';

const DOC = readFileSync(join(__dirname, '../../docs/configuration.md'), 'utf8');

/** Every key of the schema as the docs write it (`nfs[].name`); `containers` also gets mappings and lists of mappings. */
function schemaKeys(node: SchemaNode, prefix = '', containers = false): string[] {
  const out: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const inner = child.properties !== undefined ? child : child.items?.properties !== undefined ? child.items : undefined;
    if (inner === undefined) {
      out.push(path);
      continue;
    }
    if (containers) out.push(path);
    out.push(...schemaKeys(inner, inner === child ? path : `${path}[]`, containers));
  }
  return out;
}

/** The keys the table's rows are about: the backticked names in the first column. */
function documentedKeys(): string[] {
  const section = DOC.slice(DOC.indexOf('## Keys'));
  const rows = section.split('\n').filter((line) => /^\| `/.test(line));
  expect(rows.length).toBeGreaterThan(10);
  return rows.flatMap((row) => {
    const names = [...row.split(' | ')[0].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    return names.flatMap((name) => (name.includes('<p>') ? PROTOCOLS.map((p) => name.replace('<p>', p)) : [name]));
  });
}

/** The example file: the first yaml block. */
function example(): string {
  const m = /```yaml\n([\s\S]*?)```/.exec(DOC);
  expect(m).not.toBeNull();
  return m![1];
}

/** Every key path of a parsed document (`nfs[].name`). */
function keysOf(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => keysOf(item, `${prefix}[]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    return [path, ...keysOf(v, path)];
  });
}

describe('docs/configuration.md and the schema', () => {
  test('the table documents every key of the schema', () => {
    const documented = new Set(documentedKeys());
    expect(schemaKeys(CONFIG_SCHEMA).filter((key) => !documented.has(key))).toEqual([]);
  });

  test('every key the table documents is in the schema', () => {
    const known = new Set(schemaKeys(CONFIG_SCHEMA, '', true));
    expect(documentedKeys().filter((key) => !known.has(key))).toEqual([]);
  });

  test('the table documents each key once', () => {
    const keys = documentedKeys();
    expect(keys.filter((key, i) => keys.indexOf(key) !== i)).toEqual([]);
  });

  test('the example uses only schema keys and has the shape the schema describes', () => {
    const doc = parse(example());
    const known = new Set(schemaKeys(CONFIG_SCHEMA, '', true));
    const used = keysOf(doc);
    expect(used.length).toBeGreaterThan(20);
    expect(used.filter((key) => !known.has(key))).toEqual([]);
    expect(schemaProblems(dropNulls(doc))).toEqual([]);
  });

  test('the defaults the example shows are the ones applied', () => {
    // Without the files the example names (they do not exist here).
    const doc = parse(example());
    delete doc.api;
    delete doc.history.state_file;
    const history = doc.history;
    delete doc.history;
    const shown = parseConfig(JSON.stringify(doc), 'example');
    const defaults = parseConfig('interfaces: [eth0]\nnfs: [{ name: smf-1, type: SMF, addresses: ["198.18.0.10"] }]\n', 'minimal');
    for (const key of ['protocols', 'peers', 'requestTimeoutSeconds', 'durationBuckets', 'programStats', 'datapath'] as const) {
      expect([key, shown[key]]).toEqual([key, defaults[key]]);
    }
    expect(shown.peersTimeoutSeconds).toBe(CONFIG_SCHEMA.properties!.peers_timeout.default);
    // history: the store's defaults
    const h = parseConfig(JSON.stringify({ ...doc, history }), 'example').history!;
    expect(h.tiers).toEqual(DEFAULT_TIERS);
    expect(h.memoryLimitBytes).toBe(DEFAULT_MEMORY_LIMIT_BYTES);
    expect(h.maxSeries).toBe(DEFAULT_MAX_SERIES);
  });

  test('the defaults in the schema are the ones applied', () => {
    const c = parseConfig('interfaces: [eth0]\nnfs: [{ name: smf-1, type: SMF, addresses: ["198.18.0.10"] }]\n', 'minimal');
    const p = CONFIG_SCHEMA.properties!;
    for (const protocol of PROTOCOLS) expect(c.protocols[protocol]).toEqual((p.protocols.properties![protocol].default as { ports: number[] }).ports);
    expect(c.peers).toEqual(p.peers.default);
    expect(c.requestTimeoutSeconds).toBe(p.request_timeout.default);
    expect(c.durationBuckets).toEqual(p.duration_buckets.default);
    expect(c.programStats).toBe(p.program_stats.default);
    expect(c.datapath).toEqual({ pinDir: p.datapath.properties!.pin_dir.default, onExit: p.datapath.properties!.on_exit.default });
  });

  test('the example error lines are what the loader reports', () => {
    const block = /reported, one line each[\s\S]*?```\n([\s\S]*?)```/.exec(DOC);
    expect(block).not.toBeNull();
    const lines = block![1].trim().split('\n');
    expect(lines).toHaveLength(2);
    const text = 'interfaces: [eth0]\nnsf: []\nnfs:\n' + '  - { name: smf-1, type: SMF, addresses: ["198.18.0.10"] }\n' + '  - { name: upf-1, type: UPF, addresses: ["198.18.0.300"] }\n';
    let error: unknown;
    try {
      parseConfig(text, 'config.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message.split('\n').sort()).toEqual([...lines].sort());
  });
});

describe('the schema', () => {
  /** Keywords whose failure gets a message in config-validate.ts without help from the node. */
  const GENERIC = new Set(['type', 'required', 'additionalProperties', 'minItems', 'minLength']);
  const VALIDATING = ['type', 'enum', 'pattern', 'not', 'minItems', 'maxItems', 'minLength', 'minimum', 'maximum', 'required', 'additionalProperties'];

  function nodes(node: SchemaNode, path = ''): [string, SchemaNode][] {
    const children = Object.entries(node.properties ?? {}).flatMap(([k, c]) => nodes(c, path === '' ? k : `${path}.${k}`));
    return [[path, node], ...children, ...(node.items ? nodes(node.items, `${path}[]`) : [])];
  }

  test('every failing keyword has a message of its own', () => {
    const missing: string[] = [];
    for (const [path, node] of nodes(CONFIG_SCHEMA)) {
      const messages = node['x-messages'] ?? {};
      for (const keyword of VALIDATING.filter((k) => k in node)) {
        if (!GENERIC.has(keyword) && !(keyword in messages) && messages.default === undefined) missing.push(`${path}: ${keyword}`);
      }
      // a number type has no generic message
      if ((node.type === 'number' || node.type === 'integer' || node.type === 'boolean') && !messages.type && !messages.default) missing.push(`${path}: type`);
    }
    expect(missing).toEqual([]);
  });

  test('a key without a type is one whose unit config-domain.ts checks, or an enum', () => {
    const untyped = nodes(CONFIG_SCHEMA).filter(([path, node]) => path !== '' && node.type === undefined && node.enum === undefined);
    expect(untyped.filter(([, node]) => node['x-unit'] === undefined).map(([path]) => path)).toEqual([]);
    expect(untyped.map(([path]) => path).sort()).toEqual(['history.memory_limit', 'history.tiers[].resolution', 'history.tiers[].retention', 'peers_timeout', 'request_timeout'].sort());
  });
});
