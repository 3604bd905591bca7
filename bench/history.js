#!/usr/bin/env node
'use strict';
/**
 * History benchmark (no root): the exporter's own Collector, history and
 * HTTP app, fed 24 hours of counts for 200 NF-pair series, then measured:
 * bytes the history holds and the process's RSS at full history, the CPU a
 * one-second tick costs at that size, and the latency of GET /api/v1/query
 * for a one-hour heatmap over every series, side by side with GET /metrics of
 * the same series.
 *
 * The kernel is replaced by a counter source (FakeKernel below) that grows
 * cumulative histograms and counters as the eBPF maps do. The history is
 * filled with 24 hours of its deltas through the collector's history sink
 * (HistoryFeed), less often where only a coarse tier keeps the data: every
 * 60 s for the oldest 18 h (only the 1-minute tier reaches back that far),
 * every 10 s until the last 15 minutes, then every second; each tier then
 * holds exactly what per-second reads would have left in it. Then the real
 * Collector reads the fake maps once a second for a minute (its CPU is
 * measured), and the real HTTP app answers /api/v1/query and /metrics.
 *
 * It runs with the heap settings the exporter starts with
 * (exporter/src/v8-flags.ts, START_FLAGS); --no-v8-flags keeps V8's defaults.
 *
 *   node --expose-gc bench/history.js [--pairs 200] [--rate 50] [--queries 100] [--no-v8-flags] [--out FILE]
 */
const path = require('path');
const fs = require('fs');

const REPO = path.resolve(__dirname, '..');
const dist = (m) => require(path.join(REPO, 'exporter/dist', m));
// The heap and malloc settings the exporter starts with (--no-v8-flags: V8's and glibc's defaults). V8 takes them only
// at start: without them on the command line, this script runs itself again with them.
const { START_FLAGS, missingStartFlags, missingStartEnv } = dist('v8-flags.js');
const V8_FLAGS = process.argv.includes('--no-v8-flags') ? [] : START_FLAGS;
if (V8_FLAGS.length > 0 && (missingStartFlags().length > 0 || missingStartEnv().length > 0)) {
  const env = { ...process.env, ...Object.fromEntries(missingStartEnv().map((kv) => kv.split('='))) };
  const r = require('child_process').spawnSync(process.execPath, [...process.execArgv, ...missingStartFlags(), __filename, ...process.argv.slice(2)], { stdio: 'inherit', env });
  process.exit(r.status ?? 1);
}
const { Collector } = dist('collector.js');
const { HistoryStore } = dist('history/store.js');
const { HistoryFeed } = dist('history/feed.js');
const { createApp } = dist('server.js');
const { FakeKernel, fillHistory } = require('./lib/fake-kernel');

function parseArgs(argv) {
  const o = { pairs: 200, rate: 50, queries: 100, out: null, v8Flags: V8_FLAGS };
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i];
    if (argv[i] === '--pairs') o.pairs = Number(v());
    else if (argv[i] === '--rate') o.rate = Number(v());
    else if (argv[i] === '--queries') o.queries = Number(v());
    else if (argv[i] === '--out') o.out = v();
    else if (argv[i] === '--no-v8-flags') continue;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return o;
}

const pct = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
const r2 = (x) => Math.round(x * 100) / 100;
const mib = (b) => r2(b / 1024 / 1024);

async function timeGets(url, n) {
  const ms = [];
  let bytes = 0;
  for (let i = 0; i < n + 5; i++) {
    const t0 = process.hrtime.bigint();
    const r = await fetch(url);
    const body = await r.text();
    const dt = Number(process.hrtime.bigint() - t0) / 1e6;
    if (!r.ok) throw new Error(`${url}: ${r.status} ${body.slice(0, 200)}`);
    if (i >= 5) ms.push(dt); // five warm-up requests
    bytes = body.length;
  }
  return { n, p50_ms: r2(pct(ms, 0.5)), p99_ms: r2(pct(ms, 0.99)), max_ms: r2(Math.max(...ms)), bytes };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');
  const t0 = Date.now();
  const say = (m) => process.stdout.write(`[history ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);
  const kernel = new FakeKernel(o.pairs, o.rate);
  const config = { node: 'bench', interfaces: [], nfs: kernel.nfs, protocols: { pfcp: [8805], gtpu: [2152], sbi: [], ngap: [] }, peers: [], requestTimeoutSeconds: 10, durationBuckets: undefined, programStats: false };
  const collector = new Collector(kernel, 'bench', 10);
  const store = new HistoryStore({});
  const feed = new HistoryFeed(store, config);
  const { latencyLabels } = dist('collector.js');
  for (const p of kernel.pairs) {
    p.labels = latencyLabels(kernel.nfTable, p.key);
    p.traffic = { src_nf: p.labels.client_nf, dst_nf: p.labels.server_nf, interface: p.labels.interface };
  }

  // 24 h ending 60 s ago; the last 60 s are read once a second and timed.
  const end = Math.floor(Date.now() / 1000) - 60;
  say(`filling 24 h of history: ${kernel.pairs.length} pairs at ${o.rate} requests/s each`);
  fillHistory(kernel, feed, end);
  // The collector's first read learns the maps' totals (as at exporter start); from then on it feeds the history.
  collector.tick(end * 1000);
  collector.history = feed;
  global.gc();
  // Bytes per tier and family: where the memory goes.
  const breakdown = store.tiers.map((t) => ({ resolution_s: t.resolutionS, by_family: {} }));
  for (const s of store.allSeries()) {
    s.tiers.forEach((td, ti) => {
      const f = (breakdown[ti].by_family[s.family] ??= { mib: 0, points: 0 });
      for (const c of td.chunks) {
        f.mib += (c.out ? c.out.buf.length : c.len) / 1024 / 1024;
        f.points += c.filled;
      }
    });
  }
  for (const b of breakdown) for (const f of Object.values(b.by_family)) f.bytes_per_point = r2((f.mib * 1024 * 1024) / f.points) , (f.mib = r2(f.mib));
  const mem = process.memoryUsage();
  const full = { ...store.stats(), breakdown, heap_used_mib: mib(mem.heapUsed), heap_total_mib: mib(mem.heapTotal), array_buffers_mib: mib(mem.arrayBuffers), rss_mib: mib(mem.rss) };
  say(`full history: ${full.series} series, ${mib(full.bytes)} MiB in the store, RSS ${full.rss_mib} MiB`);

  // Steady state: one tick a second, as the exporter does; CPU time per tick.
  const cpu0 = process.cpuUsage();
  const ticks = [];
  for (let i = 0; i < 60; i++) {
    kernel.advance(1);
    const a = process.hrtime.bigint();
    collector.tick((end + i + 1) * 1000);
    ticks.push(Number(process.hrtime.bigint() - a) / 1e6);
  }
  const cpu = process.cpuUsage(cpu0);
  const tick = { n: 60, p50_ms: r2(pct(ticks, 0.5)), p99_ms: r2(pct(ticks, 0.99)), cpu_ms_per_tick: r2((cpu.user + cpu.system) / 1000 / 60) };
  tick.core_percent = r2(tick.cpu_ms_per_tick / 10); // ms per 1000 ms tick, in percent
  say(`tick at full history: ${tick.cpu_ms_per_tick} ms CPU per 1 s tick (${tick.core_percent} % of one core)`);

  const app = createApp({
    config,
    datapath: kernel,
    collector,
    query: { store, node: 'bench', hosted: new Set(), peers: { peers: [], timeoutMs: 2000 } },
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const queries = {
    heatmap_1h: await timeGets(`${base}/api/v1/query?kind=latency_heatmap&from=now-1h`, o.queries),
    heatmap_1h_full_resolution: await timeGets(`${base}/api/v1/query?kind=latency_heatmap&from=now-1h&buckets_per_octave=16`, o.queries),
    percentiles_1h_per_pair: await timeGets(`${base}/api/v1/query?kind=latency_percentiles&from=now-1h`, Math.min(o.queries, 30)),
    nf_pairs_1h: await timeGets(`${base}/api/v1/query?kind=nf_pairs&from=now-1h`, o.queries),
    heatmap_24h: await timeGets(`${base}/api/v1/query?kind=latency_heatmap&from=now-24h`, Math.min(o.queries, 30)),
    metrics_scrape: await timeGets(`${base}/metrics`, o.queries),
  };
  server.close();
  for (const [k, v] of Object.entries(queries)) say(`${k}: p50 ${v.p50_ms} ms, p99 ${v.p99_ms} ms, ${v.bytes} bytes`);
  global.gc();
  const after = { rss_mib: mib(process.memoryUsage().rss), heap_used_mib: mib(process.memoryUsage().heapUsed) };
  const result = { pairs: kernel.pairs.length, rate_per_pair: o.rate, node: process.version, v8_flags: o.v8Flags, full, tick, queries, after_queries: after, seconds: (Date.now() - t0) / 1000 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (o.out) fs.writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench/history.js: ${e.stack || e.message}\n`);
  process.exit(1);
});
