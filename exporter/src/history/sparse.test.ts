import { addSparse, Bytes, compactRow, decodeInto, encodePoint } from './sparse';

function roundTrip(idx: number[], val: number[], width = 500): { row: number[]; bytes: number } {
  const b = new Bytes(4);
  encodePoint(b, idx, val);
  const row = new Float64Array(width);
  decodeInto(b.buf, 0, b.len, row);
  return { row: [...row], bytes: b.len };
}

describe('point encoding', () => {
  test('round trip: runs, holes inside a run, far apart entries, counts beyond 2^32', () => {
    const idx = [3, 4, 6, 7, 100, 101, 433, 436];
    const val = [1, 200, 3, 70000, 5, 2 ** 40 + 3, 1, 9];
    const { row } = roundTrip(idx, val, 437);
    const want = new Array(437).fill(0);
    idx.forEach((i, k) => (want[i] = val[k]));
    expect(row).toEqual(want);
  });

  test('a run of small counts costs about a byte per slot', () => {
    const idx = Array.from({ length: 40 }, (_, i) => 200 + i);
    const { bytes } = roundTrip(idx, idx.map(() => 5));
    // runs, gap, length, 40 counts
    expect(bytes).toBe(1 + 2 + 1 + 40);
  });

  test('an empty point, and points one after another in one buffer', () => {
    const b = new Bytes(2);
    encodePoint(b, [], []);
    const first = b.len;
    encodePoint(b, [2], [7]);
    const row = new Float64Array(4);
    decodeInto(b.buf, 0, first, row);
    expect([...row]).toEqual([0, 0, 0, 0]);
    decodeInto(b.buf, first, b.len, row);
    decodeInto(b.buf, first, b.len, row);
    expect([...row]).toEqual([0, 0, 14, 0]);
  });

  test('indexes past the row are skipped', () => {
    expect(roundTrip([1, 9], [2, 3], 5).row).toEqual([0, 2, 0, 0, 0]);
  });
});

test('addSparse and compactRow', () => {
  expect(addSparse({ i: [1, 5], v: [1, 2] }, { i: [0, 5, 9], v: [4, 3, 1] })).toEqual({ i: [0, 1, 5, 9], v: [4, 1, 5, 1] });
  const row = new Float64Array([0, 2, 0, 5]);
  expect(compactRow(row)).toEqual({ i: [1, 3], v: [2, 5] });
  expect([...row]).toEqual([0, 0, 0, 0]);
});
