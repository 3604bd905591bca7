/**
 * Exporter under load (root): the real exporter attached to three bench hosts
 * carrying 200 NF pairs of PFCP Heartbeats (20 SMF addresses × 10 UPF
 * addresses, 52.5 requests/s per pair: 21 000 packets/s with the
 * responses) and GTP-U G-PDUs gnb → upf (31 000 packets/s): at least 50 000
 * packets/s through the hooks. Measures, after a warm-up, the exporter's CPU
 * (utime + stime from /proc) over 60 s and its RSS, then the latency of
 * GET /api/v1/query for a one-hour heatmap over every series and of
 * GET /metrics, while the load goes on. Method: bench/README.md.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Topology } from '@nfscope/sim';
import { START_ENV, START_FLAGS } from '@nfscope/exporter/dist/v8-flags';
import { commandLine, flag, main, num, RunError, str } from './lib/args';
import { EXPORTER_BIN, script, tool } from './lib/paths';
import { finished, killAll, sleep, start, type Child } from './lib/proc';
import { machine, writeResult } from './lib/results';
import { r2, timeGets } from './lib/stats';

const USAGE = `sudo node bench/dist/exporter-load.js [options]

The real exporter under 200 NF pairs of PFCP and 31 000 G-PDUs/s: its CPU
and RSS over --seconds after a warm-up, then query and scrape latency while
the load goes on (p99 of 200: the third slowest). About 2.5 minutes.

  --seconds S        measured window [60]
  --warmup S         seconds of load before the window [20]
  --rate R           PFCP requests/s over all pairs [10500]
  --gpdu R           G-PDUs/s gnb -> upf [31000]
  --queries N        timed requests per query [200]
  --empty-history    start the exporter without the 24 h history state file
                     (bench/history-state writes it, the exporter reads it at start)
  --v8-defaults      start node without the exporter's start flags and environment
  --node-flags "F"   other node/V8 flags for the exporter (to compare settings)
  --cpu-prof DIR     profile the exporter's JavaScript over the window into DIR
  --out FILE         result file [bench/results/exporter-load-<date>.json]
  -h, --help         this text

The exporter starts as the Dockerfile starts it: node with the start flags
and environment of exporter/src/v8-flags.ts. At the end it saves its history
on SIGTERM (the time it took is recorded).
`;

const T0 = Date.now();
const say = (m: string): boolean => process.stdout.write(`[load ${((Date.now() - T0) / 1000).toFixed(1).padStart(5)}s] ${m}\n`);

const SMFS = Array.from({ length: 20 }, (_, i) => `198.18.4.${i + 1}`);
const UPFS = Array.from({ length: 10 }, (_, i) => `198.18.4.${i + 101}`);
const GNB = '198.18.4.200';
const LOAD = tool('load-peer');
const HISTORY_STATE = script('history-state');

interface HistoryStateResult {
  series: number;
  file_bytes: number;
  seconds: number;
}
interface Status {
  memory: Record<string, number>;
  history: { series: number; bytes: number; tiers: Array<{ held_s: number }> };
}
interface Frames {
  frames: Array<{ fields: Array<{ labels: Record<string, string>; values: number[] }> }>;
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ 100)
}

function status(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** RSS split into anonymous memory (heaps) and file pages (the node binary, libraries), MiB. */
function rssSplit(pid: number): { anonymous_mib: number; file_mib: number } {
  const t = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(t)?.[1] ?? NaN);
  return { anonymous_mib: r2(kb('Anonymous') / 1024), file_mib: r2((kb('Rss') - kb('Anonymous')) / 1024) };
}

/** Other busy processes on the machine, for the record. */
function otherLoad(): string[] {
  const out = execFileSync('ps', ['-eo', 'pcpu,comm', '--sort=-pcpu'], { encoding: 'utf8' }).split('\n').slice(1, 8);
  return out.map((l) => l.trim()).filter((l) => l && Number(l.split(/\s+/)[0]) >= 5);
}

async function run(): Promise<number> {
  const cl = commandLine(USAGE, {
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    rate: { type: 'string' },
    gpdu: { type: 'string' },
    queries: { type: 'string' },
    'empty-history': { type: 'boolean' },
    'v8-defaults': { type: 'boolean' },
    'node-flags': { type: 'string' },
    'cpu-prof': { type: 'string' },
    out: { type: 'string' },
  });
  const v8Defaults = flag(cl, 'v8-defaults');
  const o = {
    seconds: num(cl, 'seconds', 60, { integer: true, min: 1 }),
    warmup: num(cl, 'warmup', 20, { min: 0 }),
    rate: num(cl, 'rate', 10500),
    gpdu: num(cl, 'gpdu', 31000),
    queries: num(cl, 'queries', 200, { integer: true, min: 1 }),
    out: str(cl, 'out'),
    cpuProf: str(cl, 'cpu-prof') ?? null,
    fullHistory: !flag(cl, 'empty-history'),
    nodeFlags: (str(cl, 'node-flags') ?? '').split(/\s+/).filter(Boolean),
    startFlags: v8Defaults ? [] : [...START_FLAGS],
    startEnv: v8Defaults ? {} : { ...START_ENV },
  };
  if (process.getuid?.() !== 0) throw new RunError('needs root (network namespaces, eBPF)');
  const id = crypto.randomBytes(2).toString('hex');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-load-'));
  let topo: Topology | undefined;
  let exporter: Child;
  const cleanup = (): void => {
    killAll();
    topo?.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    topo = Topology.create(
      [
        { name: 'smf', type: 'SMF', addr: `${SMFS[0]}/24` },
        { name: 'upf', type: 'UPF', addr: `${UPFS[0]}/24` },
        { name: 'gnb', type: 'gNB', addr: `${GNB}/24` },
      ],
      { id: `${id}l`, netnsPrefix: 'nfscope-bench-', vethPrefix: 'nbv', bridgePrefix: 'nbb', ipv6: 'off' },
    );
    for (const a of SMFS.slice(1)) topo.addAddress('smf', `${a}/24`);
    for (const a of UPFS.slice(1)) topo.addAddress('upf', `${a}/24`);
    topo.pinNeighbours();
    // Every extra address is on the same links: pin those neighbours too.
    for (const a of UPFS.slice(1)) topo.pinNeighbour('smf', a, 'upf');
    for (const a of SMFS.slice(1)) topo.pinNeighbour('upf', a, 'smf');

    const nfs = [
      ...SMFS.map((a, i) => `  - { name: smf-${i + 1}, type: SMF, addresses: ["${a}"] }`),
      ...UPFS.map((a, i) => `  - { name: upf-${i + 1}, type: UPF, addresses: ["${a}"] }`),
      `  - { name: gnb-1, type: gNB, addresses: ["${GNB}"] }`,
    ];
    const config = path.join(tmp, 'nfscope.yaml');
    const stateFile = path.join(tmp, 'history.state');
    fs.writeFileSync(config, `node: bench\ninterfaces: ["${topo.vethGlob}"]\nhistory: { state_file: ${JSON.stringify(stateFile)} }\nnfs:\n${nfs.join('\n')}\n`);
    let generated: HistoryStateResult | null = null;
    if (o.fullHistory) {
      say('writing 24 h of history for these NFs (bench/history-state.ts)');
      const rate = o.rate / (SMFS.length * UPFS.length);
      const gen = start<HistoryStateResult>(
        [process.execPath, HISTORY_STATE, '--out', stateFile, '--smfs', String(SMFS.length), '--upfs', String(UPFS.length), '--rate', String(rate), '--gpdu', String(o.gpdu)],
        { timeoutMs: 170_000, label: 'history-state' },
      );
      generated = await finished(gen, 'bench/history-state');
      say(`state file: ${generated.series} series, ${r2(generated.file_bytes / 2 ** 20)} MiB, in ${generated.seconds} s`);
    }
    const port = 19000 + (parseInt(id, 16) % 1000);
    const pin = os.cpus().length > 1 ? ['taskset', '-c', `${os.cpus().length - 1}`] : [];
    // The window measured below: from the end of the warm-up (after the exporter is ready and the load started) for o.seconds.
    const prof = o.cpuProf ? ['-r', tool('cpu-profile')] : [];
    if (o.cpuProf)
      Object.assign(process.env, { NFSCOPE_BENCH_PROF_DIR: path.resolve(o.cpuProf), NFSCOPE_BENCH_PROF_DELAY_MS: String((o.warmup + 5) * 1000), NFSCOPE_BENCH_PROF_MS: String(o.seconds * 1000) });
    const env = Object.entries(o.startEnv).map(([k, v]) => `${k}=${v}`);
    exporter = start(
      [
        ...pin,
        ...(env.length > 0 ? ['env', ...env] : []),
        process.execPath,
        ...o.startFlags,
        ...o.nodeFlags,
        ...prof,
        EXPORTER_BIN,
        '--config',
        config,
        '--listen',
        `127.0.0.1:${port}`,
        '--detach-on-exit',
      ],
      { timeoutMs: 200_000, label: 'exporter' },
    );
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/readyz`)).status === 200) break;
      } catch {
        /* not yet */
      }
      if (i > 150 || exporter.proc.exitCode !== null) throw new RunError(`exporter not ready: ${(await Promise.race([exporter.result, sleep(100)]))?.stderr ?? ''}`);
      await sleep(100);
    }
    const pid = exporter.proc.pid!;
    const statusOf = async (): Promise<Status> => (await (await fetch(`${url}/api/v1/status`)).json()) as Status;
    const memory = async (): Promise<Record<string, number>> => Object.fromEntries(Object.entries((await statusOf()).memory).map(([k, v]) => [k.replace(/_bytes$/, '_mib'), r2(v / 2 ** 20)]));
    const atStart = { rss_mib: r2(status(pid, 'VmRSS')), history: (await statusOf()).history, memory: await memory(), ...rssSplit(pid) };
    say(
      `exporter ${pid} ready: RSS ${atStart.rss_mib} MiB, history ${atStart.history.series} series, ${r2(atStart.history.bytes / 2 ** 20)} MiB, held ${atStart.history.tiers.map((t) => t.held_s).join(' / ')} s`,
    );
    say(`exporter ${pid} ready; load: ${o.rate} PFCP requests/s over ${SMFS.length * UPFS.length} pairs + ${o.gpdu} G-PDUs/s`);

    const total = o.warmup + o.seconds + 40;
    const server = start([...topo.inHost('upf'), process.execPath, LOAD, 'pfcp-server', '--on', UPFS.join(','), '--seconds', String(total + 2)], { readyRe: /ready/, timeoutMs: 170_000 });
    await server.ready;
    const sink = start([...topo.inHost('upf'), 'sh', '-c', 'exec sleep 1000'], { timeoutMs: 170_000 });
    const client = start([...topo.inHost('smf'), process.execPath, LOAD, 'pfcp-client', '--from', SMFS.join(','), '--to', UPFS.join(','), '--rate', String(o.rate), '--seconds', String(total)], {
      readyRe: /ready/,
      timeoutMs: 170_000,
    });
    const gpdu = start([...topo.inHost('gnb'), process.execPath, LOAD, 'gpdu', '--from', GNB, '--to', UPFS[0], '--rate', String(o.gpdu), '--seconds', String(total)], {
      readyRe: /ready/,
      timeoutMs: 170_000,
    });
    await Promise.all([client.ready, gpdu.ready]);

    await sleep(o.warmup * 1000);
    const cpu0 = cpuSeconds(pid);
    const w0 = Date.now();
    // RSS once a second over the window (from /proc: no request to the exporter while its CPU is counted).
    const rssSeries: number[] = [];
    for (let i = 0; i < o.seconds; i++) {
      await sleep(Math.max(0, w0 + (i + 1) * 1000 - Date.now()));
      rssSeries.push(status(pid, 'VmRSS'));
    }
    const cpu = (cpuSeconds(pid) - cpu0) / ((Date.now() - w0) / 1000);
    const rss = status(pid, 'VmRSS');
    const hwm = status(pid, 'VmHWM');
    const others = otherLoad();
    const afterLoad = { rss_min_mib: r2(Math.min(...rssSeries)), rss_max_mib: r2(Math.max(...rssSeries)), rss_mib_each_second: rssSeries.map(r2), memory: await memory(), ...rssSplit(pid) };
    say(`exporter CPU ${r2(cpu * 100)} % of one core over ${o.seconds} s; RSS ${r2(rss)} MiB (peak ${r2(hwm)})`);

    // What crossed the hooks in that window, as the exporter counted it.
    const q = async <T>(p: string): Promise<T> => (await (await fetch(url + p)).json()) as T;
    const traffic = await q<Frames>(`/api/v1/query?kind=traffic&from=${w0}&to=${w0 + o.seconds * 1000}&step=${o.seconds}s&group_by=interface`);
    const pps = Object.fromEntries(traffic.frames.map((f) => [f.fields[1].labels.interface, r2(f.fields[1].values[0])]));
    const st = await q<Status>('/api/v1/status');
    const pairs = await q<Frames>('/api/v1/query?kind=nf_pairs&from=now-60s');
    const series = pairs.frames[0].fields[0].values.length;
    say(`packets/s by interface: ${JSON.stringify(pps)}; ${series} NF-pair series; history ${st.history.series} series, ${r2(st.history.bytes / 2 ** 20)} MiB`);

    const queries = {
      heatmap_1h: await timeGets(`${url}/api/v1/query?kind=latency_heatmap&from=now-1h`, o.queries, 3),
      metrics_scrape: await timeGets(`${url}/metrics`, o.queries, 3),
    };
    for (const [k, v] of Object.entries(queries)) say(`${k}: p50 ${v.p50_ms} ms, p99 ${v.p99_ms} ms (${v.bytes} bytes)`);
    const afterQueries = { rss_mib: r2(status(pid, 'VmRSS')), rss_peak_mib: r2(status(pid, 'VmHWM')), memory: await memory(), ...rssSplit(pid) };
    say(`after the queries: RSS ${afterQueries.rss_mib} MiB (peak ${afterQueries.rss_peak_mib})`);
    // What is left of the queries' garbage 15 s later, the load still running (a scrape every
    // 15 s is Prometheus's default: the 100 requests above came within seconds).
    await sleep(15_000);
    const settled = { rss_mib: r2(status(pid, 'VmRSS')), memory: await memory(), ...rssSplit(pid) };
    say(`15 s later: RSS ${settled.rss_mib} MiB`);
    const [c, g, s] = await Promise.all([finished(client, 'pfcp client'), finished(gpdu, 'gpdu sender'), finished(server, 'pfcp server')]);
    sink.kill('SIGKILL');
    exporter.kill('SIGTERM');
    const ended = await exporter.result;
    const savedLine = /history: saved [^\n]*/.exec(ended.stderr)?.[0] ?? null;
    const restored = /history: restored [^\n]*/.exec(ended.stderr)?.[0] ?? null;
    say(`${restored ?? 'no history restored'}; at exit: ${savedLine ?? 'not saved'}`);
    const m = machine();
    const result = {
      bench: 'exporter-load',
      at: new Date().toISOString(),
      machine: m,
      kernel: m.kernel,
      cpus: m.cpus,
      exporter_cpu_percent_of_one_core: r2(cpu * 100),
      exporter_rss_mib: r2(rss),
      exporter_rss_peak_mib: r2(hwm),
      measured_seconds: o.seconds,
      packets_per_second: pps,
      packets_per_second_total: r2(Object.values(pps).reduce((a, b) => a + b, 0)),
      nf_pair_series: series,
      full_history: o.fullHistory,
      history_state_generated: generated,
      node_flags: [...o.startFlags, ...o.nodeFlags],
      start_env: o.startEnv,
      at_start: atStart,
      during_window: afterLoad,
      history_restored: restored,
      history_saved: savedLine,
      history: st.history,
      queries,
      after_queries: afterQueries,
      after_queries_15s: settled,
      load: { pfcp_client: c, gpdu: g, pfcp_server: s },
      other_processes_over_5_percent_cpu: others,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    say(`written: ${writeResult('exporter-load', result, o.out)}`);
  } finally {
    cleanup();
    const left = topo?.leftovers() ?? [];
    if (left.length > 0) process.stderr.write(`left over: ${left.join(', ')}\n`);
  }
  return 0;
}

main('bench/exporter-load', run, { cleanup: killAll });
