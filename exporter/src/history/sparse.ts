/**
 * Sparse count vectors and their compact byte encoding. A point of history is
 * a vector of counts (histogram slots, counters) of which few are non-zero;
 * it is stored as varints: the number of entries, then per entry the gap to
 * the previous index and the count. Counts are non-negative integers below
 * 2^53 (kernel u64 deltas over at most a day), so a varint holds them exactly.
 */

/** Non-zero entries of a count vector, indexes ascending. */
export interface Sparse {
  i: number[];
  v: number[];
}

/** A growable byte buffer that is trimmed when it stops growing. */
export class Bytes {
  buf: Uint8Array;
  len = 0;

  constructor(initial = 64) {
    this.buf = new Uint8Array(initial);
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = Math.max(16, this.buf.length * 2);
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  varint(n: number): void {
    this.room(8);
    // Arithmetic, not bit operators: counts may exceed 2^32.
    while (n >= 128) {
      this.buf[this.len++] = (n % 128) | 128;
      n = Math.floor(n / 128);
    }
    this.buf[this.len++] = n;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }

  appendBytes(src: Uint8Array): void {
    this.room(src.length);
    this.buf.set(src, this.len);
    this.len += src.length;
  }

  append(src: Bytes): void {
    this.room(src.len);
    this.buf.set(src.buf.subarray(0, src.len), this.len);
    this.len += src.len;
  }

  /** Reads a varint at pos; returns [value, next position]. */
  static read(buf: Uint8Array, pos: number): [number, number] {
    let n = 0;
    for (let mul = 1; ; mul *= 128) {
      const b = buf[pos++];
      n += (b & 127) * mul;
      if (b < 128) return [n, pos];
    }
  }

  /** Drops the spare capacity (a closed chunk never grows again). */
  trim(): void {
    if (this.buf.length > this.len) this.buf = this.buf.slice(0, this.len);
  }
}

/** Bytes of n as a varint. */
function varintBytes(n: number): number {
  let b = 1;
  for (; n >= 128; n = Math.floor(n / 128)) b++;
  return b;
}

/** A count at or above it is written as this nibble, then (count − NIBBLE_ESC) as a varint. */
const NIBBLE_ESC = 15;

/**
 * Appends a point (entries ascending by index, counts > 0). A latency
 * histogram fills a run of neighbouring slots, so a point is encoded as runs:
 * the number of runs, then per run the gap from the end of the previous run,
 * its length times two plus its form, and its counts (a hole of one or two
 * empty slots inside a run costs less as zeros than as a new run). Form 0:
 * one varint per count. Form 1, where it is shorter (a second's latencies
 * spread one or two to a slot): two counts a byte, low nibble first, a count
 * of 15 or more as the nibble 15 and, after the run's nibbles, its excess
 * over 15 as a varint, in slot order.
 */
export function encodePoint(out: Bytes, idx: ArrayLike<number>, val: ArrayLike<number>, n = idx.length): void {
  const starts: number[] = [];
  for (let k = 0; k < n; k++) if (k === 0 || idx[k] - idx[k - 1] > 3) starts.push(k);
  out.varint(starts.length);
  let prevEnd = 0;
  for (let r = 0; r < starts.length; r++) {
    const first = starts[r];
    const last = (r + 1 < starts.length ? starts[r + 1] : n) - 1;
    const lo = idx[first];
    const hi = idx[last];
    const len = hi - lo + 1;
    // Zeros inside the run cost a byte each as varints, half a byte as nibbles.
    let asBytes = len - (last - first + 1);
    let escapes = 0;
    for (let k = first; k <= last; k++) {
      asBytes += varintBytes(val[k]);
      if (val[k] >= NIBBLE_ESC) escapes += varintBytes(val[k] - NIBBLE_ESC);
    }
    const nibbles = Math.ceil(len / 2) + escapes < asBytes;
    out.varint(lo - prevEnd);
    out.varint(len * 2 + (nibbles ? 1 : 0));
    if (!nibbles) {
      let k = first;
      for (let i = lo; i <= hi; i++) {
        if (idx[k] === i) out.varint(val[k++]);
        else out.varint(0);
      }
    } else {
      let k = first;
      let byte = 0;
      for (let i = lo; i <= hi; i++) {
        const c = idx[k] === i ? val[k++] : 0;
        const nib = Math.min(c, NIBBLE_ESC);
        if ((i - lo) % 2 === 0) byte = nib;
        else out.byte(byte | (nib << 4));
      }
      if (len % 2 === 1) out.byte(byte);
      for (let j = first; j <= last; j++) if (val[j] >= NIBBLE_ESC) out.varint(val[j] - NIBBLE_ESC);
    }
    prevEnd = hi + 1;
  }
}

/** Adds the counts of the point encoded at buf[start..end) into row (indexes at or past row.length are skipped). */
export function decodeInto(buf: Uint8Array, start: number, end: number, row: Float64Array): void {
  let pos = start;
  if (pos >= end) return;
  // Varints inlined: this loop is where queries spend their time.
  let runs = 0;
  for (let mul = 1; ; mul *= 128) {
    const b = buf[pos++];
    runs += (b & 127) * mul;
    if (b < 128) break;
  }
  let i = 0;
  for (let r = 0; r < runs; r++) {
    let gap = 0;
    for (let mul = 1; ; mul *= 128) {
      const b = buf[pos++];
      gap += (b & 127) * mul;
      if (b < 128) break;
    }
    let lenForm = 0;
    for (let mul = 1; ; mul *= 128) {
      const b = buf[pos++];
      lenForm += (b & 127) * mul;
      if (b < 128) break;
    }
    const len = Math.floor(lenForm / 2);
    i += gap;
    if (lenForm % 2 === 0) {
      for (const stop = i + len; i < stop; i++) {
        let b = buf[pos++];
        if (b === 0) continue;
        let v = b & 127;
        for (let mul = 128; b >= 128; mul *= 128) {
          b = buf[pos++];
          v += (b & 127) * mul;
        }
        if (i < row.length) row[i] += v;
      }
      continue;
    }
    // Nibbles, then the escapes' varints.
    let esc = pos + Math.ceil(len / 2);
    for (let j = 0; j < len; j++, i++) {
      let v = j % 2 === 0 ? buf[pos + (j >> 1)] & 15 : buf[pos + (j >> 1)] >> 4;
      if (v === 0) continue;
      if (v === NIBBLE_ESC) {
        let b = buf[esc++];
        v += b & 127;
        for (let mul = 128; b >= 128; mul *= 128) {
          b = buf[esc++];
          v += (b & 127) * mul;
        }
      }
      if (i < row.length) row[i] += v;
    }
    pos = esc;
  }
}

/** Calls add(index, count) for every non-zero entry of an encoded point. */
export function decodePoint(buf: Uint8Array, start: number, end: number, add: (index: number, count: number) => void, width = 1 << 16): void {
  const row = new Float64Array(width);
  decodeInto(buf, start, end, row);
  for (let i = 0; i < width; i++) if (row[i] !== 0) add(i, row[i]);
}

/** Sum of two sparse vectors. */
export function addSparse(a: Sparse, b: Sparse): Sparse {
  const i: number[] = [];
  const v: number[] = [];
  let x = 0;
  let y = 0;
  while (x < a.i.length || y < b.i.length) {
    if (y >= b.i.length || (x < a.i.length && a.i[x] < b.i[y])) {
      i.push(a.i[x]);
      v.push(a.v[x++]);
    } else if (x >= a.i.length || b.i[y] < a.i[x]) {
      i.push(b.i[y]);
      v.push(b.v[y++]);
    } else {
      i.push(a.i[x]);
      v.push(a.v[x++] + b.v[y++]);
    }
  }
  return { i, v };
}

/** The count at one index (0 when absent). */
export function at(s: Sparse | null | undefined, index: number): number {
  if (!s) return 0;
  // Vectors are short or their scalar entries are last: scan from the end.
  for (let k = s.i.length - 1; k >= 0; k--) {
    if (s.i[k] === index) return s.v[k];
    if (s.i[k] < index) return 0;
  }
  return 0;
}

/** Sum of the counts at indexes [lo, hi). */
export function sumRange(s: Sparse | null | undefined, lo: number, hi: number): number {
  if (!s) return 0;
  let n = 0;
  for (let k = 0; k < s.i.length; k++) if (s.i[k] >= lo && s.i[k] < hi) n += s.v[k];
  return n;
}

/** Takes the non-zero entries out of a dense row and zeroes it. */
export function compactRow(row: Float64Array): Sparse {
  const i: number[] = [];
  const v: number[] = [];
  for (let k = 0; k < row.length; k++) {
    if (row[k] !== 0) {
      i.push(k);
      v.push(row[k]);
      row[k] = 0;
    }
  }
  return { i, v };
}
