'use strict';
/**
 * Child processes of a benchmark run: every one is tracked by its pid so that
 * cleanup (also on Ctrl-C) ends exactly the processes this run started.
 */
const { spawn } = require('child_process');

const live = new Set();

/**
 * Starts argv[0] with argv[1..]. Returns
 *   proc, ready (resolves when a stdout line matches readyRe, or at once without one),
 *   result (resolves on exit with { code, signal, stdout, stderr, json }: json is the last stdout line that parses),
 *   kill(signal).
 * The process is killed with SIGKILL after timeoutMs.
 */
function start(argv, { readyRe, timeoutMs = 60000, label = argv.join(' ') } = {}) {
  const proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  let stdout = '';
  let stderr = '';
  let readyResolve;
  let readyReject;
  const ready = new Promise((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  if (!readyRe) readyResolve();
  proc.stdout.on('data', (d) => {
    stdout += d;
    if (readyRe && readyRe.test(stdout)) readyResolve();
  });
  proc.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => {
    stderr += `\n[killed after ${timeoutMs} ms]`;
    proc.kill('SIGKILL');
  }, timeoutMs);
  const result = new Promise((resolve) => {
    proc.on('error', (e) => {
      stderr += `\n${e.message}`;
    });
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(proc);
      readyReject(new Error(`${label} exited (${code ?? signal}) before it was ready: ${stderr.trim() || stdout.trim()}`));
      let json;
      for (const line of stdout.trim().split('\n').reverse()) {
        try {
          json = JSON.parse(line);
          break;
        } catch {
          /* not the result line */
        }
      }
      resolve({ code, signal, stdout, stderr, json });
    });
  });
  // A rejection nobody waits for (the process exited after it was ready) is not an error.
  ready.catch(() => {});
  return {
    proc,
    ready,
    result,
    kill(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
  };
}

/** Waits for a process's result and throws when it failed or printed no JSON result. */
async function finished(child, what) {
  const r = await child.result;
  if (r.code !== 0 || !r.json) throw new Error(`${what} failed (${r.code ?? r.signal}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.json;
}

/** Ends every child of this run that is still running (SIGKILL: cleanup must not wait). */
function killAll() {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { start, finished, killAll, sleep, live };
