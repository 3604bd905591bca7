import { coarseBuckets, maxBound, quantile, slotBounds, slotOf } from './histogram';
import { HIST_SLOTS } from './kernel/layout';

describe('slots', () => {
  test('slots tile [0, 2^37 ns) without gaps, each at most 1/16 of its lower bound wide', () => {
    let prevHi = 0;
    for (let i = 0; i < HIST_SLOTS - 1; i++) {
      const [lo, hi] = slotBounds(i);
      expect(lo).toBe(prevHi);
      if (i > 0) expect((hi - lo) / lo).toBeLessThanOrEqual(1 / 16);
      prevHi = hi;
    }
    expect(prevHi).toBe(2 ** 37);
    expect(slotBounds(HIST_SLOTS - 1)).toEqual([2 ** 37, Infinity]);
  });

  test('slotOf puts a value inside its slot, at the edges too', () => {
    for (const ns of [0, 1023, 1024, 1088, 1500, 999_999, 1e6, 2 ** 20, 2 ** 20 - 1, 60e9, 2 ** 37 - 1]) {
      const [lo, hi] = slotBounds(slotOf(ns));
      expect(ns).toBeGreaterThanOrEqual(lo);
      expect(ns).toBeLessThan(hi);
    }
    expect(slotOf(2 ** 37)).toBe(HIST_SLOTS - 1);
    expect(slotOf(1e12)).toBe(HIST_SLOTS - 1);
    // 1024 ns is the first of 16 slots in [2^10, 2^11): 64 ns wide.
    expect(slotOf(1024)).toBe(1);
    expect(slotOf(1087)).toBe(1);
    expect(slotOf(1088)).toBe(2);
  });
});

describe('quantile', () => {
  const at = (entries: [number, number][]) => {
    const c = new Array<number>(HIST_SLOTS).fill(0);
    for (const [slot, n] of entries) c[slot] += n;
    return c;
  };

  test('places the k-th value (k = ceil(q·n)) at (j − ½)/c of its slot', () => {
    const s = slotOf(1e6);
    const [lo, hi] = slotBounds(s);
    const c = at([[s, 4]]);
    expect(quantile(c, 0.5)).toBeCloseTo(lo + (1.5 / 4) * (hi - lo), 6); // k = 2
    expect(quantile(c, 1)).toBeCloseTo(lo + (3.5 / 4) * (hi - lo), 6); // k = 4
    expect(quantile(c, 0.25)).toBeCloseTo(lo + (0.5 / 4) * (hi - lo), 6); // k = 1
    expect(quantile(c, 0)).toBeCloseTo(lo + (0.5 / 4) * (hi - lo), 6); // k is at least 1
    // A lone value sits at the middle of its slot.
    expect(quantile(at([[s, 1]]), 0.99)).toBeCloseTo((lo + hi) / 2, 6);
  });

  test('walks cumulative counts across slots', () => {
    const a = slotOf(1e6);
    const b = slotOf(10e6);
    const c = at([
      [a, 90],
      [b, 10],
    ]);
    const [alo, ahi] = slotBounds(a);
    expect(quantile(c, 0.9)).toBeCloseTo(alo + (89.5 / 90) * (ahi - alo), 6); // k = 90: last of a
    const [blo, bhi] = slotBounds(b);
    expect(quantile(c, 0.95)).toBeCloseTo(blo + (4.5 / 10) * (bhi - blo), 6); // k = 95: 5th of b
  });

  test('empty histograms answer NaN; the overflow slot answers its lower bound', () => {
    expect(quantile(at([]), 0.5)).toBeNaN();
    expect(quantile(at([[HIST_SLOTS - 1, 3]]), 0.99)).toBe(2 ** 37);
    expect(maxBound(at([]))).toBeNaN();
    expect(maxBound(at([[HIST_SLOTS - 1, 1]]))).toBe(2 ** 37);
  });

  test('maxBound is the upper bound of the highest non-empty slot', () => {
    const s = slotOf(3e6);
    expect(
      maxBound(
        at([
          [slotOf(1e3), 5],
          [s, 1],
        ]),
      ),
    ).toBe(slotBounds(s)[1]);
  });
});

describe('coarseBuckets', () => {
  test('cumulative counts by slot midpoint', () => {
    const c = new Array<number>(HIST_SLOTS).fill(0);
    c[slotOf(0.2e6)] += 2; // 0.2 ms
    c[slotOf(3e6)] += 5; // 3 ms
    c[slotOf(70e9)] += 1; // beyond the last bound
    expect(coarseBuckets(c, [0.0001, 0.001, 0.005, 60])).toEqual([0, 2, 7, 7]);
  });
});
