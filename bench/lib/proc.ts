/**
 * Child processes of a benchmark run: every one is tracked by its pid so that
 * cleanup (also on Ctrl-C) ends exactly the processes this run started.
 */
import { spawn, type ChildProcess } from 'child_process';

export const live = new Set<ChildProcess>();

export interface Result<J = unknown> {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** the last stdout line that parses as JSON */
  json: J | undefined;
}

export interface Child<J = unknown> {
  proc: ChildProcess;
  /** resolves when a stdout line matches readyRe, or at once without one; rejects when the process exits before */
  ready: Promise<void>;
  /** resolves on exit */
  result: Promise<Result<J>>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts argv[0] with argv[1..]; the process is killed with SIGKILL after timeoutMs. */
export function start<J = unknown>(argv: string[], opts: { readyRe?: RegExp; timeoutMs?: number; label?: string } = {}): Child<J> {
  const { readyRe, timeoutMs = 60000, label = argv.join(' ') } = opts;
  const proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  let stdout = '';
  let stderr = '';
  let readyResolve: () => void = () => {};
  let readyReject: (e: Error) => void = () => {};
  const ready = new Promise<void>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  if (!readyRe) readyResolve();
  proc.stdout!.on('data', (d: Buffer) => {
    stdout += d;
    if (readyRe && readyRe.test(stdout)) readyResolve();
  });
  proc.stderr!.on('data', (d: Buffer) => (stderr += d));
  const timer = setTimeout(() => {
    stderr += `\n[killed after ${timeoutMs} ms]`;
    proc.kill('SIGKILL');
  }, timeoutMs);
  const result = new Promise<Result<J>>((resolve) => {
    proc.on('error', (e) => {
      stderr += `\n${e.message}`;
    });
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(proc);
      readyReject(new Error(`${label} exited (${code ?? signal}) before it was ready: ${stderr.trim() || stdout.trim()}`));
      let json: J | undefined;
      for (const line of stdout.trim().split('\n').reverse()) {
        try {
          json = JSON.parse(line) as J;
          break;
        } catch {
          // not the result line
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
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
  };
}

/** Waits for a process's result and throws when it failed or printed no JSON result. */
export async function finished<J>(child: Child<J>, what: string): Promise<J> {
  const r = await child.result;
  if (r.code !== 0 || r.json === undefined) throw new Error(`${what} failed (${r.code ?? r.signal}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.json;
}

/** Ends every child of this run that is still running (SIGKILL: cleanup must not wait). */
export function killAll(): void {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
