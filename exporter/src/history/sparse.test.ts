import { addSparse, Bytes, compactRow, decodeInto, encodePoint } from './sparse';

function roundTrip(idx: number[], val: number[], width = 500): { row: number[]; bytes: number } {
  const b = new Bytes(4);
  encodePoint(b, idx, val);
  const row = new Float64Array(width);
  decodeInto(b.buf, 0, b.len, row);
  return { row: [...row], bytes: b.len };
}

describe('point encoding', () => {
  test('round trip: runs, holes inside a run, far apart entries, counts beyond 2^32, nibble runs with escapes', () => {
    // 300..309: a run of small counts (nibbles) with escapes, one of them beyond 2^32
    const idx = [3, 4, 6, 7, 100, 101, 300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 433, 436];
    const val = [1, 200, 3, 70000, 5, 2 ** 40 + 3, 1, 1, 2 ** 40, 1, 15, 14, 16, 1, 1, 1, 1, 9];
    const { row } = roundTrip(idx, val, 437);
    const want = new Array(437).fill(0);
    idx.forEach((i, k) => (want[i] = val[k]));
    expect(row).toEqual(want);
  });

  test('a run of small counts costs half a byte per slot', () => {
    const idx = Array.from({ length: 40 }, (_, i) => 200 + i);
    const { bytes } = roundTrip(
      idx,
      idx.map(() => 5),
    );
    // runs, gap 200 (2 bytes), length and form, 40 counts in 20 bytes of nibbles
    expect(bytes).toBe(1 + 2 + 1 + 20);
  });

  const encoded = (idx: number[], val: number[]) => {
    const b = new Bytes(4);
    encodePoint(b, idx, val);
    return [...b.buf.subarray(0, b.len)];
  };

  test('nibbles: two counts a byte, low first; 15 and more as 15 and the excess after the run (hand-computed)', () => {
    // slots 10..14 = 1 2 20 1 3: runs 1, gap 10, length 5 as nibbles (5·2+1 = 11),
    // 0x21 (1, 2), 0x1f (15, 1), 0x03 (3, padding 0), then 20 − 15 = 5
    expect(encoded([10, 11, 12, 13, 14], [1, 2, 20, 1, 3])).toEqual([1, 10, 11, 0x21, 0x1f, 0x03, 5]);
    // A hole of one slot inside the run is a zero nibble: slots 0, 2 = 4, 4 → 0x04, 0x04 as nibbles (2 bytes, 3 as varints)
    expect(encoded([0, 2], [4, 4])).toEqual([1, 0, 7, 0x04, 0x04]);
  });

  test('varints where nibbles would not be shorter (large counts, hand-computed)', () => {
    // slots 0, 1 = 300, 7: as varints 0xac 0x02 7 (3 bytes); as nibbles 1 + 2 for the escape, not shorter
    expect(encoded([0, 1], [300, 7])).toEqual([1, 0, 4, 0xac, 0x02, 7]);
    // a single count of 3: one byte either way, varints
    expect(encoded([5], [3])).toEqual([1, 5, 2, 3]);
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
