/**
 * Runs a scenario on a testbed: starts one agent process per NF and protocol
 * inside the NFs' namespaces (`ip netns exec NS node dist/agents/X.js ARGS`),
 * starts them together once all are ready, tells them to stop when every
 * client is drained, and joins what they report into the record.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { epochNs } from './clock';
import { planAgents, type AgentSpec, type PlanNf } from './plan';
import { CLOCK_DESCRIPTION, joinGpdu, joinTransactions, type ClientTransaction, type GpduCount, type ResponderView, type RunRecord } from './record';
import { NgapCollector } from './ngap-record';
import { graceMs, type Scenario } from './scenario';

export interface RunOptions {
  /** Also write the record to this file (JSON). */
  recordFile?: string;
  /** Called every progressEveryMs while the run lasts. */
  onProgress?: (p: Progress) => void;
  progressEveryMs?: number;
  /** Aborting stops the agents at once; the record then has `interrupted: true`. */
  signal?: AbortSignal;
  /** Directory of the compiled agents; default: sim/dist/agents. */
  agentDir?: string;
}

export interface Progress {
  phase: 'starting' | 'running' | 'draining' | 'stopping';
  elapsedMs: number;
  transactions: number;
  accepted: number;
  rejected: number;
  timeouts: number;
  retransmissions: number;
}

export interface RunTarget {
  runId: string;
  nfs: ReadonlyArray<PlanNf & { addresses: string[] }>;
}

/** How long agents have to bind their sockets and say "ready". */
const READY_TIMEOUT_MS = 15_000;
/** Let G-PDUs in flight arrive before the receivers stop counting. */
const MIN_TAIL_MS = 200;
/** After an agent is told to stop (or SIGTERM), how long until SIGKILL. */
const KILL_AFTER_MS = 5000;

/** Where the compiled agents are: sim/dist/agents, whether this module runs from dist/ or (under jest) from src/. */
export function defaultAgentDir(): string {
  return path.resolve(__dirname, '..', 'dist', 'agents');
}

interface Agent {
  spec: AgentSpec;
  label: string;
  proc: ChildProcess;
  ready: boolean;
  drained: boolean;
  done: boolean;
  stderr: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function runAgents(target: RunTarget, s: Scenario, opts: RunOptions = {}): Promise<RunRecord> {
  const specs = planAgents(target.nfs, s, target.runId);
  const dir = opts.agentDir ?? defaultAgentDir();
  for (const script of new Set(specs.map((a) => a.script))) {
    const f = path.join(dir, `${script}.js`);
    if (!fs.existsSync(f)) throw new Error(`${f} does not exist: build the simulator first (npm run build -w sim)`);
  }

  const txs: ClientTransaction[] = [];
  const views: ResponderView[] = [];
  const gpdu: GpduCount[] = [];
  const n2 = new NgapCollector();
  const progress: Progress = { phase: 'starting', elapsedMs: 0, transactions: 0, accepted: 0, rejected: 0, timeouts: 0, retransmissions: 0 };
  let startedAtNs = epochNs();
  let interrupted = false;
  let failure: Error | undefined;
  let onEvent: () => void = () => {};

  const agents: Agent[] = specs.map((spec) => {
    const proc = spawn('ip', ['netns', 'exec', spec.netns, process.execPath, path.join(dir, `${spec.script}.js`), JSON.stringify(spec.args)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const a: Agent = {
      spec,
      label: `${spec.script} in ${spec.nf}`,
      proc,
      ready: false,
      drained: false,
      done: false,
      stderr: '',
      exit: new Promise((resolve) => proc.on('close', (code, signal) => resolve({ code, signal }))),
    };
    proc.on('error', (e) => {
      failure ??= new Error(`${a.label}: ${e.message}`);
      onEvent();
    });
    proc.stdin?.on('error', () => {}); // the agent may be gone already; its exit status tells why
    proc.stderr?.on('data', (d: Buffer) => {
      a.stderr = (a.stderr + d.toString()).slice(-8192);
    });
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
      let m: { t: string } & Record<string, unknown>;
      try {
        m = JSON.parse(line) as typeof m;
      } catch {
        a.stderr += `\n(unparsable output: ${line.slice(0, 200)})`;
        return;
      }
      const { t, ...body } = m;
      switch (t) {
        case 'ready':
          a.ready = true;
          break;
        case 'tx': {
          const tx = body as unknown as ClientTransaction;
          txs.push(tx);
          progress.transactions++;
          if (tx.outcome === 'accepted') progress.accepted++;
          else if (tx.outcome === 'rejected') progress.rejected++;
          else progress.timeouts++;
          progress.retransmissions += tx.transmissions - 1;
          break;
        }
        case 'rx':
          views.push(body as unknown as ResponderView);
          break;
        case 'gpdu':
          gpdu.push(body as unknown as GpduCount);
          break;
        case 'drained':
          a.drained = true;
          break;
        case 'done':
          a.done = true;
          break;
        default:
          n2.accept(t, body);
      }
      onEvent();
    });
    void a.exit.then(() => onEvent());
    return a;
  });

  const send = (a: Agent, cmd: string): void => {
    if (a.proc.stdin?.writable) a.proc.stdin.write(`${cmd}\n`);
  };
  const signalAll = (sig: NodeJS.Signals): void => {
    for (const a of agents) if (a.proc.exitCode === null && a.proc.signalCode === null) a.proc.kill(sig);
  };
  /** Resolves when `cond` holds, checked on every agent event and every 50 ms. */
  const until = (cond: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (cond()) {
          clearInterval(poll);
          onEvent = () => {};
          resolve();
        }
      };
      const poll = setInterval(check, 50);
      onEvent = check;
      check();
    });
  const exited = (a: Agent): boolean => a.proc.exitCode !== null || a.proc.signalCode !== null;
  const aborted = (): boolean => opts.signal?.aborted === true;

  const onAbort = (): void => {
    interrupted = true;
    signalAll('SIGTERM');
    onEvent();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (aborted()) onAbort();

  const progressTimer = opts.onProgress
    ? setInterval(() => {
        progress.elapsedMs = Number(epochNs() - startedAtNs) / 1e6;
        opts.onProgress?.({ ...progress });
      }, opts.progressEveryMs ?? 2000)
    : undefined;
  const killTimers: NodeJS.Timeout[] = [];
  try {
    // 1. Every agent bound its sockets (or one failed, or we were interrupted).
    const readyBy = Date.now() + READY_TIMEOUT_MS;
    await until(() => agents.every((a) => a.ready) || agents.some(exited) || !!failure || aborted() || Date.now() > readyBy);
    if (!aborted() && !agents.every((a) => a.ready)) {
      failure ??= new Error(
        `agents did not start: ${agents
          .filter((a) => !a.ready)
          .map((a) => `${a.label}${exited(a) ? ` (exit ${a.proc.exitCode ?? a.proc.signalCode})` : ''}${a.stderr ? `: ${a.stderr.trim()}` : ''}`)
          .join('; ')}`,
      );
    }

    if (!failure && !aborted()) {
      // 2. Start together; the responders are all listening by now.
      startedAtNs = epochNs();
      progress.phase = 'running';
      for (const a of agents) send(a, 'start');
      const minEnd = Date.now() + s.durationMs + MIN_TAIL_MS;
      const hardEnd = Date.now() + s.durationMs + graceMs(s) + 10_000;
      await until(() => {
        if (Date.now() > minEnd - MIN_TAIL_MS && progress.phase === 'running') progress.phase = 'draining';
        return (agents.every((a) => a.drained) && Date.now() >= minEnd) || agents.some(exited) || aborted() || Date.now() > hardEnd;
      });
      // 3. Stop: agents emit what they still hold and exit.
      progress.phase = 'stopping';
      for (const a of agents) send(a, 'stop');
    } else {
      signalAll('SIGTERM');
    }
    killTimers.push(setTimeout(() => signalAll('SIGKILL'), KILL_AFTER_MS));
    await Promise.all(agents.map((a) => a.exit));
  } finally {
    for (const t of killTimers) clearTimeout(t);
    if (progressTimer) clearInterval(progressTimer);
    opts.signal?.removeEventListener('abort', onAbort);
    signalAll('SIGKILL');
  }

  if (!failure && !interrupted) {
    const bad = agents.filter((a) => a.proc.exitCode !== 0 || !a.done);
    if (bad.length > 0) {
      failure = new Error(
        `agent(s) failed: ${bad.map((a) => `${a.label} (exit ${a.proc.exitCode ?? a.proc.signalCode}${a.done ? '' : ', no final report'})${a.stderr ? `: ${a.stderr.trim()}` : ''}`).join('; ')}`,
      );
    }
  }
  if (failure) throw failure;

  const endedAtNs = epochNs();
  const types = new Map(target.nfs.map((nf) => [nf.name, nf.type]));
  const joined = joinTransactions(txs, views);
  const record: RunRecord = {
    version: 1,
    runId: target.runId,
    clock: CLOCK_DESCRIPTION,
    startedAt: new Date(Number(startedAtNs / 1_000_000n)).toISOString(),
    endedAt: new Date(Number(endedAtNs / 1_000_000n)).toISOString(),
    startedAtNs: startedAtNs.toString(),
    endedAtNs: endedAtNs.toString(),
    interrupted,
    scenario: s,
    nfs: target.nfs.map((nf) => ({ name: nf.name, type: nf.type, addresses: nf.addresses })),
    transactions: joined.transactions,
    gpdu: joinGpdu(gpdu, (nf) => types.get(nf) ?? 'unknown'),
    unmatched: joined.unmatched,
  };
  if (s.ngap.enabled) record.ngap = n2.result();
  if (opts.recordFile) writeRecord(opts.recordFile, record);
  return record;
}

/** Writes a record as JSON (one transaction per line, so that big records stay greppable). */
export function writeRecord(file: string, r: RunRecord): void {
  const { transactions, gpdu, unmatched, ngap, ...head } = r;
  const lines = (xs: readonly unknown[]): string => (xs.length === 0 ? '[]' : `[\n${xs.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]`);
  const body = Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  body.push(`  "transactions": ${lines(transactions)}`, `  "gpdu": ${lines(gpdu)}`, `  "unmatched": ${lines(unmatched)}`);
  if (ngap)
    body.push(
      `  "ngap": {\n${Object.entries(ngap)
        .map(([k, v]) => `  ${JSON.stringify(k)}: ${lines(v as unknown[])}`)
        .join(',\n')}\n  }`,
    );
  fs.writeFileSync(file, `{\n${body.join(',\n')}\n}\n`);
}
