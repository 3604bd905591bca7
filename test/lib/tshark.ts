/**
 * tshark as an independent oracle: capture test traffic, then let
 * Wireshark's dissectors pair requests with responses (pfcp.response_time,
 * gtp.time) and compute the same statistics nfscope reports.
 */
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { waitFor } from './env';

export class Capture {
  private constructor(
    private readonly proc: ChildProcess,
    readonly file: string,
    private readonly log: () => string,
  ) {}

  /** Starts dumpcap on an interface of the root namespace with a capture filter. */
  static async start(iface: string, filter: string): Promise<Capture> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-capture-'));
    const file = path.join(dir, 'capture.pcapng');
    const proc = spawn('dumpcap', ['-q', '-i', iface, '-f', filter, '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr!.on('data', (d) => (err += d));
    const c = new Capture(proc, file, () => err);
    await waitFor(`dumpcap on ${iface}`, () => {
      if (proc.exitCode !== null) throw new Error(`dumpcap exited: ${err}`);
      return fs.existsSync(file) && fs.statSync(file).size > 0 ? true : undefined;
    });
    return c;
  }

  async stop(): Promise<string> {
    if (this.proc.exitCode === null) {
      // The last packets of a run (an SCTP shutdown, say) may still wait in dumpcap's socket when the run
      // returns, and SIGINT drops what it has not read: let the file stop growing first (at most 2 s).
      let size = -1;
      for (let waited = 0; waited < 2000; waited += 250) {
        await new Promise((r) => setTimeout(r, 250));
        const now = fs.statSync(this.file).size;
        if (now === size) break;
        size = now;
      }
      const done = new Promise((r) => this.proc.on('exit', r));
      this.proc.kill('SIGINT');
      await done;
    }
    return this.file;
  }

  remove(): void {
    fs.rmSync(path.dirname(this.file), { recursive: true, force: true });
  }

  output(): string {
    return this.log();
  }
}

/** Runs tshark on a capture and returns the selected fields of matching packets. */
export function tsharkFields(file: string, displayFilter: string, fields: string[], extraArgs: string[] = []): string[][] {
  const out = execFileSync('tshark', ['-r', file, ...extraArgs, '-Y', displayFilter, '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

/** Response times in ms per series, keyed "client→server|procedure", from tshark's own pairing. */
export interface OracleSeries {
  key: string;
  timesMs: number[];
}

/**
 * PFCP: every response tshark paired with its request (pfcp.response_time),
 * by request type (response type − 1) and by the request's sender as client.
 */
export function pfcpResponseTimes(file: string, nameOf: (ip: string) => string, procedureOf: (requestType: number) => string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [type, rt, src, dst] of tsharkFields(file, 'pfcp.response_time', ['pfcp.msg_type', 'pfcp.response_time', 'ip.src', 'ip.dst'])) {
    // A response travels server → client.
    const key = `${nameOf(dst)}→${nameOf(src)}|${procedureOf(Number(type) - 1)}`;
    out.set(key, [...(out.get(key) ?? []), Number(rt) * 1000]);
  }
  return out;
}

/** GTP-U echo: gtp.time on each Echo Response. */
export function gtpEchoTimes(file: string, nameOf: (ip: string) => string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [rt, src, dst] of tsharkFields(file, 'gtp.message == 2 && gtp.time', ['gtp.time', 'ip.src', 'ip.dst'])) {
    const key = `${nameOf(dst)}→${nameOf(src)}|Echo`;
    out.set(key, [...(out.get(key) ?? []), Number(rt) * 1000]);
  }
  return out;
}

/** The nearest-rank q-quantile of a sample: its k-th smallest value, k = ceil(q·n) (at least 1). */
export function sampleQuantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil(q * s.length)) - 1];
}
