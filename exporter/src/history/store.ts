/**
 * The exporter's bounded in-memory history: every series read from the
 * kernel, once per second, in resolution tiers (e.g. 1 s for 15 minutes,
 * 10 s for 6 hours, 1 minute for 24 hours). Every tier is fed the same
 * per-second deltas, so each is exact at its own resolution; a point of a
 * tier with resolution r holds the sum of the deltas read in ((p−1)·r, p·r]
 * seconds. A tier may keep latency histograms in wider buckets than the
 * kernel's (TierSpec.bucketsPerOctave): its slots are summed into them as
 * they are stored, exactly, and the tier's groups say their resolution. Points are sparse varint-encoded count vectors (sparse.ts) in
 * chunks of CHUNK consecutive points, so an idle series costs next to
 * nothing and retention is enforced by dropping whole chunks.
 *
 * Bounded twice: a series limit (new series beyond it fold into one overflow
 * series per family and vantage, counted in `stats().overflow`), and a memory
 * limit (over it, the oldest chunks of the coarsest tier go first; the
 * retention actually held is in `stats().tiers`).
 */
import { HIST_SLOTS, HIST_SUB_BITS } from '../kernel/layout';
import { Bytes, compactRow, decodeInto, encodePoint, type Sparse } from './sparse';

export type Family = 'latency' | 'outcome' | 'drop' | 'traffic';
export const FAMILIES: readonly Family[] = ['latency', 'outcome', 'drop', 'traffic'];

const LATENCY_LABELS = ['client_nf', 'client_type', 'server_nf', 'server_type', 'interface', 'procedure', 'vantage', 'node'] as const;

/** The labels of each family's series, in key order. */
export const FAMILY_LABELS: Readonly<Record<Family, readonly string[]>> = {
  latency: LATENCY_LABELS,
  outcome: [...LATENCY_LABELS, 'outcome', 'code'],
  drop: ['nf', 'nf_type', 'peer_nf', 'interface', 'reason', 'class', 'node'],
  traffic: ['src_nf', 'dst_nf', 'interface', 'node'],
};

/**
 * Value indexes. latency: the kernel's histogram slots, then the sum of
 * latencies (ns), timeouts and retransmissions; outcome and drop: one count;
 * traffic: packets and bytes.
 */
export const LAT_SUM = HIST_SLOTS;
export const LAT_TIMEOUTS = HIST_SLOTS + 1;
export const LAT_RETRANS = HIST_SLOTS + 2;
export const TRAFFIC_PACKETS = 0;
export const TRAFFIC_BYTES = 1;
export const WIDTH: Readonly<Record<Family, number>> = { latency: HIST_SLOTS + 3, outcome: 1, drop: 1, traffic: 2 };

export type Labels = Record<string, string>;

export interface TierSpec {
  resolutionS: number;
  retentionS: number;
  /**
   * Latency buckets kept per power of two (16, the kernel's, or 8, 4, 2, 1):
   * the kernel's slots are summed into wider buckets as they are stored, so
   * a coarse tier costs a fraction of the bytes. Default 16 for the first
   * (finest) tier, 4 for the others.
   */
  bucketsPerOctave?: number;
}

/** The kernel histogram's sub-buckets per power of two: the finest a tier can keep. */
export const FINE_BPO = 1 << HIST_SUB_BITS;
/** Buckets per octave of a tier after the first unless configured: buckets at most 25 % wide, a third of the bytes. */
export const COARSE_BPO_DEFAULT = 4;

export const DEFAULT_TIERS: TierSpec[] = [
  { resolutionS: 1, retentionS: 15 * 60, bucketsPerOctave: 16 },
  { resolutionS: 10, retentionS: 6 * 3600, bucketsPerOctave: 4 },
  { resolutionS: 60, retentionS: 24 * 3600, bucketsPerOctave: 4 },
];

/**
 * Latency buckets of a tier at bpo buckets per octave: 0 is the kernel's
 * underflow slot, then bpo per octave, then the overflow slot (the kernel's
 * slot space when bpo is 16). Slot values at LAT_SUM and above are scalars
 * and keep their index.
 */
export function bucketCount(bpo: number): number {
  return 2 + ((HIST_SLOTS - 2) / FINE_BPO) * bpo;
}

/** The bucket at bpo per octave that a kernel slot falls in. */
export function bucketOfSlot(slot: number, bpo: number): number {
  if (slot <= 0) return 0;
  if (slot >= HIST_SLOTS - 1) return bucketCount(bpo) - 1;
  return 1 + Math.floor((slot - 1) / (FINE_BPO / bpo));
}

/** A bucket at bpo per octave in the buckets of a coarser toBpo (toBpo divides bpo). */
export function coarsenBucket(b: number, bpo: number, toBpo: number): number {
  if (b <= 0) return 0;
  if (b >= bucketCount(bpo) - 1) return bucketCount(toBpo) - 1;
  return 1 + Math.floor((b - 1) / (bpo / toBpo));
}

const VALID_BPO = [1, 2, 4, 8, 16];
export function checkBucketsPerOctave(bpo: number): void {
  if (!VALID_BPO.includes(bpo)) throw new RangeError(`buckets per octave ${bpo}: must be one of ${VALID_BPO.join(', ')}`);
}
export const DEFAULT_MEMORY_LIMIT_BYTES = 96 * 1024 * 1024;
export const DEFAULT_MAX_SERIES = 10_000;

export interface StoreOptions {
  tiers?: TierSpec[];
  memoryLimitBytes?: number;
  maxSeries?: number;
}

/** The value every label but node and vantage takes in an overflow series. */
export const OVERFLOW = 'overflow';

/** Distinct folded label sets counted (beyond it the count stays there). */
const MAX_FOLDED_COUNTED = 100_000;

/** Points per chunk. */
const CHUNK = 64;
/** Rough heap cost of a chunk's object besides its bytes, and of a series besides its chunks. */
const CHUNK_OVERHEAD = 120;
const SERIES_OVERHEAD = 600;
/**
 * Bytes of one slab: sealed chunks of a tier are copied one after another
 * into slabs instead of each keeping a buffer of its own (a typed array and
 * its backing store cost several hundred bytes each besides the data, more
 * than a chunk's points at 10 s). The chunks of a tier start and fill at
 * the same point numbers in every series, so those sealed together expire
 * together and a slab is given back (collected) about when its last chunk goes.
 */
const SLAB_BYTES = 256 * 1024;

/** Where a tier's sealed chunks are copied to. */
class Slabs {
  private buf = new Uint8Array(0);
  private used = 0;

  /** Copies src[0..len) into a slab; returns the slab and the offset. */
  put(src: Uint8Array, len: number): [Uint8Array, number] {
    if (len > SLAB_BYTES / 4) return [src.slice(0, len), 0];
    if (this.used + len > this.buf.length) {
      this.buf = new Uint8Array(SLAB_BYTES);
      this.used = 0;
    }
    const at = this.used;
    this.buf.set(src.subarray(0, len), at);
    this.used += len;
    return [this.buf, at];
  }
}

/**
 * CHUNK consecutive points of one series in one tier. A latency point is a
 * varint byte length and its encoding (sparse.ts; 0: no point); a point of a
 * scalar family (outcome, drop: one count; traffic: packets and bytes) is its
 * WIDTH counts as varints, 0 when there was none: one or two bytes a count
 * instead of four of framing around it. While open the chunk is written into
 * the series' own growable buffer; sealed, its bytes live in a slab at
 * buf[off .. off+len).
 */
class Chunk {
  buf: Uint8Array;
  off = 0;
  len = 0;
  /** points first .. first+filled-1 are written (empty ones too) */
  filled = 0;
  /** the buffer written into while open (undefined once sealed) */
  out: Bytes | undefined;

  /** out: the buffer to write into; none for a chunk restored sealed (its caller sets buf, off, len) */
  constructor(
    readonly first: number,
    out?: Bytes,
  ) {
    this.out = out;
    if (out) out.len = 0;
    this.buf = out?.buf ?? EMPTY;
  }

  get last(): number {
    return this.first + CHUNK - 1;
  }

  /** Writes point p (after every point written so far): its n entries idx/val, of `width` scalars, or latency (width 0). */
  write(p: number, width: number, idx: ArrayLike<number>, val: ArrayLike<number>, n: number): void {
    const out = this.out!;
    const j = p - this.first;
    for (; this.filled < j; this.filled++) for (let w = 0; w < Math.max(1, width); w++) out.varint(0);
    if (width === 0) {
      scratch.len = 0;
      encodePoint(scratch, idx, val, n);
      out.varint(scratch.len);
      out.append(scratch);
    } else {
      for (let w = 0, k = 0; w < width; w++) out.varint(k < n && idx[k] === w ? val[k++] : 0);
    }
    this.filled = j + 1;
    this.buf = out.buf;
    this.len = out.len;
  }

  /** Moves the bytes into a slab; returns the series' buffer for its next chunk. */
  seal(slabs: Slabs): Bytes {
    const out = this.out!;
    [this.buf, this.off] = slabs.put(out.buf, out.len);
    this.len = out.len;
    this.out = undefined;
    return out;
  }

  cost(): number {
    return (this.out ? this.out.buf.length : this.len) + CHUNK_OVERHEAD;
  }
}

const scratch = new Bytes(1024);
const EMPTY = new Uint8Array(0);
/** The entries of the point being closed (at most the widest family's). */
const CLOSE_IDX = new Float64Array(HIST_SLOTS + 3);
const CLOSE_VAL = new Float64Array(HIST_SLOTS + 3);

class TierData {
  chunks: Chunk[] = [];
  /** the point still being summed into, and its counts by index (allocated with the first) */
  openP = -1;
  vals: Float64Array | null = null;
  /** the buffer open chunks are written into, kept from one chunk to the next */
  private out: Bytes | undefined;

  /** width: the family's scalar count, 0 for latency (sparse histograms); valWidth: its value indexes */
  constructor(
    readonly width: number,
    readonly valWidth: number,
  ) {}

  /** The open point's non-zero counts. */
  openEntries(): [number, number][] {
    const out: [number, number][] = [];
    if (this.vals) this.vals.forEach((v, i) => v !== 0 && out.push([i, v]));
    return out;
  }

  /** Encodes the open point; returns the bytes it added. */
  close(slabs: Slabs): number {
    if (this.openP < 0) return 0;
    // Counts by index, ascending, taken out of the open point (zeroed for the next).
    let n = 0;
    const vals = this.vals;
    if (vals) {
      for (let i = 0; i < vals.length; i++) {
        if (vals[i] === 0) continue;
        CLOSE_IDX[n] = i;
        CLOSE_VAL[n++] = vals[i];
        vals[i] = 0;
      }
    }
    let c = this.chunks[this.chunks.length - 1];
    let added = 0;
    if (!c || this.openP > c.last) {
      if (c?.out) {
        const before = c.cost();
        this.out = c.seal(slabs);
        added += c.cost() - before;
      }
      c = new Chunk(this.openP - (this.openP % CHUNK), (this.out ??= new Bytes(32)));
      this.chunks.push(c);
      added += c.cost();
    }
    const before = c.cost();
    c.write(this.openP, this.width, CLOSE_IDX, CLOSE_VAL, n);
    if (c.filled === CHUNK) this.out = c.seal(slabs);
    added += c.cost() - before;
    this.openP = -1;
    return added;
  }

  /** A restored chunk: sealed into the tier's slabs, or (the last one, not full) open again. */
  restore(first: number, filled: number, bytes: Uint8Array, open: boolean, slabs: Slabs): Chunk {
    let c: Chunk;
    if (open) {
      const out = (this.out = new Bytes(Math.max(32, bytes.length)));
      c = new Chunk(first, out);
      out.appendBytes(bytes);
      c.buf = out.buf;
      c.len = out.len;
    } else {
      c = new Chunk(first);
      [c.buf, c.off] = slabs.put(bytes, bytes.length);
      c.len = bytes.length;
    }
    c.filled = filled;
    this.chunks.push(c);
    return c;
  }
}

/** Points per chunk (a state file's chunks must start at multiples of it). */
export const CHUNK_POINTS = CHUNK;

/** A series in a state file: per tier its chunks as first point, points and bytes, three numbers each, one after another. */
export interface SeriesState {
  family: Family;
  labels: Labels;
  first_t: number;
  last_t: number;
  tiers: { chunks: number[]; open_p: number; open: [number, number][] }[];
}

export interface StoreState {
  tiers: { resolution_s: number; retention_s: number; buckets_per_octave: number }[];
  now_s: number;
  start_s: number;
  /** per tier: points at or below were evicted for memory (null: none) */
  floor: (number | null)[];
  series: SeriesState[];
}

export class Series {
  readonly tiers: TierData[];
  /** unix seconds of the first and last tick with data */
  firstT: number;
  lastT: number;
  /** dropped from the store (no history left): a holder of it must look its labels up again */
  forgotten = false;
  /** the deltas of the current tick by index (allocated with the first), the indexes touched, and whether it is queued for the commit */
  pend: Float64Array | null = null;
  readonly pendIdx: number[] = [];
  queued = false;

  constructor(
    readonly family: Family,
    readonly labels: Labels,
    nTiers: number,
    t: number,
  ) {
    const width = family === 'latency' ? 0 : WIDTH[family];
    this.tiers = Array.from({ length: nTiers }, () => new TierData(width, WIDTH[family]));
    this.firstT = t;
    this.lastT = t;
  }
}

export interface TierStats {
  resolution_s: number;
  retention_s: number;
  /** seconds of history this tier holds now (less than retention after a restart or under the memory limit) */
  held_s: number;
}

export interface StoreStats {
  series: number;
  /** distinct label sets folded into overflow series since start */
  overflow: { series: number };
  bytes: number;
  memory_limit_bytes: number;
  /** chunks dropped early to stay under the memory limit */
  evicted_chunks: number;
  tiers: TierStats[];
}

/** A time grid: samples at from + k·step, k = 1..n, each covering (t − step, t]. */
export interface Grid {
  fromMs: number;
  stepMs: number;
  n: number;
}

export interface Group {
  family: Family;
  labels: Labels;
  /** latency buckets per octave of the steps' histogram indexes (the tier's); absent: 16 */
  bucketsPerOctave?: number;
  /** steps[k-1]: the summed counts of sample k, null when none */
  steps: (Sparse | null)[];
}

export class HistoryStore {
  readonly tiers: TierSpec[];
  readonly memoryLimitBytes: number;
  readonly maxSeries: number;
  private readonly byKey = new Map<string, Series>();
  /** series with deltas in the current tick */
  private readonly pending: Series[] = [];
  private readonly folded = new Set<string>();
  /** point numbers at or below floor[t] were evicted for memory */
  private readonly floor: number[];
  /** per tier: the bucket each kernel slot is stored in (null: the slot itself) */
  private readonly slotMap: (Int32Array | null)[];
  /** per tier: where its sealed chunks are kept */
  private readonly slabs: Slabs[];
  private bytes = 0;
  private evicted = 0;
  private nowS = 0;
  private startS = -1;
  private lastSweep = 0;

  constructor(opts: StoreOptions = {}) {
    this.tiers = opts.tiers ?? DEFAULT_TIERS;
    this.memoryLimitBytes = opts.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
    this.maxSeries = opts.maxSeries ?? DEFAULT_MAX_SERIES;
    this.floor = this.tiers.map(() => -Infinity);
    this.slabs = this.tiers.map(() => new Slabs());
    this.slotMap = this.tiers.map((_, ti) => {
      const bpo = this.bucketsPerOctave(ti);
      checkBucketsPerOctave(bpo);
      if (bpo === FINE_BPO) return null;
      return Int32Array.from({ length: HIST_SLOTS }, (_, i) => bucketOfSlot(i, bpo));
    });
  }

  /** Latency buckets per octave the tier keeps. */
  bucketsPerOctave(tier: number): number {
    return this.tiers[tier].bucketsPerOctave ?? (tier === 0 ? FINE_BPO : COARSE_BPO_DEFAULT);
  }

  /** The longest retention: the oldest time a query can reach. */
  get maxRetentionS(): number {
    return Math.max(...this.tiers.map((t) => t.retentionS));
  }

  get lastCommitS(): number {
    return this.nowS;
  }

  /** Adds a delta read in the current tick. Negative or non-finite deltas are refused (counters only grow). */
  add(family: Family, labels: Labels, index: number, delta: number): void {
    this.addTo(this.seriesFor(family, labels), index, delta);
  }

  /** add() for a series already looked up with seriesFor (the same labels several times a tick). */
  addTo(s: Series, index: number, delta: number): void {
    if (!(delta > 0) || !Number.isFinite(delta)) return;
    const d = Math.round(delta);
    if (d <= 0 || !(index >= 0 && index < WIDTH[s.family])) return;
    // Dense per series: a tick adds to some 50 indexes of a latency series, each then to every tier.
    const pend = (s.pend ??= new Float64Array(WIDTH[s.family]));
    if (pend[index] === 0) s.pendIdx.push(index);
    pend[index] += d;
    if (!s.queued) {
      s.queued = true;
      this.pending.push(s);
    }
  }

  /** The series of these labels (the overflow series beyond the series limit), created when new. */
  seriesFor(family: Family, labels: Labels): Series {
    const names = FAMILY_LABELS[family];
    const key = family + JSON.stringify(names.map((n) => labels[n] ?? ''));
    let s = this.byKey.get(key);
    if (s) return s;
    if (this.byKey.size >= this.maxSeries) {
      // Counted up to a bound, so a flood of label sets cannot grow memory without end.
      if (this.folded.size < MAX_FOLDED_COUNTED) this.folded.add(key);
      const o: Labels = Object.fromEntries(names.map((n) => [n, OVERFLOW]));
      if ('node' in labels) o.node = labels.node;
      if (family === 'latency' || family === 'outcome') o.vantage = labels.vantage;
      const okey = family + JSON.stringify(names.map((n) => o[n]));
      s = this.byKey.get(okey);
      if (s) return s;
      s = new Series(family, o, this.tiers.length, this.nowS);
      this.byKey.set(okey, s);
      this.bytes += SERIES_OVERHEAD;
      return s;
    }
    s = new Series(family, Object.fromEntries(names.map((n) => [n, labels[n] ?? ''])), this.tiers.length, this.nowS);
    this.byKey.set(key, s);
    this.bytes += SERIES_OVERHEAD;
    return s;
  }

  /** Ends a tick read at unix second t: its deltas go into every tier. */
  commit(t: number): void {
    if (t < this.nowS) t = this.nowS; // a clock step back must not reorder points
    this.nowS = t;
    if (this.startS < 0) this.startS = t;
    for (const s of this.pending) {
      s.queued = false;
      s.lastT = t;
      const latency = s.family === 'latency';
      const pend = s.pend!;
      const touched = s.pendIdx;
      for (let ti = 0; ti < this.tiers.length; ti++) {
        const td = s.tiers[ti];
        const p = Math.ceil(t / this.tiers[ti].resolutionS);
        if (td.openP !== p) {
          this.bytes += td.close(this.slabs[ti]);
          td.openP = p;
        }
        const vals = (td.vals ??= new Float64Array(td.valWidth));
        // A coarse tier sums neighbouring kernel slots into one bucket: exact, as buckets add.
        const map = latency ? this.slotMap[ti] : null;
        for (let k = 0; k < touched.length; k++) {
          const i = touched[k];
          vals[map && i < HIST_SLOTS ? map[i] : i] += pend[i];
        }
      }
      for (let k = 0; k < touched.length; k++) pend[touched[k]] = 0;
      touched.length = 0;
    }
    this.pending.length = 0;
    if (t - this.lastSweep >= 10) this.sweep(t);
    this.enforceMemory();
  }

  /** Drops points past retention, closes stale open points, forgets series with no history left. */
  private sweep(t: number): void {
    this.lastSweep = t;
    for (const [key, s] of this.byKey) {
      let empty = true;
      this.tiers.forEach((spec, ti) => {
        const td = s.tiers[ti];
        const p = Math.ceil(t / spec.resolutionS);
        if (td.openP >= 0 && td.openP < p) this.bytes += td.close(this.slabs[ti]);
        const oldest = p - spec.retentionS / spec.resolutionS;
        while (td.chunks.length > 0 && td.chunks[0].last <= oldest) this.bytes -= td.chunks.shift()!.cost();
        if (td.chunks.length > 0 || td.openP >= 0) empty = false;
      });
      if (empty) {
        this.byKey.delete(key);
        s.forgotten = true;
        this.bytes -= SERIES_OVERHEAD;
      }
    }
  }

  /** Over the memory limit: the oldest chunks go, coarsest tier first, then finer ones. */
  private enforceMemory(): void {
    for (let ti = this.tiers.length - 1; ti >= 0 && this.bytes > this.memoryLimitBytes; ti--) {
      while (this.bytes > this.memoryLimitBytes) {
        let oldest = Infinity;
        for (const s of this.byKey.values()) {
          const c = s.tiers[ti].chunks[0];
          if (c && c.first < oldest) oldest = c.first;
        }
        if (oldest === Infinity) break;
        for (const s of this.byKey.values()) {
          const td = s.tiers[ti];
          while (td.chunks.length > 0 && td.chunks[0].first <= oldest) {
            this.bytes -= td.chunks.shift()!.cost();
            this.evicted++;
          }
        }
        this.floor[ti] = Math.max(this.floor[ti], oldest + CHUNK - 1);
      }
    }
  }

  /**
   * Everything the store holds, for a state file (state.ts): a description
   * of every series and chunk, and the chunks' bytes in the same order.
   */
  exportState(): { state: StoreState; bytes: Uint8Array[] } {
    const bytes: Uint8Array[] = [];
    const series: SeriesState[] = [];
    for (const s of this.byKey.values()) {
      series.push({
        family: s.family,
        labels: s.labels,
        first_t: s.firstT,
        last_t: s.lastT,
        tiers: s.tiers.map((td) => ({
          chunks: td.chunks.flatMap((c) => {
            bytes.push(c.buf.subarray(c.off, c.off + c.len));
            return [c.first, c.filled, c.len];
          }),
          open_p: td.openP,
          open: td.openEntries(),
        })),
      });
    }
    return {
      state: {
        tiers: this.tiers.map((t, ti) => ({ resolution_s: t.resolutionS, retention_s: t.retentionS, buckets_per_octave: this.bucketsPerOctave(ti) })),
        now_s: this.nowS,
        start_s: this.startS,
        floor: this.floor.map((f) => (Number.isFinite(f) ? f : null)),
        series,
      },
      bytes,
    };
  }

  /**
   * Takes over what exportState gave (into an empty store with the same tier
   * resolutions and buckets; state.ts checks the shape first). Series beyond
   * the series limit are left out; returns how many were.
   */
  importState(state: StoreState, bytes: Uint8Array, at = 0): { series: number; skipped: number } {
    if (this.byKey.size > 0 || this.startS >= 0) throw new Error('the history already holds data');
    this.nowS = state.now_s;
    this.startS = state.start_s;
    state.floor.forEach((f, ti) => (this.floor[ti] = f ?? -Infinity));
    let skipped = 0;
    for (const ss of state.series) {
      let len = 0;
      for (const t of ss.tiers) for (let k = 2; k < t.chunks.length; k += 3) len += t.chunks[k];
      const key = ss.family + JSON.stringify(FAMILY_LABELS[ss.family].map((n) => ss.labels[n] ?? ''));
      if (this.byKey.size >= this.maxSeries || this.byKey.has(key)) {
        skipped++;
        at += len;
        continue;
      }
      const s = new Series(ss.family, ss.labels, this.tiers.length, ss.first_t);
      s.lastT = ss.last_t;
      ss.tiers.forEach((ts, ti) => {
        const td = s.tiers[ti];
        for (let k = 0; k < ts.chunks.length; k += 3) {
          const [first, filled, n] = [ts.chunks[k], ts.chunks[k + 1], ts.chunks[k + 2]];
          const open = k === ts.chunks.length - 3 && filled < CHUNK;
          this.bytes += td.restore(first, filled, bytes.subarray(at, at + n), open, this.slabs[ti]).cost();
          at += n;
        }
        td.openP = ts.open_p;
        if (ts.open.length > 0) {
          td.vals = new Float64Array(td.valWidth);
          for (const [i, v] of ts.open) td.vals[i] = v;
        }
      });
      this.byKey.set(key, s);
      this.bytes += SERIES_OVERHEAD;
    }
    this.enforceMemory();
    return { series: this.byKey.size, skipped };
  }

  stats(): StoreStats {
    return {
      series: this.byKey.size,
      overflow: { series: this.folded.size },
      bytes: this.bytes,
      memory_limit_bytes: this.memoryLimitBytes,
      evicted_chunks: this.evicted,
      tiers: this.tiers.map((spec, ti) => {
        const start = Math.max(this.startS < 0 ? this.nowS : this.startS, this.nowS - spec.retentionS, (this.floor[ti] + 1) * spec.resolutionS - spec.resolutionS);
        return { resolution_s: spec.resolutionS, retention_s: spec.retentionS, held_s: Math.max(0, this.nowS - start) };
      }),
    };
  }

  /** Every series (labels, family, and the seconds it had data), e.g. for label discovery. */
  allSeries(): Iterable<Series> {
    return this.byKey.values();
  }

  /** The finest tier whose retention reaches back to fromMs (else the coarsest). */
  tierFor(fromMs: number, nowS = this.nowS): number {
    for (let ti = 0; ti < this.tiers.length; ti++) {
      if (fromMs >= (nowS - this.tiers[ti].retentionS) * 1000) return ti;
    }
    let longest = 0;
    this.tiers.forEach((t, i) => t.retentionS > this.tiers[longest].retentionS && (longest = i));
    return longest;
  }

  /**
   * Adds the points p of a series in one tier with pLo < p ≤ pHi (within
   * retention) into the rows rowOf(p) gives; undefined skips the point.
   */
  private scan(s: Series, ti: number, pLo: number, pHi: number, rowOf: (p: number) => Float64Array | undefined): void {
    const spec = this.tiers[ti];
    const td = s.tiers[ti];
    const oldest = Math.max(Math.ceil(this.nowS / spec.resolutionS) - spec.retentionS / spec.resolutionS, this.floor[ti]);
    const lo = Math.max(pLo, oldest);
    const width = td.width;
    for (const c of td.chunks) {
      if (c.last <= lo || c.first > pHi) continue;
      const buf = c.buf;
      let pos = c.off;
      for (let j = 0; j < c.filled; j++) {
        const p = c.first + j;
        if (p > pHi) break;
        if (width === 0) {
          const [len, at] = Bytes.read(buf, pos);
          pos = at + len;
          if (len === 0 || p <= lo) continue;
          const row = rowOf(p);
          if (row) decodeInto(buf, at, pos, row);
          continue;
        }
        // Scalars: width varints, zero when the point had none.
        let row: Float64Array | undefined;
        for (let w = 0; w < width; w++) {
          const [v, at] = Bytes.read(buf, pos);
          pos = at;
          if (v === 0 || p <= lo) continue;
          row ??= rowOf(p);
          if (row) row[w] += v;
        }
      }
    }
    if (td.openP > lo && td.openP <= pHi) {
      const row = rowOf(td.openP);
      const vals = td.vals;
      if (row && vals) for (let i = 0; i < vals.length && i < row.length; i++) if (vals[i] !== 0) row[i] += vals[i];
    }
  }

  /**
   * Sums the series that pass `keep` into groups (by the values of `groupBy`)
   * on a time grid. A point belongs to the sample whose window holds the
   * point's end, so with a step that is a multiple of the tier's resolution
   * every sample is exact. The still-open point of a tier ends at the last tick.
   */
  collect(families: readonly Family[], keep: (s: Series) => boolean, groupBy: readonly string[], grid: Grid, tier = this.tierFor(grid.fromMs)): Group[] {
    const spec = this.tiers[tier];
    const resMs = spec.resolutionS * 1000;
    const toMs = grid.fromMs + grid.n * grid.stepMs;
    // Points whose end lies in (from, to]; the open point may end after the last tick.
    const pLo = Math.floor(grid.fromMs / resMs);
    const pHi = Math.ceil(toMs / resMs) + 1;
    const lastTickMs = this.nowS * 1000;
    const members = new Map<string, { family: Family; labels: Labels; series: Series[] }>();
    for (const s of this.byKey.values()) {
      if (!families.includes(s.family) || !keep(s)) continue;
      if (s.lastT * 1000 <= grid.fromMs - resMs || s.firstT * 1000 > toMs + resMs) continue;
      const labels = Object.fromEntries(groupBy.map((l) => [l, s.labels[l] ?? '']));
      const key = s.family + JSON.stringify(groupBy.map((l) => labels[l]));
      let g = members.get(key);
      if (!g) {
        g = { family: s.family, labels, series: [] };
        members.set(key, g);
      }
      g.series.push(s);
    }
    const pool: Record<number, Float64Array[]> = {};
    const out: Group[] = [];
    for (const g of members.values()) {
      const width = WIDTH[g.family];
      const free = (pool[width] ??= []);
      const rows = new Map<number, Float64Array>();
      const rowOf = (p: number): Float64Array | undefined => {
        const endMs = Math.min(p * resMs, Math.max(lastTickMs, (p - 1) * resMs + 1000));
        const k = Math.ceil((endMs - grid.fromMs) / grid.stepMs);
        if (k < 1 || k > grid.n) return undefined;
        let row = rows.get(k);
        if (!row) {
          row = free.pop() ?? new Float64Array(width);
          rows.set(k, row);
        }
        return row;
      };
      for (const s of g.series) this.scan(s, tier, pLo, pHi, rowOf);
      const steps: (Sparse | null)[] = new Array(grid.n).fill(null);
      for (const [k, row] of rows) {
        const sp = compactRow(row);
        free.push(row);
        if (sp.i.length > 0) steps[k - 1] = sp;
      }
      out.push({ family: g.family, labels: g.labels, bucketsPerOctave: this.bucketsPerOctave(tier), steps });
    }
    return out;
  }
}
