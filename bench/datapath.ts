/**
 * nfscope datapath benchmark (root; bench/datapath.sh builds what is
 * missing and runs it). Three experiments, one file each under datapath/,
 * sharing datapath/common.ts; the method is in bench/README.md:
 *
 *  1. per-packet.ts: per-packet cost from the kernel's bpf_stats, through
 *     topology A (four hosts in 198.18.0.0/24, the real exporter attached).
 *  2. stats-overhead.ts: what bpf_stats themselves cost (an empty tc program
 *     in topology B, 198.18.1.0/24, and BPF_PROG_TEST_RUN).
 *  3. throughput.ts: iperf3 through A (attached) and B (not attached).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Topology, type HostSpec } from '@nfscope/sim';
import { commandLine, flag, list, main, num, str, UsageError } from './lib/args';
import { RESULTS } from './lib/paths';
import { round } from './lib/stats';
import { cleanup, DEADLINE_MS, environment, loadEmpty, say, startExporter, state, T0, warmUp, type DatapathOptions } from './datapath/common';
import { CLASS_IDS, METHOD as PER_PACKET, perPacket } from './datapath/per-packet';
import { markdown, type DatapathResult } from './datapath/report';
import { emptyInSitu, METHOD as STATS_OVERHEAD, statsOff, testRuns } from './datapath/stats-overhead';
import { METHOD as THROUGHPUT, throughput } from './datapath/throughput';

const USAGE = `sudo bench/datapath.sh [options]      (or: sudo node bench/dist/datapath.js [options])

Per-packet cost of nfscope's tc programs from the kernel's bpf_stats, what
those statistics cost, and iperf3 throughput with and without the exporter.
About three minutes with the defaults, never more than ${DEADLINE_MS / 1000} s.

  --packets N        packets per class and repetition [20000]
  --reps N           repetitions of every class [3]
  --window W         requests in flight in the request/response classes [16]
  --rounds N         throughput rounds [5]
  --seconds S        length of one iperf3 run [7]
  --iperf-cpus C,S   CPUs of the iperf3 client and server [TCP 0,0; UDP 0,1]
  --no-per-packet    skip the per-packet cost (and the empty program under traffic)
  --no-throughput    skip the throughput
  --only ID,...      per-packet classes to measure (${CLASS_IDS.join(', ')}) [all]
  --out DIR          where the results go [bench/results]
  -h, --help         this text

Writes DIR/datapath-<date>.json and .md. Exit status: 0 all targets met,
3 a target missed, 2 a bad command line, 1 the benchmark could not run.
`;

function options(): DatapathOptions {
  const cl = commandLine(USAGE, {
    packets: { type: 'string' },
    reps: { type: 'string' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    window: { type: 'string' },
    'iperf-cpus': { type: 'string' },
    'no-per-packet': { type: 'boolean' },
    'no-throughput': { type: 'boolean' },
    only: { type: 'string' },
    out: { type: 'string' },
  });
  const cpus = list(cl, 'iperf-cpus');
  if (cpus && (cpus.length !== 2 || !cpus.every((c) => /^\d+$/.test(c)))) throw new UsageError('--iperf-cpus needs CLIENT,SERVER (CPU numbers)');
  const only = list(cl, 'only');
  const unknown = (only ?? []).filter((id) => !CLASS_IDS.includes(id));
  if (unknown.length) throw new UsageError(`--only: no class ${unknown.join(', ')} (classes: ${CLASS_IDS.join(', ')})`);
  const o: DatapathOptions = {
    packets: num(cl, 'packets', 20000, { integer: true, min: 1 }),
    reps: num(cl, 'reps', 3, { integer: true, min: 1 }),
    rounds: num(cl, 'rounds', 5, { integer: true, min: 1 }),
    seconds: num(cl, 'seconds', 7),
    window: num(cl, 'window', 16, { integer: true, min: 1 }),
    iperfCpus: cpus ? [Number(cpus[0]), Number(cpus[1])] : null,
    throughput: !flag(cl, 'no-throughput'),
    perPacket: !flag(cl, 'no-per-packet'),
    ...(only ? { only } : {}),
    out: path.resolve(str(cl, 'out', RESULTS)),
  };
  const budget = o.rounds * 5 * (o.seconds + 1) + 60;
  if (o.throughput && budget * 1000 > DEADLINE_MS) throw new UsageError(`--rounds ${o.rounds} --seconds ${o.seconds} would take about ${budget} s, more than the ${DEADLINE_MS / 1000} s bound`);
  return o;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\n[bench] ${sig}: cleaning up\n`);
    cleanup();
    process.exit(128 + os.constants.signals[sig]);
  });
}
process.on('exit', cleanup);

async function run(): Promise<number> {
  const o = options();
  if (process.getuid?.() !== 0) throw new UsageError('needs root (eBPF, tc, network namespaces): sudo bench/datapath.sh');
  const watchdog = setTimeout(() => {
    process.stderr.write(`[bench] still running after ${DEADLINE_MS / 1000} s: giving up\n`);
    cleanup();
    process.exit(1);
  }, DEADLINE_MS);
  watchdog.unref();

  state.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-bench-'));
  const runId = crypto.randomBytes(3).toString('hex');
  const hosts = (net: number): HostSpec[] => [
    { name: 'gnb', type: 'gNB', addr: `198.18.${net}.1/24` },
    { name: 'upf', type: 'UPF', addr: `198.18.${net}.2/24` },
    { name: 'smf', type: 'SMF', addr: `198.18.${net}.3/24` },
    { name: 'amf', type: 'AMF', addr: `198.18.${net}.4/24` },
  ];
  // No IPv6 anywhere: router solicitations and MLD reports would add program runs to a measurement.
  const names = { netnsPrefix: 'nfscope-bench-', vethPrefix: 'nbv', bridgePrefix: 'nbb', ipv6: 'off' } as const;
  say(`run ${runId}: topology A (198.18.0.0/24, exporter attached) and B (198.18.1.0/24, not attached)`);
  const topoA = Topology.create(hosts(0), { ...names, id: `${runId}a` });
  state.topologies.push(topoA);
  const topoB = Topology.create(hosts(1), { ...names, id: `${runId}b` });
  state.topologies.push(topoB);
  for (const t of [topoA, topoB]) t.pinNeighbours();

  // Per-packet cost is read from the kernel's run-time statistics: on for this part.
  let ex = await startExporter(topoA, true);
  say(`exporter ${ex.version} attached to ${(ex.interfaces ?? []).map((i) => `${i.name} (${i.mode})`).join(', ')}`);
  await warmUp(topoA);
  await warmUp(topoB);

  const res: DatapathResult = { environment: environment(ex), options: o, method: { per_packet: PER_PACKET, stats_overhead: STATS_OVERHEAD, throughput: THROUGHPUT }, stats_overhead: {} };
  if (res.environment.other_exporters_at_start.length) {
    say(`warning: other nfscope exporters are running (pids ${res.environment.other_exporters_at_start.join(', ')}): they take CPU time and keep bpf_stats on; expect noisier figures`);
  }
  if (o.perPacket) {
    say(`per-packet cost: ${o.packets} packets per class`);
    res.per_packet = await perPacket(ex, topoA, o);
  }
  const empty = loadEmpty();
  if (o.perPacket) res.stats_overhead.empty_in_situ = await emptyInSitu(empty, topoB, o);
  res.stats_overhead.test_run = testRuns(empty, topoA);

  if (o.throughput) {
    // Throughput as deployed: the exporter's default leaves the statistics off.
    say('restarting the exporter with program_stats: false (its default) for the throughput runs');
    ex.child.kill('SIGTERM');
    await ex.child.result;
    ex = await startExporter(topoA, false);
    say(`throughput: ${o.rounds} rounds × (TCP, UDP) × (A, B), ${o.seconds} s each`);
    res.throughput = await throughput(topoA, topoB, empty, o);
  }

  say('stopping the exporter');
  ex.child.kill('SIGTERM');
  const exit = await ex.child.result;
  if (exit.code !== 0) say(`the exporter exited with ${exit.code ?? exit.signal}: ${exit.stderr.trim()}`);
  // With the exporter gone, statistics are off unless another process keeps them on.
  statsOff(empty, res.stats_overhead);

  res.seconds = round((Date.now() - T0) / 1000, 0);
  res.pass = [...(res.per_packet ?? []), ...(res.throughput ?? [])].every((r) => r.pass);
  const md = markdown(res);
  fs.mkdirSync(o.out, { recursive: true });
  const stamp = res.environment.date.replace(/:\d\d\.\d+Z$/, '').replace(':', '');
  const file = path.join(o.out, `datapath-${stamp}.json`);
  fs.writeFileSync(file, JSON.stringify(res, null, 2) + '\n');
  fs.writeFileSync(file.replace(/\.json$/, '.md'), md);
  cleanup();
  process.stdout.write(`\n${md}\nwritten: ${path.relative(process.cwd(), file)} (and .md)\n`);
  return res.pass ? 0 : 3;
}

main('bench/datapath.sh', run, { cleanup });
