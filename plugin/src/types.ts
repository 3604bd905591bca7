/**
 * The plugin's query and settings model, and what each query kind of the
 * exporter's query API (docs/query-api.md) accepts. Pure data: no React, no
 * Grafana runtime, so the query builder and the tests can use it anywhere.
 */
import type { DataQuery, DataSourceJsonData } from '@grafana/schema';
import type { BucketsPerOctave, Kind, Scope, TrafficMetric, Vantage } from '@nfscope/api';

/** The query API's kinds, scopes, vantages and metrics are the contract's (@nfscope/api). */
export type QueryKind = Kind;
export type { Scope, TrafficMetric, Vantage };

/** Labels the editor offers as filters, in the order it shows them. `nf` and `nf_type` are the API's virtual labels. */
export type FilterLabel = 'nf' | 'client_nf' | 'server_nf' | 'peer_nf' | 'src_nf' | 'dst_nf' | 'nf_type' | 'interface' | 'procedure' | 'reason' | 'class' | 'node';

export interface NfscopeQuery extends DataQuery {
  kind?: QueryKind;
  /** Label → accepted values (any of them); values may hold template variables. */
  filters?: Partial<Record<FilterLabel, string[]>>;
  /**
   * Further filters in the API's own syntax, one per line or separated by ";":
   * `client_nf=~smf-.*`, `procedure!=Heartbeat`.
   */
  extraFilters?: string;
  /** For latency_percentiles, each in (0, 1). */
  quantiles?: number[];
  /** Labels to keep; empty or absent → the kind's default grouping. */
  groupBy?: string[];
  /** `{{label}}` placeholders; empty → the exporter's series name. */
  legendFormat?: string;
  vantage?: Vantage;
  /** Absent → the data source's default scope. */
  scope?: Scope;
  metric?: TrafficMetric;
  bucketsPerOctave?: BucketsPerOctave;
}

export interface NfscopeOptions extends DataSourceJsonData {
  defaultScope?: Scope;
  /** Seconds; also the data proxy's timeout (Grafana reads jsonData.timeout). */
  timeout?: number;
}

export interface NfscopeSecureOptions {
  bearerToken?: string;
}

export type VariableKind = 'nfs' | 'nf_types' | 'procedures' | 'interfaces' | 'reasons' | 'nodes' | 'label_values';

export interface NfscopeVariableQuery extends DataQuery {
  kind: VariableKind;
  /** For `nfs`: only NFs of this type (may be a variable). */
  nfType?: string;
  /** For `label_values`: the label whose values to list. */
  label?: string;
  scope?: Scope;
}

export interface KindInfo {
  label: string;
  description: string;
  /** Filters the editor shows for this kind. */
  filters: FilterLabel[];
  /** Labels that group_by may name (empty: the kind takes no group_by). */
  groupLabels: string[];
  /** Default grouping, shown as the placeholder. */
  defaultGroupBy: string[];
  timeSeries: boolean;
  vantage: boolean;
  unit?: string;
}

const LATENCY_LABELS = ['client_nf', 'client_type', 'server_nf', 'server_type', 'interface', 'procedure', 'vantage', 'node'];
const OUTCOME_LABELS = [...LATENCY_LABELS, 'outcome', 'code'];
const DROP_LABELS = ['nf', 'nf_type', 'peer_nf', 'interface', 'reason', 'class', 'node'];
const TRAFFIC_LABELS = ['src_nf', 'dst_nf', 'interface', 'node'];
const LATENCY_FILTERS: FilterLabel[] = ['nf', 'client_nf', 'server_nf', 'nf_type', 'interface', 'procedure', 'node'];
const PAIR_GROUPING = ['client_nf', 'server_nf', 'interface', 'procedure'];

export const KINDS: Record<QueryKind, KindInfo> = {
  latency_percentiles: {
    label: 'Latency percentiles',
    description: 'p50/p90/p99 (or any quantile) of request→response time per NF pair and procedure',
    filters: LATENCY_FILTERS,
    groupLabels: LATENCY_LABELS,
    defaultGroupBy: PAIR_GROUPING,
    timeSeries: true,
    vantage: true,
    unit: 's',
  },
  latency_heatmap: {
    label: 'Latency heatmap',
    description: 'Request→response time buckets over time (Heatmap panel)',
    filters: LATENCY_FILTERS,
    groupLabels: [],
    defaultGroupBy: [],
    timeSeries: false,
    vantage: true,
    unit: 'short',
  },
  latency_distribution: {
    label: 'Latency distribution',
    description: 'Request→response time histogram over the whole range (Histogram or Bar chart panel)',
    filters: LATENCY_FILTERS,
    groupLabels: LATENCY_LABELS,
    defaultGroupBy: [],
    timeSeries: false,
    vantage: true,
  },
  request_rate: {
    label: 'Request rate',
    description: 'Requests completed or timed out per second',
    filters: LATENCY_FILTERS,
    groupLabels: OUTCOME_LABELS,
    defaultGroupBy: PAIR_GROUPING,
    timeSeries: true,
    vantage: true,
    unit: 'reqps',
  },
  error_ratio: {
    label: 'Error ratio',
    description: '(rejected + timed out) / requests',
    filters: LATENCY_FILTERS,
    groupLabels: LATENCY_LABELS,
    defaultGroupBy: PAIR_GROUPING,
    timeSeries: true,
    vantage: true,
    unit: 'percentunit',
  },
  timeouts: {
    label: 'Timeouts',
    description: 'Requests that never got a response, per second',
    filters: LATENCY_FILTERS,
    groupLabels: LATENCY_LABELS,
    defaultGroupBy: PAIR_GROUPING,
    timeSeries: true,
    vantage: true,
    unit: 'reqps',
  },
  retransmissions: {
    label: 'Retransmissions',
    description: 'Retransmitted requests per second',
    filters: LATENCY_FILTERS,
    groupLabels: LATENCY_LABELS,
    defaultGroupBy: PAIR_GROUPING,
    timeSeries: true,
    vantage: true,
    unit: 'reqps',
  },
  drops: {
    label: 'Packet drops',
    description: 'Kernel packet drops per second, by NF and drop reason; class "loss" for traffic lost, "benign" for drops nobody waited for',
    filters: ['nf', 'peer_nf', 'nf_type', 'interface', 'reason', 'class', 'node'],
    groupLabels: DROP_LABELS,
    defaultGroupBy: ['nf', 'reason'],
    timeSeries: true,
    vantage: false,
    unit: 'pps',
  },
  traffic: {
    label: 'Traffic',
    description: 'Packets or bytes per second between NFs',
    filters: ['nf', 'src_nf', 'dst_nf', 'nf_type', 'interface', 'node'],
    groupLabels: TRAFFIC_LABELS,
    defaultGroupBy: ['src_nf', 'dst_nf', 'interface'],
    timeSeries: true,
    vantage: false,
    unit: 'pps',
  },
  topology: {
    label: 'NF topology',
    description: 'NFs and who talks to whom, with rates, error shares and p99 (Node Graph panel)',
    filters: LATENCY_FILTERS,
    groupLabels: [],
    defaultGroupBy: [],
    timeSeries: false,
    vantage: true,
  },
  nf_pairs: {
    label: 'NF-pair table',
    description: 'One row per NF pair and procedure: requests, rate, p50/p90/p99, errors (Table panel)',
    filters: LATENCY_FILTERS,
    groupLabels: LATENCY_LABELS,
    defaultGroupBy: ['client_nf', 'client_type', 'server_nf', 'server_type', 'interface', 'procedure'],
    timeSeries: false,
    vantage: true,
  },
};

export const KIND_ORDER = Object.keys(KINDS) as QueryKind[];

export const FILTER_LABELS: Record<FilterLabel, string> = {
  nf: 'NF',
  client_nf: 'Client NF',
  server_nf: 'Server NF',
  peer_nf: 'Peer NF',
  src_nf: 'Source NF',
  dst_nf: 'Destination NF',
  nf_type: 'NF type',
  interface: 'Interface',
  procedure: 'Procedure',
  reason: 'Drop reason',
  class: 'Drop class',
  node: 'Node',
};

/** The interfaces nfscope measures (README.md, "What is measured"), offered even before the exporter has seen them. */
export const KNOWN_INTERFACES = ['N2', 'N3', 'N4', 'N9', 'SBI'];

/** The classes of drops (docs/drops.md): loss, or benign (a frame for another host, a queue purged at close, …). */
export const DROP_CLASSES = ['loss', 'benign'];

export const DEFAULT_QUANTILES = [0.5, 0.9, 0.99];

/** What a new panel starts with: p50/p90/p99 per NF pair and procedure, which needs no edits to be useful. */
export const DEFAULT_QUERY: Partial<NfscopeQuery> = {
  kind: 'latency_percentiles',
  quantiles: DEFAULT_QUANTILES,
  vantage: 'auto',
};

export const VARIABLE_KINDS: Record<VariableKind, { label: string; description: string }> = {
  nfs: { label: 'NFs', description: 'Configured network functions (optionally of one type)' },
  nf_types: { label: 'NF types', description: 'Types of the configured network functions' },
  procedures: { label: 'Procedures', description: 'Procedures seen in the time range' },
  interfaces: { label: 'Interfaces', description: 'Interfaces (N2, N3, N4, N9, SBI) seen in the time range' },
  reasons: { label: 'Drop reasons', description: 'Kernel drop reasons seen in the time range' },
  nodes: { label: 'Nodes', description: 'Nodes with data in the time range' },
  label_values: { label: 'Label values', description: 'Values of any label in the time range' },
};
