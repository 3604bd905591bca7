/**
 * The exporter's time from start to ready (root): starts the real exporter
 * --runs times, one after the other, with a minimal configuration (two NFs
 * on two bench hosts' veths), and measures from the spawn to the first
 * answer of /healthz and to the first 200 of /readyz (programs loaded and
 * attached, maps read once), polled every 5 ms; then SIGTERM and the time to
 * exit. For scale, --check-config with the same file: node, the exporter's
 * code and the configuration, no eBPF. Method: bench/README.md.
 */
import { execSync, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Topology } from '@nfscope/sim';
import { START_ENV, START_FLAGS } from '@nfscope/exporter/dist/v8-flags';
import { commandLine, main, num, RunError, str } from './lib/args';
import { EXPORTER_BIN } from './lib/paths';
import { killAll, sleep, start, type Child } from './lib/proc';
import { machine, writeResult } from './lib/results';
import { r1, spread } from './lib/stats';

const USAGE = `sudo node bench/dist/startup.js [options]

The exporter's time from start to /readyz, first start and restarts (the
next exporter adopts the pinned datapath of the one before).

  --runs N              starts, one after the other [10]
  --before-start "CMD"  shell command run before every start (e.g. one that
                        removes the pinned datapath, to make every run a first start)
  --timeout-s S         give up on a start after S seconds [120]
  --out FILE            result file [bench/results/startup-<date>.json]
  -h, --help            this text

Run 1 is the first start of the series; runs 2.. start right after the
exporter before them exited. The exporter starts as the Dockerfile starts it
(exporter/src/v8-flags.ts). Exit 0 when every run got ready, 1 otherwise,
2 for a bad command line.
`;

const T0 = Date.now();
const say = (m: string): boolean => process.stdout.write(`[startup ${((Date.now() - T0) / 1000).toFixed(1).padStart(5)}s] ${m}\n`);

/** Polls url every 5 ms until ok(status); resolves to the time since t0 (ms). */
async function firstAnswer(url: string, ok: (status: number) => boolean, t0: number, child: Child, deadline: number): Promise<number> {
  for (;;) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      const r = await child.result;
      throw new RunError(`the exporter exited (${r.code ?? r.signal}) before ${url} answered: ${r.stderr.trim().split('\n').slice(0, 3).join(' | ')}`);
    }
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      if (ok(r.status)) return performance.now() - t0;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new RunError(`${url} gave no answer within --timeout-s`);
    await sleep(5);
  }
}

interface Status {
  interfaces: unknown[];
  programs?: Array<{ name: string; attach_points: unknown }>;
}

async function run(): Promise<number> {
  const cl = commandLine(USAGE, { runs: { type: 'string' }, 'before-start': { type: 'string' }, 'timeout-s': { type: 'string' }, out: { type: 'string' } });
  const o = { runs: num(cl, 'runs', 10, { integer: true, min: 1, max: 1000 }), beforeStart: str(cl, 'before-start') ?? null, timeoutS: num(cl, 'timeout-s', 120), out: str(cl, 'out') };
  if (process.getuid?.() !== 0) throw new RunError('needs root (network namespaces, eBPF)');
  const id = crypto.randomBytes(2).toString('hex');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-startup-'));
  // The datapath the exporters pin and adopt from one run to the next, removed at the end.
  const pins = `/sys/fs/bpf/nfscope-bench-${id}`;
  let topo: Topology | undefined;
  const cleanup = (): void => {
    killAll();
    if (fs.existsSync(pins)) spawnSync(process.execPath, [EXPORTER_BIN, '--remove-datapath', '--pin-dir', pins], { stdio: 'ignore' });
    topo?.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const runs: Array<{ run: number; kind: string; healthz_ms: number; readyz_ms: number; stop_ms: number; interfaces: unknown[]; programs: unknown[] }> = [];
  const checkConfig: number[] = [];
  try {
    topo = Topology.create(
      [
        { name: 'smf', addr: '198.18.6.1/24' },
        { name: 'upf', addr: '198.18.6.2/24' },
      ],
      { id: `${id}s`, netnsPrefix: 'nfscope-bench-', vethPrefix: 'nbv', bridgePrefix: 'nbb', ipv6: 'off' },
    );
    const config = path.join(tmp, 'nfscope.yaml');
    fs.writeFileSync(
      config,
      `node: bench\ninterfaces: ["${topo.vethGlob}"]\nnfs:\n  - { name: smf-1, type: SMF, addresses: ["198.18.6.1"] }\n  - { name: upf-1, type: UPF, addresses: ["198.18.6.2"] }\ndatapath: { pin_dir: "${pins}" }\n`,
    );
    const env = Object.entries(START_ENV).map(([k, v]) => `${k}=${v}`);
    const argv = (extra: string[]): string[] => [...(env.length > 0 ? ['env', ...env] : []), process.execPath, ...START_FLAGS, EXPORTER_BIN, '--config', config, ...extra];
    const port = 19000 + (parseInt(id, 16) % 1000);
    const url = `http://127.0.0.1:${port}`;
    for (let i = 1; i <= o.runs; i++) {
      if (o.beforeStart) execSync(o.beforeStart, { stdio: 'inherit', shell: '/bin/sh' });
      const t0 = performance.now();
      const child = start(argv(['--listen', `127.0.0.1:${port}`]), { timeoutMs: o.timeoutS * 1000 + 30_000, label: 'exporter' });
      const deadline = t0 + o.timeoutS * 1000;
      const healthzMs = await firstAnswer(`${url}/healthz`, () => true, t0, child, deadline);
      const readyzMs = await firstAnswer(`${url}/readyz`, (s) => s === 200, t0, child, deadline);
      const s = (await (await fetch(`${url}/api/v1/status`)).json()) as Status;
      const t1 = performance.now();
      child.kill('SIGTERM');
      const r = await child.result;
      const stopMs = performance.now() - t1;
      if (r.code !== 0) throw new RunError(`the exporter exited with ${r.code ?? r.signal} on SIGTERM: ${r.stderr.trim()}`);
      const programs = (s.programs ?? []).map((p) => ({ name: p.name, attach_points: p.attach_points }));
      runs.push({ run: i, kind: i === 1 ? 'first' : 'restart', healthz_ms: r1(healthzMs), readyz_ms: r1(readyzMs), stop_ms: r1(stopMs), interfaces: s.interfaces, programs });
      say(`run ${i} (${i === 1 ? 'first start' : 'restart'}): /healthz after ${r1(healthzMs)} ms, ready after ${r1(readyzMs)} ms; stopped in ${r1(stopMs)} ms`);
      // A check-config run beside every start: the part of the start that is not eBPF.
      const c0 = performance.now();
      const cc = start(argv(['--check-config']), { timeoutMs: 60_000, label: 'exporter --check-config' });
      const ccr = await cc.result;
      if (ccr.code !== 0) throw new RunError(`--check-config exited with ${ccr.code ?? ccr.signal}: ${ccr.stderr.trim()}`);
      checkConfig.push(performance.now() - c0);
    }
    const m = machine();
    const result = {
      bench: 'startup',
      at: new Date().toISOString(),
      machine: m,
      kernel: m.kernel,
      cpus: m.cpus,
      node: m.node,
      git: m.git,
      before_start: o.beforeStart,
      readyz_ms: {
        first: spread(runs.filter((r) => r.kind === 'first').map((r) => r.readyz_ms)),
        restarts: spread(runs.filter((r) => r.kind === 'restart').map((r) => r.readyz_ms)),
        all: spread(runs.map((r) => r.readyz_ms)),
      },
      healthz_ms: spread(runs.map((r) => r.healthz_ms)),
      stop_ms: spread(runs.map((r) => r.stop_ms)),
      check_config_ms: spread(checkConfig),
      load_average: os.loadavg().map(r1),
      runs,
    };
    const f = (x: ReturnType<typeof spread>): string => (x ? `median ${x.median}, min ${x.min}, max ${x.max} (n=${x.n})` : '-');
    say(`spawn → ready: first start ${f(result.readyz_ms.first)}; restarts ${f(result.readyz_ms.restarts)}; all ${f(result.readyz_ms.all)} ms`);
    say(`--check-config (no eBPF): ${f(result.check_config_ms)} ms; SIGTERM → exit: ${f(result.stop_ms)} ms`);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    say(`written: ${writeResult('startup', result, o.out)}`);
  } finally {
    cleanup();
    const left = topo?.leftovers() ?? [];
    if (left.length > 0) process.stderr.write(`left over: ${left.join(', ')}\n`);
  }
  return 0;
}

main('bench/startup', run, { cleanup: killAll });
