#!/usr/bin/env node
'use strict';
/**
 * Exporter under load (root): the real exporter attached to three bench hosts
 * carrying 200 NF pairs of PFCP Heartbeats (20 SMF addresses × 10 UPF
 * addresses, 52.5 requests/s per pair: 21 000 packets/s with the
 * responses) and GTP-U G-PDUs gnb → upf (31 000 packets/s): at least 50 000 packets/s
 * through the hooks. Measures, after a warm-up, the exporter's CPU (utime +
 * stime from /proc) over 60 s and its RSS, then the latency of
 * GET /api/v1/query for a one-hour heatmap over every series and of
 * GET /metrics, while the load goes on: --queries of each, one after the
 * other (p99 of 200: the third slowest). About 2.5 minutes.
 *
 * The exporter starts with a full history (24 h for the series the load
 * makes): bench/history-state.js writes it, in a process of its own, to the
 * exporter's history.state_file, and the exporter reads it back at start, as
 * after a restart. --empty-history starts it without one (the history then
 * holds only the seconds of the run). At the end the exporter saves its history
 * again on SIGTERM (the time it took is recorded).
 *
 *   sudo node bench/exporter-load.js [--seconds 60] [--rate 10500] [--gpdu 31000] [--queries 200] [--empty-history] [--v8-defaults] [--node-flags "FLAGS"] [--out FILE] [--cpu-prof DIR]
 *
 * The exporter starts as the Dockerfile starts it: node with the start flags
 * and environment of exporter/src/v8-flags.ts (--v8-defaults: without them,
 * glibc's and V8's defaults); --node-flags adds
 * other node/V8 flags (to compare settings).
 */
const { execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Topology } = require('./lib/topology');
const { start, finished, killAll, sleep } = require('./lib/proc');

const REPO = path.resolve(__dirname, '..');
const EXPORTER_BIN = path.join(REPO, 'exporter/bin/nfscope-exporter.js');
const LOAD = path.join(__dirname, 'tools/load-peer.js');
const HISTORY_STATE = path.join(__dirname, 'history-state.js');
const T0 = Date.now();
const say = (m) => process.stdout.write(`[load ${((Date.now() - T0) / 1000).toFixed(1).padStart(5)}s] ${m}\n`);

function parseArgs(argv) {
  const o = { seconds: 60, rate: 10500, gpdu: 31000, warmup: 20, queries: 200, out: null, cpuProf: null, fullHistory: true, nodeFlags: [], startFlags: require(path.join(REPO, 'exporter/dist/v8-flags.js')).START_FLAGS, startEnv: require(path.join(REPO, 'exporter/dist/v8-flags.js')).START_ENV };
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i];
    if (argv[i] === '--seconds') o.seconds = Number(v());
    else if (argv[i] === '--rate') o.rate = Number(v());
    else if (argv[i] === '--gpdu') o.gpdu = Number(v());
    else if (argv[i] === '--queries') o.queries = Number(v());
    else if (argv[i] === '--out') o.out = v();
    else if (argv[i] === '--cpu-prof') o.cpuProf = v();
    else if (argv[i] === '--empty-history') o.fullHistory = false;
    else if (argv[i] === '--v8-defaults') {
      o.startFlags = [];
      o.startEnv = {};
    }
    else if (argv[i] === '--node-flags') o.nodeFlags = v().split(/\s+/).filter(Boolean);
    else if (argv[i] === '-h' || argv[i] === '--help') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('*/')[0].replace(/^[^]*?\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]} (see --help)`);
  }
  return o;
}

const SMFS = Array.from({ length: 20 }, (_, i) => `198.18.4.${i + 1}`);
const UPFS = Array.from({ length: 10 }, (_, i) => `198.18.4.${i + 101}`);
const GNB = '198.18.4.200';

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ 100)
}

function status(pid, key) {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : null;
}

/** RSS split into anonymous memory (heaps) and file pages (the node binary, libraries), MiB. */
function rssSplit(pid) {
  const t = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(t)?.[1] ?? NaN);
  return { anonymous_mib: r2(kb('Anonymous') / 1024), file_mib: r2((kb('Rss') - kb('Anonymous')) / 1024) };
}

const pct = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
const r2 = (x) => Math.round(x * 100) / 100;

async function timeGets(url, n) {
  const ms = [];
  let bytes = 0;
  for (let i = 0; i < n + 3; i++) {
    const t = process.hrtime.bigint();
    const r = await fetch(url);
    const body = await r.text();
    if (!r.ok) throw new Error(`${url}: ${r.status} ${body.slice(0, 200)}`);
    if (i >= 3) ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    bytes = body.length;
  }
  return { n, p50_ms: r2(pct(ms, 0.5)), p99_ms: r2(pct(ms, 0.99)), max_ms: r2(Math.max(...ms)), bytes };
}

/** Other busy processes on the machine, for the record. */
function otherLoad() {
  const out = execFileSync('ps', ['-eo', 'pcpu,comm', '--sort=-pcpu'], { encoding: 'utf8' }).split('\n').slice(1, 8);
  return out.map((l) => l.trim()).filter((l) => l && Number(l.split(/\s+/)[0]) >= 5);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid() !== 0) throw new Error('needs root (network namespaces, eBPF)');
  const id = crypto.randomBytes(2).toString('hex');
  const topo = new Topology(id, 'l', [
    { name: 'smf', type: 'SMF', addr: `${SMFS[0]}/24` },
    { name: 'upf', type: 'UPF', addr: `${UPFS[0]}/24` },
    { name: 'gnb', type: 'gNB', addr: `${GNB}/24` },
  ]);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-load-'));
  let exporter;
  const cleanup = () => {
    killAll();
    topo.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    topo.create();
    for (const a of SMFS.slice(1)) execFileSync('ip', ['-n', topo.host('smf').netns, 'addr', 'add', `${a}/24`, 'dev', 'eth0']);
    for (const a of UPFS.slice(1)) execFileSync('ip', ['-n', topo.host('upf').netns, 'addr', 'add', `${a}/24`, 'dev', 'eth0']);
    topo.pinNeighbours();
    // Every extra address is on the same links: pin those neighbours too.
    const mac = (h) => JSON.parse(execFileSync('ip', ['-n', topo.host(h).netns, '-j', 'link', 'show', 'eth0'], { encoding: 'utf8' }))[0].address;
    for (const a of UPFS.slice(1)) execFileSync('ip', ['-n', topo.host('smf').netns, 'neigh', 'replace', a, 'lladdr', mac('upf'), 'dev', 'eth0', 'nud', 'permanent']);
    for (const a of SMFS.slice(1)) execFileSync('ip', ['-n', topo.host('upf').netns, 'neigh', 'replace', a, 'lladdr', mac('smf'), 'dev', 'eth0', 'nud', 'permanent']);

    const nfs = [
      ...SMFS.map((a, i) => `  - { name: smf-${i + 1}, type: SMF, addresses: ["${a}"] }`),
      ...UPFS.map((a, i) => `  - { name: upf-${i + 1}, type: UPF, addresses: ["${a}"] }`),
      `  - { name: gnb-1, type: gNB, addresses: ["${GNB}"] }`,
    ];
    const config = path.join(tmp, 'nfscope.yaml');
    const stateFile = path.join(tmp, 'history.state');
    fs.writeFileSync(config, `node: bench\ninterfaces: ["${topo.vethGlob}"]\nhistory: { state_file: ${JSON.stringify(stateFile)} }\nnfs:\n${nfs.join('\n')}\n`);
    let generated = null;
    if (o.fullHistory) {
      say('writing 24 h of history for these NFs (bench/history-state.js)');
      const rate = o.rate / (SMFS.length * UPFS.length);
      const gen = start([process.execPath, HISTORY_STATE, '--out', stateFile, '--smfs', String(SMFS.length), '--upfs', String(UPFS.length), '--rate', String(rate), '--gpdu', String(o.gpdu)], { timeoutMs: 170_000, label: 'history-state' });
      generated = await finished(gen, 'bench/history-state.js');
      say(`state file: ${generated.series} series, ${r2(generated.file_bytes / 2 ** 20)} MiB, in ${generated.seconds} s`);
    }
    const port = 19000 + (parseInt(id, 16) % 1000);
    const pin = os.cpus().length > 1 ? ['taskset', '-c', `${os.cpus().length - 1}`] : [];
    // The window measured below: from the end of the warm-up (after the exporter is ready and the load started) for o.seconds.
    const prof = o.cpuProf ? ['-r', path.join(__dirname, 'tools/cpu-profile.js')] : [];
    if (o.cpuProf) Object.assign(process.env, { NFSCOPE_BENCH_PROF_DIR: path.resolve(o.cpuProf), NFSCOPE_BENCH_PROF_DELAY_MS: String((o.warmup + 5) * 1000), NFSCOPE_BENCH_PROF_MS: String(o.seconds * 1000) });
    const env = Object.entries(o.startEnv).map(([k, v]) => `${k}=${v}`);
    exporter = start([...pin, ...(env.length > 0 ? ['env', ...env] : []), process.execPath, ...o.startFlags, ...o.nodeFlags, ...prof, EXPORTER_BIN, '--config', config, '--listen', `127.0.0.1:${port}`, '--detach-on-exit'], { timeoutMs: 200_000, label: 'exporter' });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/readyz`)).status === 200) break;
      } catch {
        /* not yet */
      }
      if (i > 150 || exporter.proc.exitCode !== null) throw new Error(`exporter not ready: ${(await Promise.race([exporter.result, sleep(100)]))?.stderr ?? ''}`);
      await sleep(100);
    }
    const pid = exporter.proc.pid;
    const memory = async () => Object.fromEntries(Object.entries((await (await fetch(`${url}/api/v1/status`)).json()).memory).map(([k, v]) => [k.replace(/_bytes$/, '_mib'), r2(v / 2 ** 20)]));
    const atStart = { rss_mib: r2(status(pid, 'VmRSS')), history: (await (await fetch(`${url}/api/v1/status`)).json()).history, memory: await memory(), ...rssSplit(pid) };
    say(`exporter ${pid} ready: RSS ${atStart.rss_mib} MiB, history ${atStart.history.series} series, ${r2(atStart.history.bytes / 2 ** 20)} MiB, held ${atStart.history.tiers.map((t) => t.held_s).join(' / ')} s`);
    say(`exporter ${pid} ready; load: ${o.rate} PFCP requests/s over ${SMFS.length * UPFS.length} pairs + ${o.gpdu} G-PDUs/s`);

    const total = o.warmup + o.seconds + 40;
    const server = start([...topo.inHost('upf'), process.execPath, LOAD, 'pfcp-server', '--on', UPFS.join(','), '--seconds', String(total + 2)], { readyRe: /ready/, timeoutMs: 170_000 });
    await server.ready;
    const sink = start([...topo.inHost('upf'), 'sh', '-c', 'exec sleep 1000'], { timeoutMs: 170_000 });
    const client = start([...topo.inHost('smf'), process.execPath, LOAD, 'pfcp-client', '--from', SMFS.join(','), '--to', UPFS.join(','), '--rate', String(o.rate), '--seconds', String(total)], { readyRe: /ready/, timeoutMs: 170_000 });
    const gpdu = start([...topo.inHost('gnb'), process.execPath, LOAD, 'gpdu', '--from', GNB, '--to', UPFS[0], '--rate', String(o.gpdu), '--seconds', String(total)], { readyRe: /ready/, timeoutMs: 170_000 });
    await Promise.all([client.ready, gpdu.ready]);

    await sleep(o.warmup * 1000);
    const cpu0 = cpuSeconds(pid);
    const w0 = Date.now();
    // RSS once a second over the window (from /proc: no request to the exporter while its CPU is counted).
    const rssSeries = [];
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
    const q = async (p) => (await fetch(url + p)).json();
    const traffic = await q(`/api/v1/query?kind=traffic&from=${w0}&to=${w0 + o.seconds * 1000}&step=${o.seconds}s&group_by=interface`);
    const pps = Object.fromEntries(traffic.frames.map((f) => [f.fields[1].labels.interface, r2(f.fields[1].values[0])]));
    const st = await q('/api/v1/status');
    const pairs = await q('/api/v1/query?kind=nf_pairs&from=now-60s');
    const series = pairs.frames[0].fields[0].values.length;
    say(`packets/s by interface: ${JSON.stringify(pps)}; ${series} NF-pair series; history ${st.history.series} series, ${r2(st.history.bytes / 2 ** 20)} MiB`);

    const queries = {
      heatmap_1h: await timeGets(`${url}/api/v1/query?kind=latency_heatmap&from=now-1h`, o.queries),
      metrics_scrape: await timeGets(`${url}/metrics`, o.queries),
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
    const result = {
      kernel: os.release(),
      cpus: os.cpus().length,
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
    if (o.out) fs.writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    cleanup();
    const left = topo.leftovers();
    if (left.length > 0) process.stderr.write(`left over: ${left.join(', ')}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`bench/exporter-load.js: ${e.stack || e.message}\n`);
  killAll();
  process.exit(1);
});
