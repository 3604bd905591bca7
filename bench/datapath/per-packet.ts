/**
 * Experiment 1, per-packet cost from the kernel's bpf_stats: each traffic
 * class crosses topology A (the real exporter attached), and Δrun_count and
 * Δrun_time_ns of traffic_ingress and traffic_egress are read from
 * /api/v1/status before and after. Every class is measured --reps times, the
 * classes taking turns; figures are medians.
 */
import type { Topology } from '@nfscope/sim';
import * as pk from '../lib/packets';
import { median, round } from '../lib/stats';
import {
  h2Pairs,
  oneWay,
  programStats,
  requestResponse,
  say,
  sctpPairs,
  TARGET_5G_NS,
  TARGET_PLAIN_NS,
  type Between,
  type DatapathOptions,
  type Exporter,
  type ProgramCounts,
  type Traffic,
} from './common';

export const METHOD =
  'each class in isolation through topology A (host veths attached by the real exporter: tcx ingress and egress); ' +
  'Δrun_count and Δrun_time_ns of traffic_ingress and traffic_egress from GET /api/v1/status before and after. ' +
  "Every packet crosses two attached hooks: ingress of the sender's veth (the full parse) and egress of the receiver's veth " +
  '(returns early: the packet came in through an attached interface). ns/run = Δrun_time_ns / Δrun_count per program; ' +
  'ns/packet = Δrun_time_ns of both programs / packets sent, which is what is compared with the targets (≤ 100 ns plain, ≤ 300 ns parsed 5G). ' +
  'Request/response classes: a responder in the peer namespace answers every request (at most --window unanswered), so responses complete real transactions. ' +
  'bpf_stats time each run with two sched_clock() reads, so every figure includes part of that clock cost; see the statistics table.';

interface TrafficClass {
  id: string;
  name: string;
  target: number;
  run(between: Between, rep: number): Promise<Traffic>;
}

/** The traffic classes, by id: what --only selects from. */
export const CLASS_IDS = ['plain_udp', 'pfcp_heartbeat', 'pfcp_session', 'gtpu_gpdu', 'gtpu_echo', 'ngap_sctp', 'sbi_h2', 'sbi_h2_single'];

function classes(topo: Topology, o: DatapathOptions): TrafficClass[] {
  const n = o.packets;
  const half = Math.round(n / 2);
  const gpdu = pk.gtpGpdu(0x1001, pk.innerIpv4Udp(100));
  // Sequence numbers (TSNs) of every repetition are new, so no request can
  // meet a leftover of an earlier one and count as a retransmission.
  const seq = (rep: number, base: number): number => base + rep * half;
  return [
    { id: 'plain_udp', name: 'plain UDP (port 9999, gnb→upf; parsed to L4)', target: TARGET_PLAIN_NS, run: (b) => oneWay(topo, 'gnb', 'upf', 9999, Buffer.alloc(64, 0x5a), n, b) },
    {
      id: 'pfcp_heartbeat',
      name: 'PFCP Heartbeat req/resp (N4, smf↔upf)',
      target: TARGET_5G_NS,
      run: (b, rep) => requestResponse(topo, 'smf', 'upf', 'pfcp-heartbeat', 8805, half, seq(rep, 1), o.window, b),
    },
    {
      id: 'pfcp_session',
      name: 'PFCP Session Establishment req/resp (N4, S=1, Cause 2nd IE)',
      target: TARGET_5G_NS,
      run: (b, rep) => requestResponse(topo, 'smf', 'upf', 'pfcp-session', 8805, half, seq(rep, 0x100000), o.window, b),
    },
    { id: 'gtpu_gpdu', name: 'GTP-U G-PDU, 128-octet T-PDU (N3, gnb→upf)', target: TARGET_5G_NS, run: (b) => oneWay(topo, 'gnb', 'upf', 2152, gpdu, n, b) },
    {
      id: 'gtpu_echo',
      name: 'GTP-U Echo req/resp (N3, gnb↔upf)',
      target: TARGET_5G_NS,
      run: (b, rep) => requestResponse(topo, 'gnb', 'upf', 'gtpu-echo', 2152, half, seq(rep, 1) & 0xffff, o.window, b),
    },
    { id: 'ngap_sctp', name: 'SCTP NGAP DATA + SACK (N2, gnb↔amf)', target: TARGET_5G_NS, run: (b, rep) => sctpPairs(topo, 'gnb', 'amf', half, seq(rep, 1000), o.window, b) },
    // With --window streams in flight a segment carries the frames of several requests; with one, about
    // three TCP packets per request (request, response, ACK). The per-request figure is in the detail.
    {
      id: 'sbi_h2',
      name: `SBI HTTP/2 GET → 200, h2load → nghttpd, one connection, ${o.window} streams in flight (amf→smf, port 7777; TCP packets incl. pure ACKs)`,
      target: TARGET_5G_NS,
      run: (b) => h2Pairs(topo, 'amf', 'smf', Math.round(n / 3), o.window, b),
    },
    {
      id: 'sbi_h2_single',
      name: 'SBI HTTP/2 GET → 200, h2load → nghttpd, one connection, one stream at a time (amf→smf, port 7777; TCP packets incl. pure ACKs)',
      target: TARGET_5G_NS,
      run: (b) => h2Pairs(topo, 'amf', 'smf', Math.round(n / 3), 1, b),
    },
  ];
}

interface ProgramDelta {
  runs: number;
  run_time_ns: number;
  ns_per_run: number | null;
}

export interface Repetition {
  ns_per_request?: number | null;
  packets: number;
  traffic: Traffic['detail'];
  ingress: ProgramDelta;
  egress: ProgramDelta;
  ns_per_packet: number | null;
  note?: string;
}

export interface PerPacketRow {
  id: string;
  class: string;
  packets: number;
  ingress_ns_per_run: number;
  egress_ns_per_run: number;
  ns_per_packet: number;
  ns_per_packet_reps: Array<number | null>;
  ns_per_request?: number;
  target_ns_per_packet: number;
  pass: boolean;
  reps: Repetition[];
}

/** One repetition of one class: Δ of both programs' statistics around its traffic. */
async function measureClass(ex: Exporter, c: TrafficClass, rep: number): Promise<Repetition> {
  let before: ProgramCounts | undefined;
  const between = { before: async () => (before = await programStats(ex)) };
  const r = await c.run(between, rep);
  const after = await programStats(ex);
  if (!before) throw new Error(`${c.id}: the traffic did not read the statistics before it started`);
  const b = before;
  const d = (n: string): { runs: number; ns: number } => ({ runs: after[n].runs - b[n].runs, ns: after[n].ns - b[n].ns });
  const ing = d('traffic_ingress');
  const eg = d('traffic_egress');
  // TCP classes: the packets are counted by the ingress program's runs.
  const packets = r.packets ?? ing.runs;
  const requests = r.detail.requests;
  const m: Repetition = {
    ...(requests ? { ns_per_request: round((ing.ns + eg.ns) / requests) } : {}),
    packets,
    traffic: r.detail,
    ingress: { runs: ing.runs, run_time_ns: ing.ns, ns_per_run: round(ing.ns / ing.runs) },
    egress: { runs: eg.runs, run_time_ns: eg.ns, ns_per_run: round(eg.ns / eg.runs) },
    ns_per_packet: round((ing.ns + eg.ns) / packets),
  };
  if (ing.runs !== packets || eg.runs !== packets) m.note = `expected ${packets} runs of each program, saw ${ing.runs} ingress and ${eg.runs} egress`;
  return m;
}

const med = (xs: Array<number | null | undefined>): number => median(xs.filter((x): x is number => typeof x === 'number'));

/**
 * Every class o.reps times, the classes taking turns (a drift over the run
 * spreads over all of them); each figure is the median over the repetitions.
 */
export async function perPacket(ex: Exporter, topo: Topology, o: DatapathOptions): Promise<PerPacketRow[]> {
  const all = classes(topo, o);
  const cs = o.only ? all.filter((c) => o.only!.includes(c.id)) : all;
  const reps: Repetition[][] = cs.map(() => []);
  for (let rep = 0; rep < o.reps; rep++) {
    for (const [i, c] of cs.entries()) {
      const m = await measureClass(ex, c, rep);
      reps[i].push(m);
      say(
        `${c.id.padEnd(15)} ${rep + 1}/${o.reps}: ${m.packets} packets, ingress ${m.ingress.ns_per_run} ns/run (${m.ingress.runs} runs), ` +
          `egress ${m.egress.ns_per_run} ns/run (${m.egress.runs} runs) → ${m.ns_per_packet} ns/packet${m.note ? ` [${m.note}]` : ''}`,
      );
    }
  }
  return cs.map((c, i) => {
    const rs = reps[i];
    const nsPerPacket = med(rs.map((m) => m.ns_per_packet));
    return {
      id: c.id,
      class: c.name,
      packets: rs[0].packets,
      ingress_ns_per_run: med(rs.map((m) => m.ingress.ns_per_run)),
      egress_ns_per_run: med(rs.map((m) => m.egress.ns_per_run)),
      ns_per_packet: nsPerPacket,
      ns_per_packet_reps: rs.map((m) => m.ns_per_packet),
      ...(rs[0].ns_per_request !== undefined ? { ns_per_request: med(rs.map((m) => m.ns_per_request)) } : {}),
      target_ns_per_packet: c.target,
      pass: nsPerPacket <= c.target,
      reps: rs,
    };
  });
}
