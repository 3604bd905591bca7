/**
 * Parameters of /api/v1/query (docs/query-api.md), from a query string (GET)
 * or a JSON body (POST), checked completely: every error is a 400 whose
 * message starts with the parameter it is about.
 */
import { KINDS, VIRTUAL_LABELS as API_VIRTUAL_LABELS, type FilterOp, type Kind, type Scope, type Vantage } from '@nfscope/api';
import { durationSeconds, UNIT_MS } from '@nfscope/cli/duration';
import { FAMILY_LABELS, type Family } from '../history/store';
import { HttpError } from '../http-error';

// The kinds and operators are the API contract's (@nfscope/api), shared with the plugin and nfscope top.
export { KINDS };
export type { Kind, Scope };
export type Op = FilterOp;

export interface Filter {
  label: string;
  op: Op;
  /** for = and != : any of these values */
  values: string[];
  /** for =~ and !~ : the anchored expression */
  re?: RegExp;
  /** as given, for forwarding to peers */
  source: string;
}

export type VantageMode = Vantage;

export interface Query {
  kind: Kind;
  fromMs: number;
  toMs: number;
  /** the step asked for, if any (ms) */
  stepMs?: number;
  filters: Filter[];
  groupBy: string[];
  quantiles: number[];
  metric: 'packets' | 'bytes';
  vantage: VantageMode;
  scope: Scope;
  bucketsPerOctave: number;
}

export const MAX_POINTS = 11_000;

const LAT = FAMILY_LABELS.latency;
const LATENCY_DEFAULT_GROUP = ['client_nf', 'server_nf', 'interface', 'procedure'];
/** Labels that only filter: they stand for several real labels. */
export const VIRTUAL_LABELS: string[] = [...API_VIRTUAL_LABELS];

/** The labels a kind's series have (the virtual ones come on top). */
export function kindLabels(kind: Kind): readonly string[] {
  switch (kind) {
    case 'request_rate':
    case 'timeouts':
      return FAMILY_LABELS.outcome;
    case 'drops':
      return FAMILY_LABELS.drop;
    case 'traffic':
      return FAMILY_LABELS.traffic;
    default:
      return LAT;
  }
}

export function kindFamily(kind: Kind): Family {
  return kind === 'drops' ? 'drop' : kind === 'traffic' ? 'traffic' : 'latency';
}

export const DEFAULT_GROUP_BY: Record<Kind, string[]> = {
  latency_percentiles: LATENCY_DEFAULT_GROUP,
  request_rate: LATENCY_DEFAULT_GROUP,
  timeouts: LATENCY_DEFAULT_GROUP,
  retransmissions: LATENCY_DEFAULT_GROUP,
  error_ratio: LATENCY_DEFAULT_GROUP,
  drops: ['nf', 'reason'],
  traffic: ['src_nf', 'dst_nf', 'interface'],
  latency_heatmap: [],
  latency_distribution: [],
  topology: ['client_nf', 'client_type', 'server_nf', 'server_type', 'interface'],
  nf_pairs: ['client_nf', 'client_type', 'server_nf', 'server_type', 'interface', 'procedure'],
};

/** Every label name any series has, sorted (GET /api/v1/labels). */
export const ALL_LABELS: string[] = [...new Set([...Object.values(FAMILY_LABELS).flat(), ...VIRTUAL_LABELS])].sort();

const bad = (param: string, msg: string) => new HttpError(400, `${param}: ${msg}`);
const show = (v: unknown) => JSON.stringify(v);

/** A duration ("10s", "1m", "1500ms") or a number of milliseconds. */
export function parseDurationMs(param: string, v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  // A bare number is milliseconds here (as Grafana's intervals are), not seconds as in the config.
  const text = typeof v === 'string' ? v.trim() : '';
  const seconds = durationSeconds(text);
  const ms = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : seconds === undefined ? undefined : seconds * 1000;
  if (ms === undefined || !Number.isFinite(ms)) throw bad(param, `${show(v)} is not a duration (examples: 10s, 1m, 500ms, or milliseconds)`);
  if (!(ms > 0)) throw bad(param, `${show(v)} must be more than 0`);
  return ms;
}

/** Milliseconds since the epoch, `now`, or `now-15m` (units s m h d). */
export function parseTime(param: string, v: unknown, nowMs: number): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (/^\d+$/.test(t)) return Number(t);
    const m = /^now(?:-(\d+(?:\.\d+)?)(s|m|h|d))?$/.exec(t);
    if (m) return m[1] === undefined ? nowMs : nowMs - Number(m[1]) * UNIT_MS[m[2] as 's' | 'm' | 'h' | 'd'];
  }
  throw bad(param, `${show(v)} is not a time (milliseconds since the epoch, "now" or "now-15m"; units s, m, h, d)`);
}

function list(param: string, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) {
    return v.flatMap((x) => {
      if (typeof x !== 'string' && typeof x !== 'number') throw bad(param, `${show(x)} is not a string`);
      return String(x).split(',');
    });
  }
  if (typeof v === 'string' || typeof v === 'number') return String(v).split(',');
  throw bad(param, `${show(v)} is not a string or a list`);
}

function single(param: string, v: unknown): unknown {
  if (Array.isArray(v)) throw bad(param, `given ${v.length} times (once at most)`);
  return v;
}

function anchored(param: string, text: string): RegExp {
  try {
    return new RegExp(`^(?:${text})$`);
  } catch (e) {
    throw bad(param, `${show(text)} is not a regular expression: ${(e as Error).message}`);
  }
}

/** One filter from its text form: LABEL=V, LABEL!=V, LABEL=~RE, LABEL!~RE. */
export function parseFilterText(text: string): Filter {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(!=|=~|!~|=)(.*)$/s.exec(text);
  if (!m) throw bad('filter', `${show(text)} is not LABEL=VALUE, LABEL!=VALUE, LABEL=~REGEX or LABEL!~REGEX`);
  return makeFilter(m[1], m[2] as Op, m[3], text);
}

function makeFilter(label: string, op: Op, value: string | string[], source: string): Filter {
  if (op === '=~' || op === '!~') {
    if (Array.isArray(value)) {
      if (value.length !== 1) throw bad('filter', `${label}${op}: a regular expression takes one value, not ${value.length}`);
      value = value[0];
    }
    return { label, op, values: [value], re: anchored(`filter ${label}${op}`, value), source };
  }
  const values = Array.isArray(value) ? value.flatMap((x) => x.split(',')) : value.split(',');
  return { label, op, values, source };
}

function parseFilters(v: unknown, fromJson: boolean): Filter[] {
  if (v === undefined || v === null) return [];
  const items = Array.isArray(v) ? v : [v];
  return items.map((f): Filter => {
    if (typeof f === 'string') return parseFilterText(f);
    if (fromJson && typeof f === 'object' && f !== null) {
      const o = f as Record<string, unknown>;
      const ops = ['=', '!=', '=~', '!~'];
      if (typeof o.label !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.label)) throw bad('filters', `${show(f)}: "label" must be a label name`);
      if (typeof o.op !== 'string' || !ops.includes(o.op)) throw bad('filters', `${show(f)}: "op" must be one of ${ops.join(' ')}`);
      const val = o.value;
      const ok = typeof val === 'string' || (Array.isArray(val) && val.length > 0 && val.every((x) => typeof x === 'string'));
      if (!ok) throw bad('filters', `${show(f)}: "value" must be a string or a non-empty list of strings`);
      return makeFilter(o.label, o.op as Op, val as string | string[], `${o.label}${o.op}${Array.isArray(val) ? val.join(',') : val}`);
    }
    throw bad(fromJson ? 'filters' : 'filter', `${show(f)} is not a filter`);
  });
}

/** Whether a filter's label exists for the kind. */
function checkLabel(param: string, label: string, allowed: readonly string[], kind: Kind, virtualOk: boolean): void {
  if (allowed.includes(label) || (virtualOk && VIRTUAL_LABELS.includes(label))) return;
  const hint = VIRTUAL_LABELS.includes(label) ? ` (${label} is a filter-only label)` : '';
  throw bad(param, `${show(label)} is not a label of ${kind} series${hint} (labels: ${[...allowed, ...(virtualOk ? VIRTUAL_LABELS : [])].join(', ')})`);
}

/**
 * Parses a query from GET parameters or a POST body. `maxRangeMs` is the
 * longest history tier's retention.
 */
export function parseQuery(input: Record<string, unknown>, opts: { json: boolean; nowMs: number; maxRangeMs: number }): Query {
  const known = ['kind', 'from', 'to', 'step', opts.json ? 'filters' : 'filter', 'filter', 'group_by', 'quantiles', 'metric', 'vantage', 'scope', 'buckets_per_octave'];
  for (const k of Object.keys(input)) if (!known.includes(k)) throw bad(k, `unknown parameter (parameters: ${[...new Set(known)].join(', ')})`);

  const kindV = single('kind', input.kind);
  if (kindV === undefined) throw bad('kind', `is required (one of: ${KINDS.join(', ')})`);
  if (!KINDS.includes(kindV as Kind)) throw bad('kind', `${show(kindV)} is not a kind (one of: ${KINDS.join(', ')})`);
  const kind = kindV as Kind;

  const fromMs = parseTime('from', single('from', input.from) ?? 'now-1h', opts.nowMs);
  const toMs = parseTime('to', single('to', input.to) ?? 'now', opts.nowMs);
  if (!(toMs > fromMs)) throw bad('to', `${toMs} is not after from (${fromMs})`);
  if (toMs - fromMs < 1000) throw bad('to', `the range ${toMs - fromMs} ms is shorter than 1s`);
  if (toMs - fromMs > opts.maxRangeMs) {
    throw bad('from', `the range ${Math.round((toMs - fromMs) / 1000)} s is longer than the history (${opts.maxRangeMs / 1000} s)`);
  }
  const stepV = single('step', input.step);
  let stepMs: number | undefined;
  if (stepV !== undefined && stepV !== '') {
    stepMs = parseDurationMs('step', stepV);
    if (stepMs < 1000) throw bad('step', `${show(stepV)} is under 1s`);
  }

  const allowed = kindLabels(kind);
  const filters = [...parseFilters(input.filters, true), ...parseFilters(input.filter, opts.json)];
  for (const f of filters) checkLabel('filter', f.label, allowed, kind, true);

  let groupBy = DEFAULT_GROUP_BY[kind];
  if (input.group_by !== undefined) {
    groupBy = [
      ...new Set(
        list('group_by', input.group_by)
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      ),
    ];
    for (const g of groupBy) checkLabel('group_by', g, allowed, kind, false);
  }
  if (kind === 'latency_heatmap' && groupBy.length > 0) throw bad('group_by', 'latency_heatmap sums every series into one frame; use filter to choose series');
  if (kind === 'topology' && input.group_by !== undefined) throw bad('group_by', 'topology always groups by client and server NF');

  let quantiles = [0.5, 0.9, 0.99];
  if (input.quantiles !== undefined) {
    const qs = list('quantiles', input.quantiles);
    quantiles = qs.map((q) => {
      const n = Number(q);
      if (q.trim() === '' || !(n > 0 && n < 1)) throw bad('quantiles', `${show(q)} is not a number between 0 and 1 (exclusive)`);
      return n;
    });
    if (quantiles.length === 0 || quantiles.length > 20) throw bad('quantiles', 'give 1 to 20 quantiles');
  }

  const metric = single('metric', input.metric) ?? 'packets';
  if (metric !== 'packets' && metric !== 'bytes') throw bad('metric', `${show(metric)} is not "packets" or "bytes"`);
  const vantage = single('vantage', input.vantage) ?? 'auto';
  if (vantage !== 'auto' && vantage !== 'client' && vantage !== 'server') throw bad('vantage', `${show(vantage)} is not "auto", "client" or "server"`);
  const scope = single('scope', input.scope) ?? 'node';
  if (scope !== 'node' && scope !== 'cluster') throw bad('scope', `${show(scope)} is not "node" or "cluster"`);
  const bpoV = single('buckets_per_octave', input.buckets_per_octave) ?? 4;
  const bpo = Number(bpoV);
  if (![1, 2, 4, 8, 16].includes(bpo) || String(bpoV).trim() === '') throw bad('buckets_per_octave', `${show(bpoV)} is not 1, 2, 4, 8 or 16`);

  return { kind, fromMs, toMs, stepMs, filters, groupBy, quantiles, metric, vantage, scope, bucketsPerOctave: bpo };
}

/**
 * The step: at least the resolution of the tier that answers and a multiple
 * of it, so every sample is exact. The default (range / 300) always fits;
 * an explicit step that gives more than MAX_POINTS points is a 400.
 */
export function resolveStep(q: Query, resolutionMs: number): { stepMs: number; n: number } {
  const range = q.toMs - q.fromMs;
  let step = q.stepMs ?? range / 300;
  step = Math.max(resolutionMs, Math.ceil(step / resolutionMs - 1e-9) * resolutionMs);
  const n = Math.floor(range / step + 1e-9);
  if (n > MAX_POINTS) throw bad('step', `${q.stepMs} ms gives ${n} points over the range (at most ${MAX_POINTS})`);
  if (n < 1) throw bad('step', `${step} ms is longer than the range (${range} ms)`);
  return { stepMs: step, n };
}

/** A predicate on series labels for the filters (virtual labels included). */
export function matcher(filters: Filter[], family: Family): (labels: Record<string, string>) => boolean {
  const virtual = (label: string, l: Record<string, string>): string[] => {
    const pick = (...names: string[]) => names.map((n) => l[n]).filter((x) => x !== undefined);
    if (label === 'nf') return family === 'drop' ? pick('nf') : family === 'traffic' ? pick('src_nf', 'dst_nf') : pick('client_nf', 'server_nf');
    if (label === 'nf_type') return family === 'drop' ? pick('nf_type') : family === 'traffic' ? [] : pick('client_type', 'server_type');
    return [l[label] ?? ''];
  };
  const tests = filters.map((f) => {
    const one = (v: string) => (f.re ? f.re.test(v) : f.values.includes(v));
    const negated = f.op === '!=' || f.op === '!~';
    return (l: Record<string, string>) => {
      const vs = virtual(f.label, l);
      // A virtual label matches when any of the labels it stands for does.
      const hit = vs.some(one);
      return negated ? !hit : hit;
    };
  });
  return (l) => tests.every((t) => t(l));
}
