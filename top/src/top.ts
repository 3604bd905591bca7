/**
 * `nfscope top`: a live terminal view of an exporter (or its whole cluster),
 * redrawn every second from /api/v1/summary: NF pairs with interface, rate,
 * p50/p99, rejections and timeouts, then the top reasons of drops that are
 * loss, and the benign drops' total on a line apart. A plain HTTP
 * client of the API; the drawing is a pure function of the answer (render),
 * laid out for 80 columns so it works over SSH.
 */
import { errorMessage, type SummaryAnswer, type SummaryLatencyRow } from '@nfscope/api';
import * as fs from 'fs';
import { durationOption, parseOptions, UsageError } from '@nfscope/cli';

export const TOP_USAGE = `usage: nfscope top [--url URL] [--window 60s] [--scope node|cluster]
                   [--token-file FILE] [--once]

A live view of what an nfscope exporter measures, redrawn every second:
NF pairs (interface, procedure, requests per second, p50 and p99 latency,
rejections and timeouts over the window) and the top reasons of kernel
drops that are loss; benign drops (docs/drops.md) on a line of their own.

Options:
  --url URL          the exporter (default http://127.0.0.1:9810)
  --window DURATION  the window rates and percentiles cover (default 60s;
                     1s to 1h)
  --scope SCOPE      node (this exporter) or cluster (it and its peers,
                     each transaction once)
  --token-file FILE  bearer token for an exporter with api.token_file
                     (or the environment variable NFSCOPE_TOKEN)
  --once             print one view and exit (for scripts and pipes)
  -h, --help         show this help

Keys: q or Ctrl-C quits.`;

export interface TopArgs {
  url: string;
  windowS: number;
  scope: 'node' | 'cluster';
  token?: string;
  once: boolean;
}

const OPTIONS = {
  url: { type: 'string' },
  window: { type: 'string' },
  scope: { type: 'string' },
  'token-file': { type: 'string' },
  once: { type: 'boolean' },
} as const;

export function parseTopArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): TopArgs | 'help' {
  const o = parseOptions(argv, OPTIONS);
  if (o === 'help') return 'help';
  const out: TopArgs = { url: 'http://127.0.0.1:9810', windowS: 60, scope: 'node', once: o.once === true, token: env.NFSCOPE_TOKEN || undefined };
  if (o.url !== undefined) {
    const v = o.url.replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+$/.test(v) || !URL.canParse(v)) throw new UsageError(`--url: ${JSON.stringify(v)} is not an http:// or https:// URL of an exporter (e.g. http://worker-1:9810)`);
    out.url = v;
  }
  if (o.window !== undefined) out.windowS = durationOption(o.window, '--window', 1000, 3_600_000) / 1000;
  if (o.scope !== undefined) {
    if (o.scope !== 'node' && o.scope !== 'cluster') throw new UsageError(`--scope: ${JSON.stringify(o.scope)} is not "node" or "cluster"`);
    out.scope = o.scope;
  }
  const f = o['token-file'];
  if (f !== undefined) {
    try {
      out.token = fs.readFileSync(f, 'utf8').trim();
    } catch (e) {
      throw new UsageError(`--token-file: cannot read ${JSON.stringify(f)}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** The parts of /api/v1/summary the view draws. */
/**
 * What top reads of /api/v1/summary (the contract's SummaryAnswer): the
 * latency columns it shows, and drops, whose class older exporters lack
 * (taken as loss).
 */
export type Summary = Omit<SummaryAnswer, 'latency'> & {
  latency: Array<Pick<SummaryLatencyRow, 'client' | 'server' | 'interface' | 'procedure' | 'count' | 'p50_ms' | 'p99_ms' | 'rejected' | 'timeouts'>>;
};

export interface View {
  url: string;
  scope: 'node' | 'cluster';
  windowS: number;
  now: Date;
  /** terminal size; rows bound the pairs listed */
  width?: number;
  height?: number;
  summary?: Summary;
  error?: string;
}

/** Fits text into n columns: cut with "…" when longer, padded when shorter (right-aligned with right). */
export function fit(text: string, n: number, right = false): string {
  const chars = [...text];
  const t = chars.length > n ? `${chars.slice(0, Math.max(0, n - 1)).join('')}…` : text;
  const pad = ' '.repeat(Math.max(0, n - [...t].length));
  return right ? pad + t : t + pad;
}

const num = (x: number | null, digits: number) => (x === null || !Number.isFinite(x) ? '-' : x.toFixed(digits));

/** Latency in ms, with precision that suits its size. */
function ms(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '-';
  return x < 10 ? x.toFixed(2) : x < 1000 ? x.toFixed(1) : x.toFixed(0);
}

/**
 * A request rate, given per second, in at most 7 columns: per second from
 * 1/s ("12.5", "1234.5", "12.3k"), below that per minute ("54/min",
 * "5.4/min") and below 1/min per hour ("30/h", "5.4/h"), so that a pair
 * seen a few times in the window does not read as "0.0".
 */
export function rate(perS: number): string {
  if (!Number.isFinite(perS) || perS < 0) return '-';
  if (perS === 0) return '0';
  const short = (x: number, unit: string) => (x >= 9.95 ? `${Math.round(x)}${unit}` : `${x.toFixed(1)}${unit}`);
  if (perS >= 1) return perS < 9999.95 ? perS.toFixed(1) : perS < 999_950 ? `${(perS / 1e3).toFixed(1)}k` : `${(perS / 1e6).toFixed(1)}M`;
  if (perS * 60 >= 1) return short(perS * 60, '/min');
  if (perS * 3600 >= 0.05) return short(perS * 3600, '/h');
  return '<0.1/h';
}

function count(n: number): string {
  return n < 100_000 ? String(n) : n < 1e7 ? `${(n / 1e3).toFixed(0)}k` : `${(n / 1e6).toFixed(0)}M`;
}

/**
 * The whole screen as text: lines of at most `width` columns (80 by
 * default), no escape sequences.
 */
export function render(v: View): string {
  const width = Math.max(40, v.width || 80); // 0 when the terminal does not say
  const lines: string[] = [];
  const clock = v.now.toISOString().slice(11, 19);
  const where = v.summary ? `${v.scope === 'cluster' ? 'cluster via' : 'node'} ${v.summary.node}` : v.url;
  lines.push(fit(`nfscope top  ${where}  window ${v.windowS}s  ${clock} UTC`, width));
  if (v.scope === 'cluster' && v.summary?.nodes) {
    const { answered, missing } = v.summary.nodes;
    let line = `nodes: ${answered.length} answered (${answered.join(', ')})`;
    if (missing.length > 0) line += `; MISSING ${missing.map((m) => `${m.node}: ${m.error}`).join('; ')}`;
    lines.push(fit(line, width));
  }
  if (v.error) {
    lines.push('');
    lines.push(fit(`cannot read ${v.url}: ${v.error}`, width));
    if (!v.summary) return lines.map((l) => l.trimEnd()).join('\n');
    lines.push(fit('(showing the last answer)', width));
  }
  const s = v.summary;
  if (!s) return lines.join('\n');

  // 80 columns: pair 22, interface 3, procedure, rate 7, p50 7, p99 7, rejected 5, timeouts 5.
  const procW = width - 22 - 3 - 7 * 3 - 5 * 2 - 7;
  const row = (pair: string, itf: string, proc: string, rate: string, p50: string, p99: string, rej: string, to: string) =>
    [fit(pair, 22), fit(itf, 3), fit(proc, procW), fit(rate, 7, true), fit(p50, 7, true), fit(p99, 7, true), fit(rej, 5, true), fit(to, 5, true)].join(' ');
  lines.push('');
  lines.push(row('NF PAIR', 'IF', 'PROCEDURE', 'REQ/S', 'P50 ms', 'P99 ms', 'REJ', 'T/O'));
  const pairs = [...s.latency].sort((a, b) => b.count + b.timeouts - (a.count + a.timeouts) || a.client.localeCompare(b.client) || a.server.localeCompare(b.server));
  const drops = new Map<string, { count: number; where: Map<string, number> }>();
  // Benign drops (a promiscuous capture's OTHERHOST, queues purged at close, …) are not loss: one line of their own.
  const benign = new Map<string, number>();
  for (const d of s.drops) {
    if (d.class === 'benign') {
      benign.set(d.reason, (benign.get(d.reason) ?? 0) + d.count);
      continue;
    }
    const e = drops.get(d.reason) ?? { count: 0, where: new Map<string, number>() };
    drops.set(d.reason, e);
    e.count += d.count;
    const w = `${d.nf} ← ${d.peer_nf} ${d.interface}`;
    e.where.set(w, (e.where.get(w) ?? 0) + d.count);
  }
  const topDrops = [...drops].sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0])).slice(0, 5);
  // Room for pairs: the terminal's rows less the header, the drops block and a spare line.
  const dropLines = 2 + Math.max(1, topDrops.length) + (benign.size > 0 ? 1 : 0);
  const room = v.height ? Math.max(1, v.height - lines.length - dropLines) : pairs.length;
  const shown = pairs.length > room ? pairs.slice(0, room - 1) : pairs;
  for (const p of shown) {
    const requests = p.count + p.timeouts;
    lines.push(row(`${p.client} → ${p.server}`, p.interface, p.procedure, rate(requests / s.window_s), ms(p.p50_ms), ms(p.p99_ms), count(p.rejected), count(p.timeouts)));
  }
  if (pairs.length === 0) lines.push(fit('  no transactions in the window', width));
  if (shown.length < pairs.length) lines.push(fit(`  … ${pairs.length - shown.length} more pairs (a taller terminal shows them)`, width));

  lines.push('');
  lines.push([fit('TOP DROP REASONS (LOSS)', 28), fit('DROPS', 8, true), fit('PER S', 7, true), ' ', fit('MOST AT', width - 28 - 8 - 7 - 4)].join(' ').trimEnd());
  if (topDrops.length === 0) lines.push(fit(`  no loss drops in the window`, width));
  for (const [reason, d] of topDrops) {
    const [most] = [...d.where].sort((a, b) => b[1] - a[1]);
    lines.push([fit(reason, 28), fit(count(d.count), 8, true), fit(num(d.count / s.window_s, 1), 7, true), ' ', fit(most[0], width - 28 - 8 - 7 - 4)].join(' ').trimEnd());
  }
  if (benign.size > 0) {
    const total = [...benign.values()].reduce((a, b) => a + b, 0);
    const [mostly] = [...benign].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    lines.push(fit(`benign, not loss: ${count(total)} (${num(total / s.window_s, 1)}/s), mostly ${mostly[0]}`, width));
  }
  return lines.map((l) => l.trimEnd()).join('\n');
}

/** One read of the summary. */
export async function fetchSummary(args: TopArgs, timeoutMs = 2000): Promise<Summary> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (args.token) headers.authorization = `Bearer ${args.token}`;
  const r = await fetch(`${args.url}/api/v1/summary?window=${args.windowS}s&scope=${args.scope}`, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const text = await r.text();
  if (!r.ok) throw new Error(errorMessage(r.status, text));
  return JSON.parse(text) as Summary;
}

const errText = (e: unknown): string => {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return 'no answer within 2 s';
  return err.cause?.code ?? err.cause?.message ?? err.message;
};

/** Runs the live view until q / Ctrl-C; with --once prints one view. Returns the exit status. */
export async function topMain(argv: string[], prog = 'nfscope top'): Promise<number> {
  let args: TopArgs;
  try {
    const parsed = parseTopArgs(argv);
    if (parsed === 'help') {
      process.stdout.write(`${TOP_USAGE}\n`);
      return 0;
    }
    args = parsed;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${prog}: ${e.message}\n${TOP_USAGE}\n`);
    return 2;
  }
  const view = (summary?: Summary, error?: string) =>
    render({ url: args.url, scope: args.scope, windowS: args.windowS, now: new Date(), width: process.stdout.columns, height: process.stdout.rows, summary, error });

  if (args.once || !process.stdout.isTTY) {
    try {
      process.stdout.write(`${view(await fetchSummary(args))}\n`);
      return 0;
    } catch (e) {
      process.stderr.write(`${prog}: cannot read ${args.url}: ${errText(e)}\n`);
      return 1;
    }
  }

  let last: Summary | undefined;
  let timer: NodeJS.Timeout | undefined;
  const out = process.stdout;
  out.write('\x1b[?1049h\x1b[?25l'); // alternate screen, hide the cursor
  return new Promise<number>((resolve) => {
    const quit = () => {
      if (timer) clearTimeout(timer);
      out.write('\x1b[?25h\x1b[?1049l');
      if (process.stdin.isTTY) process.stdin.setRawMode(false);
      process.stdin.pause();
      resolve(0);
    };
    process.once('SIGINT', quit);
    process.once('SIGTERM', quit);
    if (process.stdin.isTTY) {
      process.stdin.setRawMode(true);
      process.stdin.resume();
      process.stdin.on('data', (d) => {
        const k = d.toString();
        if (k === 'q' || k === '\x03') quit();
      });
    }
    const draw = async () => {
      const started = Date.now();
      let error: string | undefined;
      try {
        last = await fetchSummary(args, 900);
      } catch (e) {
        error = errText(e);
      }
      out.write(`\x1b[H\x1b[2J${view(last, error)}`);
      timer = setTimeout(draw, Math.max(0, 1000 - (Date.now() - started)));
    };
    void draw();
  });
}
