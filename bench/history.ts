/**
 * History benchmark (no root): the exporter's own Collector, history and
 * HTTP app, fed 24 hours of counts for 200 NF-pair series, then measured:
 * bytes the history holds and the process's RSS at full history, the CPU a
 * one-second tick costs at that size, and the latency of GET /api/v1/query
 * for a one-hour heatmap over every series, side by side with GET /metrics
 * of the same series. Method: bench/README.md.
 */
import { spawnSync } from 'child_process';
import type { AddressInfo } from 'net';
import { Collector, latencyLabels } from '@nfscope/exporter/dist/collector';
import type { Config } from '@nfscope/exporter/dist/config';
import { HistoryFeed } from '@nfscope/exporter/dist/history/feed';
import { HistoryStore } from '@nfscope/exporter/dist/history/store';
import { createApp } from '@nfscope/exporter/dist/server';
import { missingStartEnv, missingStartFlags, START_FLAGS } from '@nfscope/exporter/dist/v8-flags';
import { commandLine, flag, main, num, str, UsageError } from './lib/args';
import { FakeKernel, fillHistory } from './lib/fake-kernel';
import { machine, writeResult } from './lib/results';
import { mib, pct, r2, timeGets } from './lib/stats';

const USAGE = `node --expose-gc bench/dist/history.js [options]

The exporter's history at full size, without root: 24 h of counts for
--pairs NF-pair series through the exporter's own collector, history and
HTTP app; then the history's bytes and the RSS, the CPU of a one-second
tick, and the latency of range queries and of /metrics.

  --pairs N        NF-pair series [200]
  --rate R         requests/s per pair [50]
  --queries N      timed requests per query [100]
  --no-v8-flags    V8's and glibc's defaults instead of the exporter's start flags
  --out FILE       result file [bench/results/history-<date>.json]
  -h, --help       this text
`;

const OPTIONS = {
  pairs: { type: 'string' },
  rate: { type: 'string' },
  queries: { type: 'string' },
  'no-v8-flags': { type: 'boolean' },
  out: { type: 'string' },
} as const;

async function run(): Promise<number> {
  const cl = commandLine(USAGE, OPTIONS);
  const o = { pairs: num(cl, 'pairs', 200, { integer: true }), rate: num(cl, 'rate', 50), queries: num(cl, 'queries', 100, { integer: true }), out: str(cl, 'out') };
  // The heap and malloc settings the exporter starts with. V8 takes them only at start: without them
  // on the command line, this script runs itself again with them.
  const v8Flags = flag(cl, 'no-v8-flags') ? [] : [...START_FLAGS];
  if (v8Flags.length > 0 && (missingStartFlags().length > 0 || missingStartEnv().length > 0)) {
    const env = { ...process.env, ...Object.fromEntries(missingStartEnv().map((kv) => kv.split('='))) };
    const r = spawnSync(process.execPath, [...process.execArgv, ...missingStartFlags(), __filename, ...process.argv.slice(2)], { stdio: 'inherit', env });
    return r.status ?? 1;
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') throw new UsageError('run with node --expose-gc');
  const t0 = Date.now();
  const say = (m: string): boolean => process.stdout.write(`[history ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);
  const kernel = new FakeKernel(o.pairs, o.rate);
  const config = {
    node: 'bench',
    interfaces: [],
    nfs: kernel.nfs,
    protocols: { pfcp: [8805], gtpu: [2152], sbi: [], ngap: [] },
    peers: [],
    requestTimeoutSeconds: 10,
    durationBuckets: undefined,
    programStats: false,
  } as unknown as Config;
  const collector = new Collector(kernel.asDatapath(), 'bench', 10);
  const store = new HistoryStore({});
  const feed = new HistoryFeed(store, config);
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
  gc();
  // Bytes per tier and family: where the memory goes.
  const breakdown = store.tiers.map((t) => ({ resolution_s: t.resolutionS, by_family: {} as Record<string, { mib: number; points: number; bytes_per_point?: number }> }));
  for (const s of store.allSeries()) {
    s.tiers.forEach((td, ti) => {
      const f = (breakdown[ti].by_family[s.family] ??= { mib: 0, points: 0 });
      for (const c of td.chunks) {
        f.mib += (c.out ? c.out.buf.length : c.len) / 1024 / 1024;
        f.points += c.filled;
      }
    });
  }
  for (const b of breakdown) {
    for (const f of Object.values(b.by_family)) {
      f.bytes_per_point = r2((f.mib * 1024 * 1024) / f.points);
      f.mib = r2(f.mib);
    }
  }
  const mem = process.memoryUsage();
  const full = { ...store.stats(), breakdown, heap_used_mib: mib(mem.heapUsed), heap_total_mib: mib(mem.heapTotal), array_buffers_mib: mib(mem.arrayBuffers), rss_mib: mib(mem.rss) };
  say(`full history: ${full.series} series, ${mib(full.bytes)} MiB in the store, RSS ${full.rss_mib} MiB`);

  // Steady state: one tick a second, as the exporter does; CPU time per tick.
  const cpu0 = process.cpuUsage();
  const ticks: number[] = [];
  for (let i = 0; i < 60; i++) {
    kernel.advance(1);
    const a = process.hrtime.bigint();
    collector.tick((end + i + 1) * 1000);
    ticks.push(Number(process.hrtime.bigint() - a) / 1e6);
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMsPerTick = r2((cpu.user + cpu.system) / 1000 / 60);
  // ms per 1000 ms tick, in percent
  const tick = { n: 60, p50_ms: r2(pct(ticks, 0.5)), p99_ms: r2(pct(ticks, 0.99)), cpu_ms_per_tick: cpuMsPerTick, core_percent: r2(cpuMsPerTick / 10) };
  say(`tick at full history: ${tick.cpu_ms_per_tick} ms CPU per 1 s tick (${tick.core_percent} % of one core)`);

  const app = createApp({
    config,
    datapath: kernel.asDatapath(),
    collector,
    query: { store, node: 'bench', hosted: new Set(), peers: { peers: [], timeoutMs: 2000 } },
  } as unknown as Parameters<typeof createApp>[0]);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Five untimed requests before each series.
  const queries = {
    heatmap_1h: await timeGets(`${base}/api/v1/query?kind=latency_heatmap&from=now-1h`, o.queries, 5),
    heatmap_1h_full_resolution: await timeGets(`${base}/api/v1/query?kind=latency_heatmap&from=now-1h&buckets_per_octave=16`, o.queries, 5),
    percentiles_1h_per_pair: await timeGets(`${base}/api/v1/query?kind=latency_percentiles&from=now-1h`, Math.min(o.queries, 30), 5),
    nf_pairs_1h: await timeGets(`${base}/api/v1/query?kind=nf_pairs&from=now-1h`, o.queries, 5),
    heatmap_24h: await timeGets(`${base}/api/v1/query?kind=latency_heatmap&from=now-24h`, Math.min(o.queries, 30), 5),
    metrics_scrape: await timeGets(`${base}/metrics`, o.queries, 5),
  };
  server.close();
  for (const [k, v] of Object.entries(queries)) say(`${k}: p50 ${v.p50_ms} ms, p99 ${v.p99_ms} ms, ${v.bytes} bytes`);
  gc();
  const after = { rss_mib: mib(process.memoryUsage().rss), heap_used_mib: mib(process.memoryUsage().heapUsed) };
  const result = {
    bench: 'history',
    at: new Date().toISOString(),
    machine: machine(),
    pairs: kernel.pairs.length,
    rate_per_pair: o.rate,
    node: process.version,
    v8_flags: v8Flags,
    full,
    tick,
    queries,
    after_queries: after,
    seconds: (Date.now() - t0) / 1000,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  say(`written: ${writeResult('history', result, o.out)}`);
  return 0;
}

main('bench/history', run);
