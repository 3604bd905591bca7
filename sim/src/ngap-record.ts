/**
 * The N2 part of a run's record: every NGAP procedure as its initiator saw
 * it, joined with the receiver's decision; every SCTP DATA chunk with the
 * SACK that acknowledged it; and the SCTP packets and octets each side sent.
 *
 * nfscope times DATA→SACK only where a SACK's cumulative TSN ack equals a
 * DATA chunk's TSN ("exact"); chunks acknowledged together with a later one
 * ("cumulative") are not sampled. The record says which is which.
 */
import type { DecisionKind } from './behaviour';
import type { NgapProcedure, PduKindName } from './ngap';

/** One NGAP procedure: the initiating message and, for class 1, its outcome. */
export interface NgapProcedureRecord {
  interface: 'N2';
  procedure: NgapProcedure;
  /** TS 38.413 §8: class 1 has a response (successful or unsuccessful outcome), class 2 none. */
  class: 1 | 2;
  initiator: string;
  initiator_type: string;
  responder: string;
  responder_type: string;
  /** RAN-UE-NGAP-ID of the UE (null for NGSetup, which is not UE-associated). */
  ue: number | null;
  /** TSN of the DATA chunk that carried the initiating message. */
  tsn: number;
  /** Just before the packet was handed to the raw socket (epoch ns, decimal). */
  sentAtNs: string;
  /** Class 1: what came back, or timeout after responseTimeoutMs; class 2: null. */
  outcome: 'successful' | 'unsuccessful' | 'timeout' | null;
  respondedAtNs: string | null;
  latencyNs: number | null;
  /** The run was stopped before this procedure finished. */
  interrupted?: true;
}

/** The receiver's view of an initiating message. */
export interface NgapResponderView {
  procedure: NgapProcedure;
  initiator: string;
  responder: string;
  tsn: number;
  ue: number | null;
  decision: DecisionKind;
  delayMs: number;
  /** Class 1: the response sent; class 2: 'followed' when the next message of the UE's flow was sent; 'none': nothing. */
  reply: 'successful' | 'unsuccessful' | 'followed' | 'none';
  /** Why nothing was sent although the draw said answer (e.g. the run was over). */
  note?: string;
}

export interface NgapProcedureEntry extends NgapProcedureRecord {
  receiver: Omit<NgapResponderView, 'procedure' | 'initiator' | 'responder' | 'tsn' | 'ue'> | null;
}

/** One DATA chunk and its acknowledgement. */
export interface SctpDataRecord {
  interface: 'N2';
  from: string;
  from_type: string;
  to: string;
  to_type: string;
  /** NGAP procedure of the message in the chunk (the datapath labels the round trip with it). */
  procedure: NgapProcedure;
  pdu: PduKindName;
  tsn: number;
  stream: number;
  sentAtNs: string;
  /** exact: a SACK's cumulative TSN ack was this TSN (nfscope times these); cumulative: acknowledged by a later TSN's SACK; none: never acknowledged. */
  ack: 'exact' | 'cumulative' | 'none';
  /** When that SACK was read from the socket. */
  sackAtNs: string | null;
  /** sackAtNs − sentAtNs for exact acknowledgements (the DATA→SACK transport round trip). */
  rttNs: number | null;
  /** The SACK came bundled in a packet with DATA of the peer's own. */
  sackBundled?: true;
}

/** SCTP packets one NF sent the other; bytes are SCTP octets (common header and chunks, after the IP header). */
export interface SctpPacketCount {
  interface: 'N2';
  from: string;
  to: string;
  ipFamily: 4 | 6;
  packets: number;
  bytes: number;
}

export interface NgapRecord {
  procedures: NgapProcedureEntry[];
  data: SctpDataRecord[];
  packets: SctpPacketCount[];
  /** Receiver views no procedure matched (should be empty). */
  unmatched: NgapResponderView[];
}

const key = (x: { initiator: string; procedure: string; tsn: number }): string => `${x.initiator}|${x.procedure}|${x.tsn}`;

/** Collects the N2 lines of the agents' output and joins them into the record's `ngap` part. */
export class NgapCollector {
  private readonly procs: NgapProcedureRecord[] = [];
  private readonly views: NgapResponderView[] = [];
  private readonly data: SctpDataRecord[] = [];
  private readonly packets: SctpPacketCount[] = [];

  /** Takes one agent output line; false if it is not an N2 line. */
  accept(t: string, body: unknown): boolean {
    if (t === 'ngap-proc') this.procs.push(body as NgapProcedureRecord);
    else if (t === 'ngap-view') this.views.push(body as NgapResponderView);
    else if (t === 'sctp-data') this.data.push(body as SctpDataRecord);
    else if (t === 'sctp-packets') this.packets.push(body as SctpPacketCount);
    else return false;
    return true;
  }

  get empty(): boolean {
    return this.procs.length + this.views.length + this.data.length + this.packets.length === 0;
  }

  result(): NgapRecord {
    const byKey = new Map(this.views.map((v) => [key(v), v]));
    const byTime = (a: { sentAtNs: string }, b: { sentAtNs: string }): number => (BigInt(a.sentAtNs) < BigInt(b.sentAtNs) ? -1 : BigInt(a.sentAtNs) > BigInt(b.sentAtNs) ? 1 : 0);
    const procedures = [...this.procs].sort(byTime).map((p): NgapProcedureEntry => {
      const v = byKey.get(key(p));
      if (!v) return { ...p, receiver: null };
      byKey.delete(key(p));
      const { procedure: _p, initiator: _i, responder: _r, tsn: _t, ue: _u, ...rest } = v;
      return { ...p, receiver: rest };
    });
    return { procedures, data: [...this.data].sort(byTime), packets: this.packets, unmatched: [...byKey.values()] };
  }
}

/** Per initiator, responder and procedure: initiating messages sent and class 1 outcomes. */
export function ngapCounts(procs: readonly NgapProcedureRecord[]): Map<string, { sent: number; successful: number; unsuccessful: number; timeouts: number }> {
  const out = new Map<string, { sent: number; successful: number; unsuccessful: number; timeouts: number }>();
  for (const p of procs) {
    const k = `${p.initiator}→${p.responder}|${p.procedure}`;
    const e = out.get(k) ?? { sent: 0, successful: 0, unsuccessful: 0, timeouts: 0 };
    out.set(k, e);
    e.sent++;
    if (p.outcome === 'successful') e.successful++;
    else if (p.outcome === 'unsuccessful') e.unsuccessful++;
    else if (p.outcome === 'timeout') e.timeouts++;
  }
  return out;
}

/** Exact DATA→SACK round trips in ms per DATA sender, receiver and procedure: what nfscope's N2 latency series count. */
export function sackRoundTrips(data: readonly SctpDataRecord[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const d of data) {
    if (d.ack !== 'exact' || d.rttNs === null) continue;
    const k = `${d.from}→${d.to}|${d.procedure}`;
    const list = out.get(k);
    if (list) list.push(d.rttNs / 1e6);
    else out.set(k, [d.rttNs / 1e6]);
  }
  return out;
}

export interface NgapSummaryRow {
  initiator: string;
  responder: string;
  procedure: NgapProcedure;
  sent: number;
  successful: number;
  unsuccessful: number;
  timeouts: number;
  /** Class 1 response times (nearest rank), ms; null for class 2 or when nothing was answered. */
  p50_ms: number | null;
  p99_ms: number | null;
  /** DATA chunks carrying this procedure's messages in either direction, and how many of them a SACK named exactly. */
  data: number;
  sackedExactly: number;
  /** Their DATA→SACK round trips (nearest rank), ms. */
  sack_p50_ms: number | null;
  sack_max_ms: number | null;
}

const nearest = (sorted: number[], q: number): number | null => (sorted.length === 0 ? null : sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]);

/** Per initiator, responder and procedure: what `nfscope testbed` prints at the end of a run. */
export function summarizeNgap(r: NgapRecord): NgapSummaryRow[] {
  const rows = new Map<string, { row: NgapSummaryRow; lat: number[]; rtt: number[] }>();
  const get = (initiator: string, responder: string, procedure: NgapProcedure) => {
    const k = `${initiator}|${responder}|${procedure}`;
    let g = rows.get(k);
    if (!g) {
      g = {
        row: { initiator, responder, procedure, sent: 0, successful: 0, unsuccessful: 0, timeouts: 0, p50_ms: null, p99_ms: null, data: 0, sackedExactly: 0, sack_p50_ms: null, sack_max_ms: null },
        lat: [],
        rtt: [],
      };
      rows.set(k, g);
    }
    return g;
  };
  for (const p of r.procedures) {
    const g = get(p.initiator, p.responder, p.procedure);
    g.row.sent++;
    if (p.outcome === 'successful') g.row.successful++;
    else if (p.outcome === 'unsuccessful') g.row.unsuccessful++;
    else if (p.outcome === 'timeout') g.row.timeouts++;
    if (p.latencyNs !== null) g.lat.push(p.latencyNs / 1e6);
  }
  for (const d of r.data) {
    // A response travels responder → initiator: file it under the procedure's initiator.
    const g = d.pdu === 'initiating' ? get(d.from, d.to, d.procedure) : get(d.to, d.from, d.procedure);
    g.row.data++;
    if (d.ack === 'exact' && d.rttNs !== null) {
      g.row.sackedExactly++;
      g.rtt.push(d.rttNs / 1e6);
    }
  }
  return [...rows.values()]
    .map(({ row, lat, rtt }) => {
      lat.sort((a, b) => a - b);
      rtt.sort((a, b) => a - b);
      return { ...row, p50_ms: nearest(lat, 0.5), p99_ms: nearest(lat, 0.99), sack_p50_ms: nearest(rtt, 0.5), sack_max_ms: rtt.length ? rtt[rtt.length - 1] : null };
    })
    .sort((a, b) => a.initiator.localeCompare(b.initiator) || a.procedure.localeCompare(b.procedure));
}
