/**
 * The record of a run: every transaction as its client saw it, joined with
 * the responder's own view of the same request, and G-PDU counts per flow.
 * This is the ground truth that nfscope's kernel measurements are compared
 * with.
 */
import type { DecisionKind } from './behaviour';
import type { NgapRecord } from './ngap-record';
import type { PfcpProcedure } from './pfcp';
import type { Scenario } from './scenario';
import type { HttpMethod } from './sbi';

export type Interface = 'N4' | 'N3' | 'N9' | 'SBI';
/** SBI transactions are named by their HTTP method. */
export type Procedure = PfcpProcedure | 'Echo' | HttpMethod;
export type Outcome = 'accepted' | 'rejected' | 'timeout';

/** A transaction as the client process saw it. Times are epoch nanoseconds as decimal strings (see clock.ts). */
export interface ClientTransaction {
  interface: Interface;
  procedure: Procedure;
  client: string;
  client_type: string;
  server: string;
  server_type: string;
  client_address: string;
  server_address: string;
  /** PFCP: 24-bit sequence number; GTP-U Echo: 16-bit sequence number. */
  seq: number;
  /** First transmission, just before the datagram was handed to the kernel. */
  sentAtNs: string;
  /** 1 + retransmissions (same bytes, same sequence number). */
  transmissions: number;
  /** When the first matching response was read from the socket; null on timeout. */
  respondedAtNs: string | null;
  /** respondedAtNs − sentAtNs, exact; null on timeout. */
  latencyNs: number | null;
  outcome: Outcome;
  /** PFCP Cause of the response (absent for Heartbeat and Echo, and on timeout). */
  cause?: number;
  /** SBI: the response's :status, and the request's :path. */
  status?: number;
  path?: string;
  /** A response that came after the client had given up (it stays a timeout). */
  lateResponseAtNs?: string;
  /** The run was interrupted (SIGTERM/Ctrl-C) before this transaction finished: counted as a timeout. */
  interrupted?: true;
}

/** The responder's view of one request (all its copies). */
export interface ResponderView {
  interface: Interface;
  procedure: Procedure;
  client: string;
  server: string;
  seq: number;
  /** What the scenario's seeded draw decided for this request (reproducible from the seed, see behaviour.ts). */
  decision: DecisionKind;
  /** Processing delay chosen (ms); the response left at least this long after the copy it answers arrived. */
  delayMs: number;
  /** What the response said: 'rejected' when its Cause was ≥ 64; 'none' when nothing was sent. */
  reply: 'accepted' | 'rejected' | 'none';
  /** Cause sent (PFCP, except Heartbeat). */
  cause?: number;
  /** SBI: the :status sent. */
  status?: number;
  /** Copies of the request received (first transmission and retransmissions). */
  copies: number;
  /** Responses sent: the answer plus answers repeated for retransmissions that came after it. */
  responses: number;
  /** Why the responder rejected on its own (e.g. an unknown SEID, cause 65) although the draw said answer or drop-first. */
  note?: string;
}

export type ResponderSummary = Omit<ResponderView, 'interface' | 'procedure' | 'client' | 'server' | 'seq'>;

export interface Transaction extends ClientTransaction {
  /** The responder's view of this request; null if it never received a copy. */
  responder: ResponderSummary | null;
}

export interface Counter {
  packets: number;
  /** UDP payload octets: the GTP-U header (with extension headers) and the T-PDU. */
  bytes: number;
}

/** One G-PDU flow (one tunnel, one direction). */
export interface GpduFlow {
  interface: 'N3' | 'N9';
  from: string;
  from_type: string;
  to: string;
  to_type: string;
  teid: number;
  sent: Counter;
  received: Counter;
}

export interface RunRecord {
  version: 1;
  runId: string;
  /** How timestamps are taken (see clock.ts). */
  clock: string;
  startedAt: string;
  endedAt: string;
  startedAtNs: string;
  endedAtNs: string;
  /** True when the run was stopped early (Ctrl-C, SIGTERM, abort signal). */
  interrupted: boolean;
  scenario: Scenario;
  nfs: Array<{ name: string; type: string; addresses: string[] }>;
  transactions: Transaction[];
  gpdu: GpduFlow[];
  /** Responder views no client transaction matched (should be empty; kept for diagnosis). */
  unmatched: ResponderView[];
  /** N2: NGAP procedures, SCTP DATA chunks with their SACKs, SCTP packet counts (absent when ngap.enabled is false). */
  ngap?: NgapRecord;
}

export const CLOCK_DESCRIPTION = 'epoch nanoseconds (decimal strings): process.hrtime.bigint() (CLOCK_MONOTONIC) of each agent, anchored once per process to the wall clock (performance.timeOrigin)';

/** Key that pairs a client transaction with the responder's view of it. */
function key(t: { interface: string; procedure: string; client: string; server: string; seq: number }): string {
  return `${t.interface}|${t.procedure}|${t.client}|${t.server}|${t.seq}`;
}

/**
 * Joins client transactions with responder views. A sequence number may be
 * reused after it wraps (24 bits for PFCP, 16 for Echo), so views with the
 * same key are consumed in order.
 */
export function joinTransactions(txs: readonly ClientTransaction[], views: readonly ResponderView[]): { transactions: Transaction[]; unmatched: ResponderView[] } {
  const byKey = new Map<string, ResponderView[]>();
  for (const v of views) {
    const k = key(v);
    const list = byKey.get(k);
    if (list) list.push(v);
    else byKey.set(k, [v]);
  }
  const sorted = [...txs].sort((a, b) => (BigInt(a.sentAtNs) < BigInt(b.sentAtNs) ? -1 : BigInt(a.sentAtNs) > BigInt(b.sentAtNs) ? 1 : 0));
  const transactions = sorted.map((t): Transaction => {
    const v = byKey.get(key(t))?.shift();
    if (!v) return { ...t, responder: null };
    const { interface: _i, procedure: _p, client: _c, server: _s, seq: _q, ...summary } = v;
    return { ...t, responder: summary };
  });
  const unmatched = [...byKey.values()].flat();
  return { transactions, unmatched };
}

export interface GpduCount {
  direction: 'sent' | 'received';
  interface: 'N3' | 'N9';
  from: string;
  to: string;
  teid: number;
  packets: number;
  bytes: number;
}

/** Joins the senders' and receivers' G-PDU counters into flows. */
export function joinGpdu(counts: readonly GpduCount[], typeOf: (nf: string) => string): GpduFlow[] {
  const flows = new Map<string, GpduFlow>();
  for (const c of counts) {
    const k = `${c.interface}|${c.from}|${c.to}|${c.teid}`;
    let f = flows.get(k);
    if (!f) {
      f = { interface: c.interface, from: c.from, from_type: typeOf(c.from), to: c.to, to_type: typeOf(c.to), teid: c.teid, sent: { packets: 0, bytes: 0 }, received: { packets: 0, bytes: 0 } };
      flows.set(k, f);
    }
    f[c.direction].packets += c.packets;
    f[c.direction].bytes += c.bytes;
  }
  return [...flows.values()].sort((a, b) => a.interface.localeCompare(b.interface) || a.from.localeCompare(b.from) || a.teid - b.teid);
}

export interface SummaryRow {
  client: string;
  server: string;
  interface: Interface;
  procedure: Procedure;
  count: number;
  accepted: number;
  rejected: number;
  timeouts: number;
  retransmissions: number;
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Per client, server, interface and procedure: counts and latency of answered transactions (nearest-rank percentiles). */
export function summarize(transactions: readonly ClientTransaction[]): SummaryRow[] {
  const groups = new Map<string, { row: SummaryRow; lat: number[] }>();
  for (const t of transactions) {
    const k = `${t.client}|${t.server}|${t.interface}|${t.procedure}`;
    let g = groups.get(k);
    if (!g) {
      g = {
        row: {
          client: t.client,
          server: t.server,
          interface: t.interface,
          procedure: t.procedure,
          count: 0,
          accepted: 0,
          rejected: 0,
          timeouts: 0,
          retransmissions: 0,
          p50_ms: null,
          p99_ms: null,
          max_ms: null,
        },
        lat: [],
      };
      groups.set(k, g);
    }
    g.row.count++;
    if (t.outcome === 'accepted') g.row.accepted++;
    else if (t.outcome === 'rejected') g.row.rejected++;
    else g.row.timeouts++;
    g.row.retransmissions += t.transmissions - 1;
    if (t.latencyNs !== null) g.lat.push(t.latencyNs / 1e6);
  }
  return [...groups.values()]
    .map(({ row, lat }) => {
      lat.sort((a, b) => a - b);
      return { ...row, p50_ms: quantile(lat, 0.5), p99_ms: quantile(lat, 0.99), max_ms: lat.length ? lat[lat.length - 1] : null };
    })
    .sort((a, b) => a.interface.localeCompare(b.interface) || a.client.localeCompare(b.client) || a.server.localeCompare(b.server) || a.procedure.localeCompare(b.procedure));
}
