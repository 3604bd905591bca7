/**
 * Experiment 3, throughput: iperf3 TCP bulk and UDP 64-octet datagrams from
 * gnb to upf in topology A (exporter attached) and in B (not attached),
 * alternately, median ratio; for UDP also B with the empty program on the
 * same hooks.
 */
import * as os from 'os';
import type { Topology } from '@nfscope/sim';
import { sleep, start } from '../lib/proc';
import { median } from '../lib/stats';
import { say, state, TARGET_THROUGHPUT, type DatapathOptions, type EmptyProgram, type NativeLink } from './common';

export const METHOD =
  'iperf3 from gnb to upf in topology A (exporter attached) and in the identical topology B (not attached), alternately (A B, then B A in the next round), ' +
  "received rate; ratio = A / B per round, median over rounds, compared with ≥ 97 %. The veths' softirq work, both hooks included, runs on the sender's CPU (0); " +
  'TCP bulk with -Z (sendfile) on port 7777 (SBI: every segment is classified and counted), client and server both on CPU 0 (flow control: the rate is one CPU over the CPU time per byte); ' +
  "UDP 64-octet datagrams at -b 0 on port 2152 (GTP-U: counted and looked at as GTP-U), server on CPU 1 so that it keeps up and the sender's CPU sets the rate. " +
  "The exporter runs on the last CPU, restarted for these runs with program_stats: false, its default, so the kernel's run-time statistics are off (unless another process holds them on: see the environment).";

interface Kind {
  id: 'tcp_bulk' | 'udp_64';
  name: string;
  port: number;
  args: string[];
  cpus: [number, number];
}

export interface Rate {
  bps: number;
  pps?: number;
  sent_bps: number;
  lost_percent?: number;
  retransmits?: number;
  cpus: [number, number];
}

export interface Round {
  order: string;
  attached: Rate;
  unattached: Rate;
  ratio: number;
  empty_programs?: Rate;
  empty_ratio?: number;
}

export interface ThroughputRow {
  id: Kind['id'];
  kind: string;
  cpus: { client: number; server: number };
  rounds: Round[];
  median_ratio?: number;
  ratio_of_medians?: number;
  median_empty_ratio?: number;
  target_ratio?: number;
  pass?: boolean;
}

/**
 * Where client and server run is chosen so that the rate is set by the CPU
 * that runs the hooks and no work is wasted: the veths' softirq work (both
 * hooks included) runs on the sender's CPU.
 *  - TCP: client and server on CPU 0. Flow control wastes nothing, so the rate
 *    is one CPU divided by the CPU time per byte, all of it, hooks included.
 *    -Z (sendfile) because without the copy from userspace the run-to-run
 *    spread on a small VM drops from ±10 % to a few %.
 *  - UDP: client on CPU 0, server on CPU 1. The receiver keeps up (no loss), so
 *    the rate is the sender's CPU divided by its time per datagram. On one CPU
 *    the receiving socket overflows, and the scheduler's fair share then sets
 *    the received rate, which hides most of the hooks' cost.
 * The exporter runs on the last CPU. With one CPU everything shares it.
 */
function iperfKinds(o: DatapathOptions): Kind[] {
  const two = os.cpus().length > 1;
  return [
    { id: 'tcp_bulk', name: `iperf3 TCP bulk (-Z), ${o.seconds} s, port 7777 (SBI)`, port: 7777, args: ['-Z'], cpus: o.iperfCpus ?? [0, 0] },
    { id: 'udp_64', name: `iperf3 UDP 64-octet datagrams, -b 0, ${o.seconds} s, port 2152 (GTP-U)`, port: 2152, args: ['-u', '-l', '64', '-b', '0'], cpus: o.iperfCpus ?? [0, two ? 1 : 0] },
  ];
}

interface IperfJson {
  error?: string;
  end?: {
    sum_received?: { bits_per_second: number; bytes: number; seconds: number; lost_percent?: number };
    sum_sent: { bits_per_second: number; retransmits?: number };
  };
}

async function iperf(topo: Topology, kind: Kind, o: DatapathOptions): Promise<Rate> {
  const server = start([...topo.inHost('upf'), 'taskset', '-c', `${kind.cpus[1]}`, 'iperf3', '-s', '-1', '-p', `${kind.port}`, '--forceflush'], {
    readyRe: /listening/i,
    timeoutMs: (o.seconds + 15) * 1000,
    label: 'iperf3 server',
  });
  await Promise.race([server.ready, sleep(3000)]);
  const client = start(
    [...topo.inHost('gnb'), 'taskset', '-c', `${kind.cpus[0]}`, 'iperf3', '-c', topo.host('upf').ip, '-p', `${kind.port}`, '-t', `${o.seconds}`, '--connect-timeout', '3000', '--json', ...kind.args],
    { timeoutMs: (o.seconds + 15) * 1000, label: 'iperf3 client' },
  );
  const r = await client.result;
  server.kill('SIGKILL');
  await server.result;
  let j: IperfJson | undefined;
  try {
    j = JSON.parse(r.stdout) as IperfJson;
  } catch {
    // reported below
  }
  const rx = j?.end?.sum_received;
  if (!j || j.error || !rx || !j.end) throw new Error(`iperf3 ${kind.id} in ${topo.id} failed: ${j?.error ?? (r.stderr.trim() || r.stdout.slice(0, 300))}`);
  const tx = j.end.sum_sent;
  return {
    bps: rx.bits_per_second,
    pps: kind.id === 'udp_64' ? rx.bytes / 64 / rx.seconds : undefined,
    sent_bps: tx.bits_per_second,
    lost_percent: kind.id === 'udp_64' ? rx.lost_percent : undefined,
    retransmits: tx.retransmits,
    cpus: kind.cpus,
  };
}

/**
 * Attaches the empty program to tcx ingress and egress of every veth of a
 * topology, as the exporter attaches its own; returns a function that detaches them.
 */
function attachEmptyEverywhere(empty: EmptyProgram, topo: Topology): () => void {
  const links = state.emptyLinks;
  const mine: NativeLink[] = [];
  for (const h of topo.hosts.values()) {
    for (const dir of ['ingress', 'egress'] as const) {
      const l = empty.addon.tcAttach(empty.fd, h.ifindex, dir, {});
      links.push(l);
      mine.push(l);
    }
  }
  return () => {
    for (const l of mine) {
      l.detach();
      links.splice(links.indexOf(l), 1);
    }
  };
}

export async function throughput(topoA: Topology, topoB: Topology, empty: EmptyProgram | null, o: DatapathOptions): Promise<ThroughputRow[]> {
  const out: ThroughputRow[] = iperfKinds(o).map((kind) => ({ id: kind.id, kind: kind.name, cpus: { client: kind.cpus[0], server: kind.cpus[1] }, rounds: [] }));
  for (let r = 0; r < o.rounds; r++) {
    for (const [i, kind] of iperfKinds(o).entries()) {
      // A then B in even rounds, B then A in odd ones: a drift in time favours neither.
      // For UDP also E: topology B with the empty program on the same hooks.
      const seq = kind.id === 'udp_64' && empty ? ['A', 'B', 'E'] : ['A', 'B'];
      const order = r % 2 === 0 ? seq : [...seq].reverse();
      const res: Partial<Record<'A' | 'B' | 'E', Rate>> = {};
      for (const which of order) {
        if (which === 'E') {
          const detach = attachEmptyEverywhere(empty!, topoB);
          try {
            res.E = await iperf(topoB, kind, o);
          } finally {
            detach();
          }
        } else {
          res[which as 'A' | 'B'] = await iperf(which === 'A' ? topoA : topoB, kind, o);
        }
      }
      const A = res.A!;
      const B = res.B!;
      const ratio = A.bps / B.bps;
      const row: Round = { order: order.join(''), attached: A, unattached: B, ratio };
      if (res.E) Object.assign(row, { empty_programs: res.E, empty_ratio: res.E.bps / B.bps });
      out[i].rounds.push(row);
      const f = (x: Rate): string => (kind.id === 'udp_64' ? `${(x.pps! / 1e3).toFixed(0)} kpps` : `${(x.bps / 1e9).toFixed(2)} Gbit/s`);
      const extra = res.E ? `; B with empty programs ${f(res.E)}, ${(row.empty_ratio! * 100).toFixed(1)} % of B` : '';
      const lost = kind.id === 'udp_64' ? ` (lost ${A.lost_percent!.toFixed(1)} % / ${B.lost_percent!.toFixed(1)} %)` : '';
      say(`${kind.id} round ${r + 1}/${o.rounds} (${order.join('')}): attached ${f(A)}, unattached ${f(B)}, ratio ${(ratio * 100).toFixed(1)} %${lost}${extra}`);
    }
  }
  for (const k of out) {
    k.median_ratio = median(k.rounds.map((x) => x.ratio));
    k.ratio_of_medians = median(k.rounds.map((x) => x.attached.bps)) / median(k.rounds.map((x) => x.unattached.bps));
    if (k.rounds[0].empty_ratio !== undefined) k.median_empty_ratio = median(k.rounds.map((x) => x.empty_ratio!));
    k.target_ratio = TARGET_THROUGHPUT;
    k.pass = k.median_ratio >= TARGET_THROUGHPUT;
  }
  return out;
}
