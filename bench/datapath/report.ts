/** The datapath benchmark's result as JSON and as the markdown tables it prints. */
import { median, round } from '../lib/stats';
import type { DatapathOptions, Environment } from './common';
import type { PerPacketRow } from './per-packet';
import type { StatsOverhead } from './stats-overhead';
import type { ThroughputRow } from './throughput';

export interface DatapathResult {
  environment: Environment;
  options: DatapathOptions;
  method: { per_packet: string; stats_overhead: string; throughput: string };
  per_packet?: PerPacketRow[];
  stats_overhead: StatsOverhead;
  throughput?: ThroughputRow[];
  seconds?: number | null;
  pass?: boolean;
}

export function markdown(res: DatapathResult): string {
  const L: string[] = [];
  const e = res.environment;
  L.push(`# nfscope datapath benchmark, ${e.date.slice(0, 10)}`, '');
  L.push(
    `Kernel ${e.kernel}, CPU ${e.cpu} (${e.cpus} CPUs), tc attach: ${e.tc_attach}, nfscope ${e.exporter_version} at ${e.git_commit}${e.git_dirty ? ' (bpf/ or exporter/ modified)' : ''}, ${e.iperf3}, Node.js ${e.node}; load average at start ${e.load_average_at_start.join(' ')}${e.other_exporters_at_start.length ? `; **other nfscope exporters were running** (pids ${e.other_exporters_at_start.join(', ')})` : ''}.`,
    '',
  );
  L.push('Method: ' + res.method.per_packet, '');
  if (res.per_packet) {
    L.push(
      `| traffic class | packets | ingress ns/run | egress ns/run | ns/packet, both hooks (each of ${res.options.reps} repetitions) | target | result | ns/packet less the stats' share (2 × empty program) |`,
      '|---|---:|---:|---:|---:|---:|---|---:|',
    );
    const bias = res.stats_overhead?.empty_in_situ?.ns_per_run;
    for (const r of res.per_packet) {
      L.push(
        `| ${r.class}${r.ns_per_request !== undefined ? ` (both hooks, all packets: ${r.ns_per_request} ns per request)` : ''} | ${r.packets} | ${r.ingress_ns_per_run} | ${r.egress_ns_per_run} | **${r.ns_per_packet}** (${r.ns_per_packet_reps.join(', ')}) | ≤ ${r.target_ns_per_packet} | ${r.pass ? 'PASS' : 'MISS'} | ${bias ? round(r.ns_per_packet - 2 * bias) : '–'} |`,
      );
    }
    L.push('');
  }
  const s = res.stats_overhead;
  L.push('Method: ' + res.method.stats_overhead, '');
  L.push('| measurement | ns/run |', '|---|---:|');
  if (s.empty_in_situ) L.push(`| empty tc program under plain UDP, as bpf_stats report it | ${s.empty_in_situ.ns_per_run} |`);
  if (s.test_run) {
    L.push(`| test run, statistics on: empty program | ${s.test_run.empty} |`);
    L.push(`| test run, statistics on: traffic_ingress, plain UDP | ${s.test_run.ingress_plain_udp} |`);
    L.push(`| test run, statistics on: traffic_ingress, G-PDU | ${s.test_run.ingress_gtpu_gpdu} |`);
    L.push(`| test run, statistics on: traffic_egress, already counted at ingress | ${s.test_run.egress_already_counted} |`);
  }
  L.push(`| test run, statistics off: empty program | ${s.empty_stats_off ?? `not measured (${s.stats_off_problem})`} |`);
  if (s.stats_cost_per_run !== null && s.stats_cost_per_run !== undefined) L.push(`| cost of bpf_stats per program run (on − off) | ${s.stats_cost_per_run} |`);
  L.push('');
  if (res.throughput) {
    L.push('Method: ' + res.method.throughput, '');
    L.push('| kind | attached / unattached, each round | median ratio | target | result | median A / median B |', '|---|---|---:|---:|---|---:|');
    for (const k of res.throughput) {
      const per = k.rounds.map((r) => `${(r.ratio * 100).toFixed(1)} %`).join(', ');
      L.push(`| ${k.kind} | ${per} | **${(k.median_ratio! * 100).toFixed(1)} %** | ≥ ${k.target_ratio! * 100} % | ${k.pass ? 'PASS' : 'MISS'} | ${(k.ratio_of_medians! * 100).toFixed(1)} % |`);
    }
    const rate = (k: ThroughputRow, f: (r: ThroughputRow['rounds'][number]) => string): string => k.rounds.map((r) => f(r)).join(' / ');
    for (const k of res.throughput) {
      if (k.id === 'udp_64') {
        L.push(`- ${k.id}: attached ${rate(k, (r) => `${(r.attached.pps! / 1e3).toFixed(0)}`)} kpps; unattached ${rate(k, (r) => `${(r.unattached.pps! / 1e3).toFixed(0)}`)} kpps (received)`);
        if (k.median_empty_ratio !== undefined) {
          L.push(
            `- ${k.id} with the empty tc program (bench/bpf/empty.bpf.c) on the same hooks of B instead of nfscope's: ${rate(k, (r) => `${(r.empty_programs!.pps! / 1e3).toFixed(0)}`)} kpps, ` +
              `median ${(k.median_empty_ratio * 100).toFixed(1)} % of B: the cost of having any program there (tcx dispatch), before nfscope does any work`,
          );
        }
        const lost = k.rounds.flatMap((r) => [r.attached.lost_percent!, r.unattached.lost_percent!]);
        L.push(
          `- ${k.id} as sent by the client: median ratio ${(median(k.rounds.map((r) => r.attached.sent_bps / r.unattached.sent_bps)) * 100).toFixed(1)} %; ` +
            `lost at the receiver: up to ${Math.max(...lost).toFixed(1)} % (more than 1 % means the receiver, not the path through the hooks, set the rate)`,
        );
      } else L.push(`- ${k.id}: attached ${rate(k, (r) => (r.attached.bps / 1e9).toFixed(2))} Gbit/s; unattached ${rate(k, (r) => (r.unattached.bps / 1e9).toFixed(2))} Gbit/s (received)`);
    }
    L.push('');
  }
  L.push(`Total run time ${res.seconds} s.`);
  return L.join('\n') + '\n';
}
