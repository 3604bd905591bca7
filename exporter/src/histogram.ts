/**
 * The kernel's log-linear latency histograms (bpf/nfscope.h): slot bounds,
 * quantiles, and the coarse buckets Prometheus gets. Counts stay raw bucket
 * counts until a quantile is asked for, so histograms merge exactly by adding.
 */
import { HIST_MAX_EXP, HIST_MIN_EXP, HIST_SLOTS, HIST_SUB_BITS } from './kernel/layout';

const SUB = 1 << HIST_SUB_BITS;

/** [lower, upper) of a slot in nanoseconds; the last slot is [2^(HIST_MAX_EXP+1), Infinity). */
export function slotBounds(slot: number): [number, number] {
  if (slot <= 0) return [0, 2 ** HIST_MIN_EXP];
  if (slot >= HIST_SLOTS - 1) return [2 ** (HIST_MAX_EXP + 1), Infinity];
  const e = HIST_MIN_EXP + Math.floor((slot - 1) / SUB);
  const s = (slot - 1) % SUB;
  const unit = 2 ** (e - HIST_SUB_BITS);
  return [(SUB + s) * unit, (SUB + s + 1) * unit];
}

/** The slot a latency falls in: the same computation as hist_slot() in bpf/latency.bpf.h. */
export function slotOf(ns: number): number {
  if (ns < 2 ** HIST_MIN_EXP) return 0;
  const e = Math.floor(Math.log2(ns));
  // log2 of a float can land one off at exact powers of two
  const exp = 2 ** e > ns ? e - 1 : 2 ** (e + 1) <= ns ? e + 1 : e;
  if (exp > HIST_MAX_EXP) return HIST_SLOTS - 1;
  const sub = Math.floor(ns / 2 ** (exp - HIST_SUB_BITS)) % SUB;
  return 1 + (exp - HIST_MIN_EXP) * SUB + sub;
}

export function total(counts: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i];
  return n;
}

/**
 * The q-quantile (0..1) in nanoseconds, as an estimate of the nearest-rank
 * order statistic: the k-th smallest latency, k = ceil(q·n). It lies in the
 * slot where the cumulative count reaches k, as the j-th of that slot's c
 * values; taking the c values as spread evenly over the slot, the j-th sits
 * at fraction (j − ½)/c of it. A lone value is placed at the slot's middle
 * (error ≤ half a slot, 3.1 %); in a crowded slot this is linear
 * interpolation. NaN for an empty histogram; the overflow slot answers its
 * lower bound. `bounds` gives the slots' bounds when the counts are in wider
 * buckets than the kernel's (a coarse history tier).
 */
export function quantile(counts: ArrayLike<number>, q: number, bounds: (slot: number) => [number, number] = slotBounds): number {
  const n = total(counts);
  if (n === 0) return NaN;
  const k = Math.max(1, Math.ceil(Math.min(Math.max(q, 0), 1) * n));
  let cum = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c === 0) continue;
    if (cum + c >= k) {
      const [lo, hi] = bounds(i);
      if (!Number.isFinite(hi)) return lo;
      return lo + ((k - cum - 0.5) / c) * (hi - lo);
    }
    cum += c;
  }
  return bounds(counts.length - 1)[0];
}

/** Upper bound of the highest non-empty slot: the largest value is at most this. */
export function maxBound(counts: ArrayLike<number>, bounds: (slot: number) => [number, number] = slotBounds): number {
  for (let i = counts.length - 1; i >= 0; i--) {
    if (counts[i] === 0) continue;
    const [lo, hi] = bounds(i);
    return Number.isFinite(hi) ? hi : lo;
  }
  return NaN;
}

/**
 * Maps fine slots onto coarse cumulative Prometheus buckets: a slot counts
 * under every `le` at or above its midpoint. A value near a bound may land
 * on the wrong side of it by at most half a slot (≤ 3.1 %), the precision of
 * the fine histogram itself.
 */
export function coarseBuckets(counts: ArrayLike<number>, leSeconds: number[]): number[] {
  const out = new Array<number>(leSeconds.length).fill(0);
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 0) continue;
    const [lo, hi] = slotBounds(i);
    const midS = (Number.isFinite(hi) ? (lo + hi) / 2 : lo) / 1e9;
    for (let b = 0; b < leSeconds.length; b++) if (midS <= leSeconds[b]) out[b] += counts[i];
  }
  return out;
}
