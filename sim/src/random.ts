/**
 * Seeded pseudo-random numbers, so that a scenario with the same seed makes
 * the same decisions. sfc32 (Chris Doty-Humphrey's Small Fast Counting
 * generator, 32-bit): tiny state, passes PractRand far beyond what a traffic
 * simulation draws. Independent streams are derived by hashing the seed with
 * a stream name (SHA-256), not by sharing one generator between agents.
 */
import { createHash } from 'crypto';

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  private constructor(a: number, b: number, c: number, d: number) {
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    // Discard the first outputs: they still look like the seed.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** A generator for one stream of a run: the same seed and stream names give the same numbers. */
  static derive(seed: number | string, ...stream: Array<string | number | bigint>): Rng {
    const h = createHash('sha256')
      .update(JSON.stringify([String(seed), ...stream.map(String)]))
      .digest();
    return new Rng(h.readUInt32LE(0), h.readUInt32LE(4), h.readUInt32LE(8), h.readUInt32LE(12) | 1);
  }

  /** Next 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log(0) is never taken
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)];
  }
}
