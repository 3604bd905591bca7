/**
 * What a client asks /api/v1/query (docs/query-api.md): the kinds, the
 * filter operators, the scopes, vantages and metrics, as constants (the
 * exporter checks against them, the plugin offers them) and the POST body.
 */

/** Every kind of query the exporter answers. */
export const KINDS = [
  'latency_percentiles',
  'request_rate',
  'timeouts',
  'retransmissions',
  'error_ratio',
  'drops',
  'traffic',
  'latency_heatmap',
  'latency_distribution',
  'topology',
  'nf_pairs',
] as const;
export type Kind = (typeof KINDS)[number];

export const FILTER_OPS = ['=', '!=', '=~', '!~'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

/** `node`: what this exporter measured; `cluster`: every peer's data merged, each transaction once. */
export const SCOPES = ['node', 'cluster'] as const;
export type Scope = (typeof SCOPES)[number];

/** Whose view of a transaction counts: `auto` each once (the client's preferred), `client` the round trip, `server` the processing. */
export const VANTAGES = ['auto', 'client', 'server'] as const;
export type Vantage = (typeof VANTAGES)[number];

export const TRAFFIC_METRICS = ['packets', 'bytes'] as const;
export type TrafficMetric = (typeof TRAFFIC_METRICS)[number];

/** Histogram resolutions a heatmap or distribution may ask for; 16 is the kernel's. */
export const BUCKETS_PER_OCTAVE = [1, 2, 4, 8, 16] as const;
export type BucketsPerOctave = (typeof BUCKETS_PER_OCTAVE)[number];

/** Labels that only filter: each stands for several real labels (either side of a pair). */
export const VIRTUAL_LABELS = ['nf', 'nf_type'] as const;

/** One filter of a POST body: for = and != a value or a list (any of them); for =~ and !~ an anchored expression. */
export interface QueryFilter {
  label: string;
  op: FilterOp;
  value: string | string[];
}

/** The body of POST /api/v1/query (GET takes the same names as query-string parameters). */
export interface QueryRequest {
  kind: Kind;
  /** ms since the epoch, `now` or `now-15m` */
  from?: number | string;
  to?: number | string;
  /** a duration (`10s`) or milliseconds */
  step?: number | string;
  filters?: QueryFilter[];
  group_by?: string[];
  quantiles?: number[];
  metric?: TrafficMetric;
  vantage?: Vantage;
  scope?: Scope;
  buckets_per_octave?: BucketsPerOctave;
}
