/** Small statistics of the benchmarks' samples. */

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The q-quantile as the ceil(q·n)-th smallest sample (p99 of 200: the third slowest). */
export function pct(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** x rounded to d decimals; null for a missing or non-finite x. */
export function round(x: number | null | undefined, d = 1): number | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d;
}

export const r1 = (x: number): number => Math.round(x * 10) / 10;
export const r2 = (x: number): number => Math.round(x * 100) / 100;
export const mib = (bytes: number): number => r2(bytes / 1024 / 1024);

export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
}

/** n, median, min and max (one decimal), or null for no samples. */
export function spread(xs: readonly number[]): Spread | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, median: r1(median(s)), min: r1(s[0]), max: r1(s[s.length - 1]) };
}

export interface Timing {
  n: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  bytes: number;
}

/** `n` GETs of url one after the other, after `warmup` untimed ones: p50, p99, max (ms) and the size of the answer. */
export async function timeGets(url: string, n: number, warmup: number): Promise<Timing> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < n + warmup; i++) {
    const t = process.hrtime.bigint();
    const r = await fetch(url);
    const body = await r.text();
    const dt = Number(process.hrtime.bigint() - t) / 1e6;
    if (!r.ok) throw new Error(`${url}: ${r.status} ${body.slice(0, 200)}`);
    if (i >= warmup) ms.push(dt);
    bytes = body.length;
  }
  return { n, p50_ms: r2(pct(ms, 0.5)), p99_ms: r2(pct(ms, 0.99)), max_ms: r2(Math.max(...ms)), bytes };
}
