/**
 * A real Prometheus (Debian's `prometheus` binary, run directly) for
 * integration tests: its own configuration, a temporary storage directory and
 * a free loopback port, so it never meets a Prometheus service of the machine.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { waitFor } from './env';
import { freePort } from './exporter';

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface RunningPrometheus {
  url: string;
  proc: ChildProcess;
  output(): string;
  /** An instant query; `time` in seconds since the epoch (default: now). */
  query(expr: string, time?: number): Promise<PromSample[]>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** host:port of the exporters to scrape (job `nfscope`). */
  targets: string[];
  /** Scrape interval, e.g. "1s". */
  scrapeInterval: string;
  /** Rule files to load (absolute paths). */
  ruleFiles?: string[];
}

/** The configuration startPrometheus writes: one job, `nfscope`, as provisioning/prometheus/prometheus.yml has. */
export function prometheusConfig(o: PrometheusOptions): string {
  const ms = durationMs(o.scrapeInterval);
  return JSON.stringify({
    global: { scrape_interval: o.scrapeInterval, evaluation_interval: o.scrapeInterval },
    rule_files: o.ruleFiles ?? [],
    // A scrape may take at most 90 % of the interval, so that scrapes never overlap.
    scrape_configs: [{ job_name: 'nfscope', scrape_timeout: `${Math.floor(ms * 0.9)}ms`, static_configs: [{ targets: o.targets }] }],
  });
}

function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(d);
  if (!m) throw new Error(`scrape interval ${JSON.stringify(d)}: expected e.g. 500ms, 1s, 1m`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000 }[m[2] as 'ms' | 's' | 'm'];
}

export async function startPrometheus(o: PrometheusOptions): Promise<RunningPrometheus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-prometheus-'));
  const config = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(config, prometheusConfig(o));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const p: RunningPrometheus = {
    url,
    proc,
    output: () => out,
    async query(expr, time) {
      const qs = new URLSearchParams({ query: expr });
      if (time !== undefined) qs.set('time', String(time));
      const r = await fetch(`${url}/api/v1/query?${qs}`);
      const body = (await r.json()) as { status: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`Prometheus query ${expr}: ${body.error ?? r.status}`);
      if (body.data!.resultType !== 'vector') throw new Error(`Prometheus query ${expr}: ${body.data!.resultType}, expected a vector`);
      return body.data!.result.map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(
      'Prometheus /-/ready',
      async () => {
        if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode}:\n${out}`);
        const r = await fetch(`${url}/-/ready`);
        return r.status === 200 ? true : undefined;
      },
      20000,
      200,
    );
  } catch (e) {
    await p.stop();
    throw new Error(`${(e as Error).message}\nprometheus output:\n${out}`);
  }
  return p;
}
