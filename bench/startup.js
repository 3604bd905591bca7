#!/usr/bin/env node
'use strict';
/**
 * The exporter's time from start to ready (root): starts the real exporter
 * --runs times, one after the other, with a minimal configuration (two NFs
 * on two bench hosts' veths), and measures from the spawn to the first
 * answer of /healthz and to the first 200 of /readyz (programs loaded and
 * attached, maps read once), polled every 5 ms; then SIGTERM and the time to
 * exit. For scale, --check-config with the same file: node, the exporter's
 * code and the configuration, no eBPF.
 *
 *   sudo node bench/startup.js [--runs 10] [--before-start "CMD"] [--timeout-s 120] [--out FILE]
 *
 * Run 1 is the first start of the series; runs 2.. start right after the
 * exporter before them exited ("restarts"): both are reported on their own,
 * so that an exporter that keeps or adopts state across a restart (pinned
 * maps, a datapath left running) shows the difference. --before-start runs a
 * shell command before every start, e.g. one that removes such state, to
 * make every run a first start. The exporter starts as the Dockerfile starts
 * it (exporter/src/v8-flags.ts). Everything it creates (two namespaces, their
 * veths, a bridge, a temporary directory) is named after a random id and
 * removed at the end, also on failure and Ctrl-C. Exit 0 when every run got
 * ready, 1 otherwise, 2 for a bad command line.
 */
const { execFileSync, execSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Topology } = require('./lib/topology');
const { start, killAll, sleep } = require('./lib/proc');

const REPO = path.resolve(__dirname, '..');
const EXPORTER_BIN = path.join(REPO, 'exporter/bin/nfscope-exporter.js');
const T0 = Date.now();
const say = (m) => process.stdout.write(`[startup ${((Date.now() - T0) / 1000).toFixed(1).padStart(5)}s] ${m}\n`);

class UsageError extends Error {}
/** A run that went wrong in a way the message says in full (no stack). */
class RunError extends Error {}

function parseArgs(argv) {
  const o = { runs: 10, beforeStart: null, out: null, timeoutS: 120 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value (see --help)`);
      return argv[++i];
    };
    if (a === '--runs') {
      o.runs = Number(v());
      if (!Number.isInteger(o.runs) || o.runs < 1 || o.runs > 1000) throw new UsageError(`--runs: ${JSON.stringify(argv[i])} is not a whole number from 1 to 1000`);
    } else if (a === '--before-start') o.beforeStart = v();
    else if (a === '--out') o.out = v();
    else if (a === '--timeout-s') {
      o.timeoutS = Number(v());
      if (!(o.timeoutS > 0)) throw new UsageError(`--timeout-s: ${JSON.stringify(argv[i])} is not a positive number of seconds`);
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('*/')[0].replace(/^[^]*?\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
      process.exit(0);
    } else throw new UsageError(`unknown argument ${a} (see --help)`);
  }
  return o;
}

const r1 = (x) => Math.round(x * 10) / 10;
function stats(xs) {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length / 2;
  const median = s.length % 2 ? s[Math.floor(mid)] : (s[mid - 1] + s[mid]) / 2;
  return { n: s.length, median: r1(median), min: r1(s[0]), max: r1(s[s.length - 1]) };
}

/** Polls url every 5 ms until ok(status); resolves to the time since t0 (ms). */
async function firstAnswer(url, ok, t0, child, deadline) {
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
      /* not listening yet */
    }
    if (performance.now() > deadline) throw new RunError(`${url} gave no answer within --timeout-s`);
    await sleep(5);
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid() !== 0) throw new RunError('needs root (network namespaces, eBPF)');
  const { START_FLAGS, START_ENV } = require(path.join(REPO, 'exporter/dist/v8-flags.js'));
  const id = crypto.randomBytes(2).toString('hex');
  const topo = new Topology(id, 's', [
    { name: 'smf', addr: '198.18.6.1/24' },
    { name: 'upf', addr: '198.18.6.2/24' },
  ]);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-startup-'));
  const cleanup = () => {
    killAll();
    topo.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const runs = [];
  const checkConfig = [];
  try {
    topo.create();
    const config = path.join(tmp, 'nfscope.yaml');
    fs.writeFileSync(
      config,
      `node: bench\ninterfaces: ["${topo.vethGlob}"]\nnfs:\n  - { name: smf-1, type: SMF, addresses: ["198.18.6.1"] }\n  - { name: upf-1, type: UPF, addresses: ["198.18.6.2"] }\n`,
    );
    const env = Object.entries(START_ENV).map(([k, v]) => `${k}=${v}`);
    const argv = (extra) => [...(env.length > 0 ? ['env', ...env] : []), process.execPath, ...START_FLAGS, EXPORTER_BIN, '--config', config, ...extra];
    const port = 19000 + (parseInt(id, 16) % 1000);
    const url = `http://127.0.0.1:${port}`;
    for (let i = 1; i <= o.runs; i++) {
      if (o.beforeStart) execSync(o.beforeStart, { stdio: 'inherit', shell: '/bin/sh' });
      const t0 = performance.now();
      const child = start(argv(['--listen', `127.0.0.1:${port}`]), { timeoutMs: o.timeoutS * 1000 + 30_000, label: 'exporter' });
      const deadline = t0 + o.timeoutS * 1000;
      const healthzMs = await firstAnswer(`${url}/healthz`, () => true, t0, child, deadline);
      const readyzMs = await firstAnswer(`${url}/readyz`, (s) => s === 200, t0, child, deadline);
      const s = await (await fetch(`${url}/api/v1/status`)).json();
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
    const result = {
      bench: 'startup',
      at: new Date().toISOString(),
      kernel: os.release(),
      cpus: os.cpus().length,
      node: process.version,
      git: (() => {
        try {
          return execFileSync('git', ['-C', REPO, 'describe', '--always', '--dirty'], { encoding: 'utf8' }).trim();
        } catch {
          return null;
        }
      })(),
      before_start: o.beforeStart,
      readyz_ms: { first: stats(runs.filter((r) => r.kind === 'first').map((r) => r.readyz_ms)), restarts: stats(runs.filter((r) => r.kind === 'restart').map((r) => r.readyz_ms)), all: stats(runs.map((r) => r.readyz_ms)) },
      healthz_ms: stats(runs.map((r) => r.healthz_ms)),
      stop_ms: stats(runs.map((r) => r.stop_ms)),
      check_config_ms: stats(checkConfig),
      load_average: os.loadavg().map(r1),
      runs,
    };
    const f = (x) => (x ? `median ${x.median}, min ${x.min}, max ${x.max} (n=${x.n})` : '-');
    say(`spawn → ready: first start ${f(result.readyz_ms.first)}; restarts ${f(result.readyz_ms.restarts)}; all ${f(result.readyz_ms.all)} ms`);
    say(`--check-config (no eBPF): ${f(result.check_config_ms)} ms; SIGTERM → exit: ${f(result.stop_ms)} ms`);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (o.out) fs.writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    cleanup();
    const left = topo.leftovers();
    if (left.length > 0) process.stderr.write(`left over: ${left.join(', ')}\n`);
  }
}

main().catch((e) => {
  killAll();
  if (e instanceof UsageError) {
    process.stderr.write(`bench/startup.js: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`bench/startup.js: ${e instanceof RunError ? e.message : e.stack || e.message}\n`);
  process.exit(1);
});
