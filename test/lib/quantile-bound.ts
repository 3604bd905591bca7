/**
 * How far an exporter's quantile may lie from an oracle's sample of the same
 * transactions (tshark's pairing of a capture, the testbed's record) and
 * still be right, derived from the sample itself instead of a fixed
 * percentage.
 *
 * The exporter and the oracle time each transaction at different points
 * (the tc hooks against a capture on the bridge, or the agents' sockets), so
 * two timings of one transaction differ by some scheduling jitter — tens of
 * µs, up to a few hundred on a loaded 2-CPU machine — and neighbouring
 * values swap places. The exporter's k-th smallest value is then not the
 * oracle's k-th but one near it. How near is bounded by what the sample can
 * say about its q-quantile at all: the distribution-free confidence interval
 * for the q-quantile of n values is the pair of order statistics
 * x_(l) ≤ x_(u) that enclose it with probability ≥ `confidence` (99 %),
 * whatever the distribution (the number of values below the quantile is
 * Binomial(n, q)). A value inside [x_(l), x_(u)] is as good an answer as the
 * sample can check; one outside is wrong at that confidence. For 24 values
 * and q = 0.9 that is x_(17)..x_(24); for 1000 and q = 0.5, x_(459)..x_(542).
 * The interval is clamped to the sample; where the nearest rank itself is
 * an end of it (the p99 of fewer than 100 values is their largest), the
 * band reaches one spacing of the two outermost values beyond it, as far as
 * one more value would be expected: the exporter's largest value may be a
 * little larger than the oracle's, and the sample has nothing above it.
 *
 * The exporter does not answer its k-th value itself but a point inside the
 * histogram slot holding it (exporter/src/histogram.ts: log-linear, 16 slots
 * per power of two, a slot ≤ 6.25 % of its lower bound wide). So the band
 * is widened to the slots of its ends: from the lower bound of x_(l)'s slot
 * to the upper bound of x_(u)'s. `slackMs` widens it further by an absolute
 * amount where a test knows of a larger timing difference (N2's capture
 * stamp against the hooks).
 */
import { slotBounds, slotOf } from '../../exporter/src/histogram';

/**
 * 1-based ranks [l, u] of the distribution-free confidence interval for the
 * q-quantile of n values, clamped to [1, n]: P(x_(l) > ξ_q) ≤ α/2 and
 * P(x_(u) < ξ_q) ≤ α/2 with α = 1 − confidence, l as large and u as small as
 * that allows. The nearest-rank ceil(q·n) always lies within.
 */
export function quantileRanks(n: number, q: number, confidence = 0.99): [number, number] {
  const [l, u] = openRanks(n, q, confidence);
  const k = Math.max(1, Math.ceil(q * n));
  return [Math.min(Math.max(1, l), k), Math.max(Math.min(n, u), k)];
}

/** The same ranks before clamping: 0 or n + 1 where the interval runs past the sample's ends. */
function openRanks(n: number, q: number, confidence: number): [number, number] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`quantileRanks: n must be a positive integer, not ${n}`);
  if (!(q > 0 && q < 1)) throw new Error(`quantileRanks: q must be in (0, 1), not ${q}`);
  if (!(confidence > 0 && confidence < 1)) throw new Error(`quantileRanks: confidence must be in (0, 1), not ${confidence}`);
  const tail = (1 - confidence) / 2;
  // Binomial(n, q) probabilities, in logs first so that large n does not underflow.
  const logp = new Array<number>(n + 1);
  logp[0] = n * Math.log1p(-q);
  for (let i = 0; i < n; i++) logp[i + 1] = logp[i] + Math.log((n - i) / (i + 1)) + Math.log(q / (1 - q));
  const top = Math.max(...logp);
  const p = logp.map((x) => Math.exp(x - top));
  const sum = p.reduce((a, b) => a + b, 0);
  // cdf[i] = P(B ≤ i). x_(l) > ξ_q exactly when fewer than l values lie below ξ_q: P(B ≤ l − 1).
  const cdf: number[] = [];
  let acc = 0;
  for (const x of p) cdf.push((acc += x / sum));
  let l = 0;
  while (l + 1 <= n && cdf[l] <= tail) l++; // P(B ≤ l) ≤ tail: rank l + 1 still qualifies
  // x_(u) < ξ_q exactly when at least u values lie below ξ_q: P(B ≥ u) = 1 − P(B ≤ u − 1).
  let u = n + 1;
  while (u - 1 >= 1 && 1 - cdf[u - 2] <= tail) u--;
  return [l, u];
}

export interface QuantileBand {
  /** the oracle's nearest-rank q-quantile, x_(ceil(q·n)), ms */
  ref: number;
  /** the accepted range, ms */
  low: number;
  high: number;
  /** the ranks of the band's ends in the sorted sample */
  ranks: [number, number];
  ok: boolean;
  /** "nfscope 11.272 ms, tshark 11.869 ms (-5.03 %), accepted 8.913–14.680 ms (ranks 17–24 of 24)" */
  text: string;
}

/**
 * Checks an exporter's q-quantile `got` (ms) against the oracle's values
 * `sample` (ms) of the same transactions; `oracle` names the oracle in the
 * text. An exporter with no quantile (null: no completed request) is outside.
 */
export function quantileBand(got: number | null, sample: number[], q: number, opts: { confidence?: number; slackMs?: number; oracle?: string } = {}): QuantileBand {
  if (sample.length === 0) throw new Error('quantileBand: the oracle sample is empty');
  const s = [...sample].sort((a, b) => a - b);
  const n = s.length;
  const ranks = quantileRanks(n, q, opts.confidence);
  const k = Math.max(1, Math.ceil(q * n));
  // The nearest rank at an end of the sample: one more value would be about one spacing of the
  // last two further out.
  const lowEnd = k === 1 && n > 1 ? Math.max(0, 2 * s[0] - s[1]) : s[ranks[0] - 1];
  const highEnd = k === n && n > 1 ? 2 * s[n - 1] - s[n - 2] : s[ranks[1] - 1];
  const slack = opts.slackMs ?? 0;
  const low = slotBounds(slotOf(lowEnd * 1e6))[0] / 1e6 - slack;
  const high = slotBounds(slotOf(highEnd * 1e6))[1] / 1e6 + slack;
  const ref = s[k - 1];
  if (got === null) return { ref, low, high, ranks, ok: false, text: `nfscope has no quantile, ${opts.oracle ?? 'tshark'} ${ref.toFixed(3)} ms` };
  const ok = Number.isFinite(got) && got >= low && got <= high;
  const pct = ref > 0 ? ` (${((100 * (got - ref)) / ref).toFixed(2)} %)` : '';
  const text = `nfscope ${got.toFixed(3)} ms, ${opts.oracle ?? 'tshark'} ${ref.toFixed(3)} ms${pct}, accepted ${low.toFixed(3)}–${high.toFixed(3)} ms (ranks ${ranks[0]}–${ranks[1]} of ${s.length})`;
  return { ref, low, high, ranks, ok, text };
}
