/** Runs the real exporter binary for integration tests. */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import type { SummaryLatencyRow } from '@nfscope/api';
import { assertAnswer } from '@nfscope/api/dist/validate';
import { EXPORTER_CMD, NFSCOPE_BIN, waitFor } from './env';

/** One latency row of /api/v1/summary (docs/query-api.md): the contract's. */
export type SummaryRow = SummaryLatencyRow;

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export interface RunningExporter {
  url: string;
  proc: ChildProcess;
  /** everything it wrote to stdout and stderr so far */
  output(): string;
  /** Sends a signal and waits for the exit; resolves to the exit code (or signal name) and how long it took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | string; ms: number }>;
  getJson<T = unknown>(p: string): Promise<T>;
  getText(p: string): Promise<string>;
}

/** Writes a YAML config into a temp dir and returns its path. */
/** Folders of the config files this test file wrote; removed when it ends. */
const configDirs: string[] = [];
if (typeof afterAll === 'function') afterAll(() => configDirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

export function writeConfig(yaml: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-test-'));
  configDirs.push(dir);
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

/** Runs `nfscope exporter …` to completion (for commands that should exit on their own). */
export function runExporter(args: string[], opts: { wrapper?: string[]; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runNode([...EXPORTER_CMD, ...args], opts);
}

/** Runs `nfscope …` (any subcommand) to completion. */
export function runNfscope(args: string[], opts: { wrapper?: string[]; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runNode([NFSCOPE_BIN, ...args], opts);
}

/** Runs node with `argv` (a script and its arguments) to completion. */
export function runNode(argv: string[], opts: { wrapper?: string[]; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cmd = [...(opts.wrapper ?? []), process.execPath, ...argv];
  const p = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => (stdout += d));
  p.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 15000);
  return new Promise((resolve) =>
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** A bpffs directory of one test's own, for the exporter's pinned datapath (datapath.pin_dir). */
export function testPinDir(): string {
  return `/sys/fs/bpf/nfscope-test-${process.pid}-${Math.random().toString(16).slice(2, 10)}`;
}

/**
 * Starts the exporter with a config and waits until /readyz answers 200. A
 * config without `datapath:` gets a pin_dir of its own with on_exit detach
 * (what a test that does not look at restarts expects), removed again by
 * stop() whatever the signal.
 */
/** Exporters started and not yet stopped by this test file. */
const running = new Set<RunningExporter>();
// A test that fails before it stops its exporter must not leave it running (attached, and holding jest open).
if (typeof afterAll === 'function') {
  afterAll(async () => {
    for (const ex of [...running]) await ex.stop('SIGKILL');
  });
}

export async function startExporter(configYaml: string, opts: { port?: number } = {}): Promise<RunningExporter> {
  const port = opts.port ?? (await freePort());
  let ownPins: string | undefined;
  if (!/^datapath:/m.test(configYaml)) {
    ownPins = testPinDir();
    configYaml = `${configYaml.trimEnd()}\ndatapath: { pin_dir: "${ownPins}", on_exit: detach }\n`;
  }
  const config = writeConfig(configYaml);
  const proc = spawn(process.execPath, [...EXPORTER_CMD, '--config', config, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | string; at: number }>((resolve) => proc.on('exit', (code, signal) => resolve({ code: code ?? signal ?? 'unknown', at: Date.now() })));
  const url = `http://127.0.0.1:${port}`;
  const ex: RunningExporter = {
    url,
    proc,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      const t0 = Date.now();
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const { code, at } = await exited;
      if (ownPins) fs.rmSync(ownPins, { recursive: true, force: true });
      running.delete(ex);
      return { code, ms: at - t0 };
    },
    async getJson<T>(p: string): Promise<T> {
      const r = await fetch(url + p);
      if (!r.ok) throw new Error(`GET ${p}: ${r.status} ${await r.text()}`);
      const body = await r.json();
      // Every answer a test reads keeps the API contract.
      assertAnswer(p, r.status, body);
      return body as T;
    },
    async getText(p: string): Promise<string> {
      const r = await fetch(url + p);
      if (!r.ok) throw new Error(`GET ${p}: ${r.status} ${await r.text()}`);
      return r.text();
    },
  };
  running.add(ex);
  try {
    await waitFor(
      'exporter /readyz',
      async () => {
        if (proc.exitCode !== null) throw new Error(`exporter exited with ${proc.exitCode}:\n${out}`);
        const r = await fetch(`${url}/readyz`);
        return r.status === 200 ? true : undefined;
      },
      // A bound, not a wait: ready in about 3 s (loading and verifying the programs), slower on a busy machine.
      60000,
    );
  } catch (e) {
    await ex.stop('SIGKILL');
    throw new Error(`${(e as Error).message}\nexporter output:\n${out}`);
  }
  return ex;
}

/** Prometheus text → value per "{labels}" of one metric (its labelled series). */
export function metricSamples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(name.length, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Prometheus text → the value of one series, written as in the text (`name` or `name{labels}`), or undefined. */
export function metricValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
