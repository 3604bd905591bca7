/**
 * What the exporter answers on /api/v1 (docs/query-api.md), as types; the
 * JSON Schema in schema/api.schema.json says the same and the tests
 * validate real answers against it (validate.ts).
 */
import type { Kind, Scope } from './query';

export type FieldType = 'time' | 'number' | 'string' | 'boolean';

/** A column of a data frame, in Grafana's shape. */
export interface Field {
  name: string;
  type: FieldType;
  /** times are ms since the epoch; null where a step had no value */
  values: Array<number | string | boolean | null>;
  labels?: Record<string, string>;
  config?: Record<string, unknown>;
}

export interface Frame {
  name?: string;
  meta?: Record<string, unknown>;
  fields: Field[];
}

/** Which nodes a cluster answer has, and why the others are missing. */
export interface NodesAnswered {
  answered: string[];
  missing: Array<{ node: string; error: string }>;
}

/** GET/POST /api/v1/query. */
export interface QueryAnswer {
  kind: Kind;
  scope: Scope;
  from: number;
  to: number;
  step_ms: number;
  nodes: NodesAnswered;
  /** series the exporter could not keep (its table was full) */
  overflow: { series: number };
  frames: Frame[];
}

/** GET /api/v1/labels. */
export interface LabelsAnswer {
  labels: string[];
}

/** GET /api/v1/labels/{name}/values. */
export interface LabelValuesAnswer {
  name: string;
  node: string;
  values: string[];
  /** with scope=cluster */
  nodes?: NodesAnswered;
}

/** GET /api/v1/nfs: the NFs this exporter is configured with. */
export interface NfsAnswer {
  nfs: Array<{ name: string; type: string; addresses: string[]; node: string }>;
}

/** GET /api/v1/status. */
export interface StatusAnswer {
  node: string;
  version: string;
  kernel: string;
  /** the datapath is attached and the first read is done */
  ready: boolean;
  /** ISO time of the last map read, null before the first */
  last_read: string | null;
  programs: Array<{ name: string; attach_points: string[]; run_count: number; run_time_ns: number }>;
  program_stats: 'exporter' | 'sysctl' | 'off';
  interfaces: Array<{ name: string; ifindex: number; mode: string }>;
  /** fill of each eBPF map */
  maps: Array<{ name: string; entries: number; capacity: number }>;
  memory: Record<string, number>;
  /** the configuration in short: interface patterns, how many NFs, the ports per protocol, the peers' URLs */
  config: { interfaces: string[]; nfs: number; protocols: { pfcp: number[]; gtpu: number[]; sbi: number[]; ngap: number[] }; peers: string[] };
  history: HistoryStatus;
}

/** The history store in /api/v1/status: its series, bytes, and what each tier holds now. */
export interface HistoryStatus {
  series: number;
  /** distinct label sets folded into overflow series since start */
  overflow: { series: number };
  bytes: number;
  memory_limit_bytes: number;
  /** chunks dropped early to stay under the memory limit */
  evicted_chunks: number;
  tiers: Array<{ resolution_s: number; retention_s: number; held_s: number }>;
}

/** A row of /api/v1/summary: one NF pair and procedure over the window. */
export interface SummaryLatencyRow {
  client: string;
  client_type: string;
  server: string;
  server_type: string;
  interface: string;
  procedure: string;
  count: number;
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  mean_ms: number | null;
  rejected: number;
  timeouts: number;
  retransmissions: number;
}

/** Drops of one NF, peer, interface and reason over the window; class `loss` or `benign` (docs/drops.md). */
export interface SummaryDropRow {
  nf: string;
  nf_type?: string;
  peer_nf: string;
  interface: string;
  reason: string;
  /** exporters before drop classes have none: taken as loss */
  class?: string;
  count: number;
}

/** GET /api/v1/summary?window=…&scope=…: what `nfscope top` shows. */
export interface SummaryAnswer {
  node: string;
  window_s: number;
  /** `cluster` when asked for; absent for a node's own */
  scope?: 'cluster';
  nodes?: NodesAnswered;
  latency: SummaryLatencyRow[];
  drops: SummaryDropRow[];
}

/** Every error: status 400, 401, 404, 500, 502 or 504 with this body. */
export interface ErrorAnswer {
  error: string;
}
