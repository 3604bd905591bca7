/**
 * Turns a panel's query into the body of `POST /api/v1/query`
 * (docs/query-api.md). Pure: template variables come in through an
 * Interpolator, so this is tested without Grafana.
 */
import type { FilterOp, QueryFilter, QueryRequest } from '@nfscope/api';
import { DEFAULT_QUANTILES, KINDS, type FilterLabel, type NfscopeQuery, type QueryKind, type Scope } from './types';

// The filter and the POST body are the API contract's (@nfscope/api).
export type { FilterOp };
export type ApiFilter = QueryFilter;

/** The POST body the plugin sends: a QueryRequest whose range (ms), filters and scope are always set. */
export type QueryBody = QueryRequest & { from: number; to: number; step?: number; filters: ApiFilter[]; scope: Scope };

/** Replaces template variables. `values` expands multi-value variables; 'all' means the selection is All (no constraint). */
export interface Interpolator {
  values(text: string): string[] | 'all';
  /** For a regular expression: multi-value variables become alternations. */
  regex(text: string): string;
}

/** Leaves text as it is: for queries that hold no variables. */
export const NO_VARIABLES: Interpolator = {
  values: (t) => [t],
  regex: (t) => t,
};

/** A query the exporter would refuse, caught before it is sent; the message names the field. */
export class QueryError extends Error {}

const LABEL_RE = /^[a-z_][a-z0-9_]*$/;

/**
 * Parses the API's filter syntax: `LABEL=V`, `LABEL!=V`, `LABEL=~RE`,
 * `LABEL!~RE`, several separated by newlines or ";". For `=`/`!=` a
 * comma-separated list means any of them.
 */
export function parseFilters(text: string, where = 'extra filters'): ApiFilter[] {
  const out: ApiFilter[] = [];
  for (const raw of text.split(/[;\n]/)) {
    const piece = raw.trim();
    if (!piece) continue;
    const m = /^([^!=~\s]+)\s*(!=|=~|!~|=)\s*(.*)$/.exec(piece);
    if (!m) throw new QueryError(`${where}: "${piece}" is not LABEL=VALUE, LABEL!=VALUE, LABEL=~REGEX or LABEL!~REGEX`);
    const [, label, op, value] = m;
    if (!LABEL_RE.test(label)) throw new QueryError(`${where}: "${label}" in "${piece}" is not a label name`);
    const v = value.trim();
    if (op === '=' || op === '!=') {
      const list = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (list.length === 0) throw new QueryError(`${where}: "${piece}" has no value`);
      out.push({ label, op: op as FilterOp, value: list.length === 1 ? list[0] : list });
    } else {
      if (!v) throw new QueryError(`${where}: "${piece}" has no regular expression`);
      out.push({ label, op: op as FilterOp, value: v });
    }
  }
  return out;
}

/** Values of one filter after interpolation; null when the filter does not constrain (empty, or All selected). */
export function filterValues(values: string[] | undefined, interp: Interpolator): string[] | null {
  if (!values || values.length === 0) return null;
  const out: string[] = [];
  for (const v of values) {
    const r = interp.values(v);
    if (r === 'all') return null;
    for (const x of r) if (x !== '' && !out.includes(x)) out.push(x);
  }
  return out.length > 0 ? out : null;
}

export interface BuildContext {
  from: number;
  to: number;
  /** Grafana's interval for the panel, in ms; the exporter rounds it up to its history's resolution. */
  intervalMs?: number;
  defaultScope?: Scope;
}

export function queryKind(q: NfscopeQuery): QueryKind {
  const kind = q.kind ?? 'latency_percentiles';
  if (!(kind in KINDS)) throw new QueryError(`kind: "${kind}" is not a query kind of this plugin`);
  return kind;
}

/** The API body for one query. Filters the kind does not take are left out (the editor hides them too). */
export function buildQueryBody(q: NfscopeQuery, ctx: BuildContext, interp: Interpolator = NO_VARIABLES): QueryBody {
  const kind = queryKind(q);
  const info = KINDS[kind];
  const filters: ApiFilter[] = [];
  for (const label of info.filters) {
    const values = filterValues(q.filters?.[label as FilterLabel], interp);
    if (values) filters.push({ label, op: '=', value: values.length === 1 ? values[0] : values });
  }
  if (q.extraFilters?.trim()) {
    for (const f of parseFilters(q.extraFilters)) {
      if (f.op === '=~' || f.op === '!~') {
        filters.push({ ...f, value: interp.regex(f.value as string) });
      } else {
        const values = filterValues(Array.isArray(f.value) ? f.value : [f.value], interp);
        if (values) filters.push({ ...f, value: values.length === 1 ? values[0] : values });
      }
    }
  }

  const body: QueryBody = {
    kind,
    from: Math.floor(ctx.from),
    to: Math.ceil(ctx.to),
    filters,
    scope: q.scope ?? ctx.defaultScope ?? 'node',
  };
  if (ctx.intervalMs && Number.isFinite(ctx.intervalMs)) body.step = Math.max(1000, Math.round(ctx.intervalMs));
  if (info.groupLabels.length > 0 && q.groupBy && q.groupBy.length > 0) {
    const groupBy = q.groupBy.flatMap((g) => {
      const r = interp.values(g);
      return r === 'all' ? [] : r;
    });
    if (groupBy.length > 0) body.group_by = groupBy;
  }
  if (kind === 'latency_percentiles') {
    const qs = q.quantiles && q.quantiles.length > 0 ? q.quantiles : DEFAULT_QUANTILES;
    for (const x of qs) {
      if (!(typeof x === 'number' && x > 0 && x < 1)) throw new QueryError(`quantiles: ${JSON.stringify(x)} is not a number between 0 and 1 (examples: 0.5, 0.99)`);
    }
    body.quantiles = qs;
  }
  if (kind === 'traffic') body.metric = q.metric ?? 'packets';
  if (info.vantage && q.vantage && q.vantage !== 'auto') body.vantage = q.vantage;
  if ((kind === 'latency_heatmap' || kind === 'latency_distribution') && q.bucketsPerOctave) body.buckets_per_octave = q.bucketsPerOctave;
  return body;
}

/** Renders a legend format: `{{client_nf}} → {{server_nf}}` with the series' labels. Unknown labels become empty. */
export function renderLegend(format: string, labels: Record<string, string | undefined>): string {
  return format.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, name: string) => labels[name] ?? '');
}
