/**
 * What every agent process shares: its arguments (one JSON argument), its
 * conversation with the orchestrator, and its life cycle.
 *
 *   stdin  (orchestrator → agent), one word per line:
 *            start  begin: initiate transactions for durationMs
 *            stop   finish: emit what is left and exit
 *   stdout (agent → orchestrator), one JSON object per line:
 *            {"t":"ready"}            sockets are bound
 *            {"t":"tx", ...}          a finished client transaction
 *            {"t":"rx", ...}          a responder's view of one request
 *            {"t":"gpdu", ...}        G-PDU counters, at the end
 *            {"t":"drained"}          durationMs is over and no request is outstanding
 *            {"t":"done", ...}        last line, with counters
 *
 * An agent stops by itself at durationMs + graceMs after start, on SIGTERM
 * or SIGINT (outstanding requests are then emitted as interrupted
 * timeouts), and when its stdin closes (the orchestrator is gone).
 */
import * as readline from 'readline';

export interface NfRef {
  name: string;
  type: string;
  address: string;
}

export interface CommonArgs {
  runId: string;
  /** This NF. */
  name: string;
  type: string;
  address: string;
  seed: number;
  durationMs: number;
  graceMs: number;
  /** Every NF of the testbed, to name peers by address. */
  nfs: NfRef[];
}

type Hook = () => void;

const FLUSH_MS = 50;

export class AgentRuntime<A extends CommonArgs> {
  /** True from "start" until durationMs has passed: clients may begin new transactions. */
  initiating = false;
  readonly stats: Record<string, number> = {};
  private readonly byAddress = new Map<string, NfRef>();
  private buffered: string[] = [];
  private readonly flushTimer: NodeJS.Timeout;
  private readonly startHooks: Hook[] = [];
  private readonly endHooks: Hook[] = [];
  private readonly shutdownHooks: Array<(interrupted: boolean) => void> = [];
  private drained: () => boolean = () => true;
  private stopping = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(readonly args: A) {
    for (const nf of args.nfs) this.byAddress.set(nf.address, nf);
    this.flushTimer = setInterval(() => this.flush(), FLUSH_MS);
  }

  /** Parses the JSON argument of an agent process. */
  static parseArgs<A extends CommonArgs>(argv: string[], required: Array<keyof A>): A {
    if (argv.length !== 1) throw new Error('usage: agent \'{"name":…}\' (one JSON argument)');
    const a = JSON.parse(argv[0]) as A;
    for (const k of ['runId', 'name', 'type', 'address', 'seed', 'durationMs', 'graceMs', 'nfs', ...required] as Array<keyof A>) {
      if (a[k] === undefined) throw new Error(`agent argument ${String(k)} is missing`);
    }
    return a;
  }

  /** The NF that owns an address (IPv4-mapped IPv6 addresses are unwrapped). */
  nfAt(address: string): NfRef | undefined {
    return this.byAddress.get(address.startsWith('::ffff:') ? address.slice(7) : address);
  }

  nameAt(address: string): string {
    return this.nfAt(address)?.name ?? 'unknown';
  }

  count(stat: string, n = 1): void {
    this.stats[stat] = (this.stats[stat] ?? 0) + n;
  }

  emit(obj: object): void {
    this.buffered.push(JSON.stringify(obj));
    if (this.buffered.length >= 512) this.flush();
  }

  private flush(): void {
    if (this.buffered.length === 0) return;
    process.stdout.write(`${this.buffered.join('\n')}\n`);
    this.buffered = [];
  }

  log(msg: string): void {
    process.stderr.write(`${this.args.name}: ${msg}\n`);
  }

  onStart(h: Hook): void {
    this.startHooks.push(h);
  }
  /** Called when durationMs is over: stop initiating. */
  onEnd(h: Hook): void {
    this.endHooks.push(h);
  }
  onShutdown(h: (interrupted: boolean) => void): void {
    this.shutdownHooks.push(h);
  }
  /** How to tell that no client transaction is outstanding. */
  setDrained(f: () => boolean): void {
    this.drained = f;
  }

  /** Announces readiness and runs until stopped. */
  run(): void {
    const rl = readline.createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      const cmd = line.trim();
      if (cmd === 'start') this.start();
      else if (cmd === 'stop') void this.shutdown(false);
    });
    // The orchestrator went away: nobody will read the record, stop now.
    rl.on('close', () => void this.shutdown(true));
    process.on('SIGTERM', () => void this.shutdown(true));
    process.on('SIGINT', () => void this.shutdown(true));
    this.emit({ t: 'ready' });
    this.flush();
  }

  private start(): void {
    if (this.initiating || this.stopping) return;
    this.initiating = true;
    for (const h of this.startHooks) h();
    this.timers.push(
      setTimeout(() => {
        this.initiating = false;
        for (const h of this.endHooks) h();
        const poll = setInterval(() => {
          if (this.drained()) {
            clearInterval(poll);
            this.emit({ t: 'drained' });
            this.flush();
          }
        }, 20);
        this.timers.push(poll);
      }, this.args.durationMs),
      // Stop by ourselves even if the orchestrator never says so.
      setTimeout(() => void this.shutdown(false), this.args.durationMs + this.args.graceMs),
    );
  }

  private async shutdown(interrupted: boolean): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.initiating) {
      this.initiating = false;
      for (const h of this.endHooks) h();
    }
    for (const t of this.timers) clearTimeout(t);
    for (const h of this.shutdownHooks) {
      try {
        h(interrupted);
      } catch (e) {
        this.log(`shutdown: ${(e as Error).message}`);
      }
    }
    this.emit({ t: 'done', interrupted, stats: this.stats });
    clearInterval(this.flushTimer);
    const text = this.buffered.length ? `${this.buffered.join('\n')}\n` : '';
    this.buffered = [];
    await new Promise<void>((resolve) => (text ? process.stdout.write(text, () => resolve()) : resolve()));
    process.exit(0);
  }
}

/** Runs an agent's main function, reporting a crash on stderr with exit status 1. */
export function agentMain(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    process.stderr.write(`agent failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
