/**
 * Experiment 2, what bpf_stats themselves cost: the empty tc program in
 * topology B under the same plain UDP (what the statistics report for no
 * work); BPF_PROG_TEST_RUN of the empty program with statistics on (while
 * the exporter runs) and off (after it stopped); and test runs of
 * traffic_ingress and traffic_egress on stateless packets.
 */
import { execFileSync } from 'child_process';
import type { Topology } from '@nfscope/sim';
import * as fr from '../lib/frames';
import * as pk from '../lib/packets';
import { median, round } from '../lib/stats';
import { oneWay, say, state, testRun, type DatapathOptions, type EmptyProgram } from './common';

export const METHOD =
  'the empty tc program (bench/bpf/empty.bpf.c) attached to topology B under the same plain UDP shows what bpf_stats report for a program that does nothing; ' +
  'BPF_PROG_TEST_RUN (bpftool prog run, 1 000 000 repeats, median of 3) of the empty program with statistics on (exporter running) and off (after it stopped) gives their cost per run; ' +
  "test runs of traffic_ingress/traffic_egress on stateless packets give the programs' cost outside the network stack (statistics on: subtract the on − off cost for the programs alone).";

export interface InSitu {
  ns_per_run: number;
  reps: Array<{ packets: number | null; runs: number; run_time_ns: number; ns_per_run: number | null }>;
}

export interface TestRuns {
  empty: number;
  ingress_plain_udp: number;
  ingress_gtpu_gpdu: number;
  egress_already_counted: number;
}

export interface StatsOverhead {
  empty_in_situ?: InSitu;
  test_run?: TestRuns;
  empty_stats_off?: number | null;
  stats_cost_per_run?: number | null;
  stats_off_problem?: string;
}

/** The empty program on B's gnb veth ingress under plain UDP: what bpf_stats report for no work (median of o.reps). */
export async function emptyInSitu(empty: EmptyProgram, topoB: Topology, o: DatapathOptions): Promise<InSitu> {
  const link = empty.addon.tcAttach(empty.fd, topoB.host('gnb').ifindex, 'ingress', {});
  state.emptyLinks.push(link);
  const reps: InSitu['reps'] = [];
  for (let rep = 0; rep < o.reps; rep++) {
    let before = empty.stats();
    const r = await oneWay(topoB, 'gnb', 'upf', 9999, Buffer.alloc(64, 0x5a), o.packets, { before: async () => (before = empty.stats()) });
    const after = empty.stats();
    const runs = after.runCount - before.runCount;
    const ns = after.runTimeNs - before.runTimeNs;
    reps.push({ packets: r.packets, runs, run_time_ns: ns, ns_per_run: round(ns / runs) });
  }
  link.detach();
  state.emptyLinks.splice(state.emptyLinks.indexOf(link), 1);
  const row = { ns_per_run: median(reps.map((x) => x.ns_per_run ?? NaN)), reps };
  say(`empty tc program in B under plain UDP: ${row.ns_per_run} ns/run as bpf_stats report it (${reps.map((x) => x.ns_per_run).join(', ')})`);
  return row;
}

/** Test runs with the statistics on: the empty program, traffic_ingress on plain UDP and a G-PDU, traffic_egress returning early. */
export function testRuns(empty: EmptyProgram, topoA: Topology): TestRuns {
  const addon = empty.addon;
  const idOf = (ifindex: number, dir: 'ingress' | 'egress', name: string): number => {
    for (const id of addon.tcxQuery(ifindex, dir)) {
      const info = JSON.parse(execFileSync('bpftool', ['prog', 'show', 'id', `${id}`, '-j'], { encoding: 'utf8' })) as { name: string };
      if (info.name === name) return id;
    }
    throw new Error(`no ${name} on ${dir} of ifindex ${ifindex}`);
  };
  const gnb = topoA.host('gnb');
  const upf = topoA.host('upf');
  const ingressId = idOf(gnb.ifindex, 'ingress', 'traffic_ingress');
  const egressId = idOf(upf.ifindex, 'egress', 'traffic_egress');
  const plain = fr.udpFrame(gnb.ip, upf.ip, 40000, 9999, Buffer.alloc(64, 0x5a));
  const gpdu = fr.udpFrame(gnb.ip, upf.ip, 2152, 2152, pk.gtpGpdu(0x1001, pk.innerIpv4Udp(100)));
  const rows = {
    empty: testRun(empty.id, plain),
    ingress_plain_udp: testRun(ingressId, plain),
    ingress_gtpu_gpdu: testRun(ingressId, gpdu),
    // As on the receiver's veth: the packet came in through an attached interface.
    egress_already_counted: testRun(egressId, plain, fr.skbCtx(gnb.ifindex)),
  };
  say(
    `BPF_PROG_TEST_RUN, statistics on: empty ${rows.empty} ns, traffic_ingress plain ${rows.ingress_plain_udp} ns, G-PDU ${rows.ingress_gtpu_gpdu} ns, ` +
      `traffic_egress early return ${rows.egress_already_counted} ns (per run)`,
  );
  return rows;
}

/**
 * With the exporter gone, a test run of the empty program with statistics
 * off (unless another process keeps them on: then not measured); fills in
 * the off figure and the cost per run.
 */
export function statsOff(empty: EmptyProgram, s: StatsOverhead): void {
  const runsBefore = empty.stats().runCount;
  const plain = fr.udpFrame('198.18.1.1', '198.18.1.2', 40000, 9999, Buffer.alloc(64, 0x5a));
  const off = testRun(empty.id, plain);
  if (empty.stats().runCount !== runsBefore) {
    s.stats_off_problem = 'statistics are still on: another process holds them enabled';
    s.empty_stats_off = null;
    s.stats_cost_per_run = null;
  } else {
    s.empty_stats_off = off;
    s.stats_cost_per_run = s.test_run ? s.test_run.empty - off : null;
  }
  say(`BPF_PROG_TEST_RUN, statistics off: empty ${off} ns/run${s.stats_off_problem ? ` (${s.stats_off_problem})` : ''}`);
}
