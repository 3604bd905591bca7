import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HistoryStore, LAT_SUM, type Labels, type TierSpec } from './store';
import { loadHistory, saveHistory, StateFileError } from './state';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-state-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const file = () => path.join(tmp, `state-${n++}`);

const TIERS: TierSpec[] = [
  { resolutionS: 1, retentionS: 120 },
  { resolutionS: 10, retentionS: 1200, bucketsPerOctave: 4 },
];
const lat = (c: string): Labels => ({ client_nf: c, client_type: 'SMF', server_nf: 'upf-1', server_type: 'UPF', interface: 'N4', procedure: 'heartbeat', vantage: 'both', node: 'n1' });
const out = (c: string, outcome: string): Labels => ({ ...lat(c), outcome, code: '1' });
const traffic: Labels = { src_nf: 'smf-1', dst_nf: 'upf-1', interface: 'N4', node: 'n1' };
const all = () => true;

/** 300 s of three latency series, their outcomes and one traffic series (some seconds idle). */
function fill(st: HistoryStore, from: number, to: number): void {
  for (let t = from; t <= to; t++) {
    for (let k = 1; k <= 3; k++) {
      if ((t + k) % 7 === 0) continue;
      st.add('latency', lat(`smf-${k}`), 150 + ((t * k) % 9), 1 + (t % 3));
      st.add('latency', lat(`smf-${k}`), LAT_SUM, 1e6 * k);
      st.add('outcome', out(`smf-${k}`, 'accepted'), 0, 1 + (t % 3));
    }
    st.add('traffic', traffic, 0, t % 5);
    st.add('traffic', traffic, 1, 100 * (t % 5) + 300);
    st.commit(t);
  }
}

/** Every answer a query can give: each tier, every family, per series, on the tier's own grid. */
function answers(st: HistoryStore, fromS: number, toS: number): unknown[] {
  return st.tiers.map((spec, ti) => {
    const r = spec.resolutionS;
    const grid = { fromMs: Math.floor(fromS / r) * r * 1000, stepMs: r * 1000, n: Math.ceil((toS - fromS) / r) + 1 };
    return st
      .collect(['latency', 'outcome', 'traffic'], all, ['client_nf', 'outcome', 'src_nf'], grid, ti)
      .sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)) || a.family.localeCompare(b.family));
  });
}

/** Sum of one index over a whole tier's range: what a counter has counted. */
function total(st: HistoryStore, family: 'latency' | 'outcome' | 'traffic', index: number, ti: number, toS: number): number {
  const r = st.tiers[ti].resolutionS;
  const grid = { fromMs: (toS - st.tiers[ti].retentionS) * 1000, stepMs: st.tiers[ti].retentionS * 1000 + r * 1000, n: 1 };
  let sum = 0;
  for (const g of st.collect([family], all, [], grid, ti)) for (const s of g.steps) if (s) s.i.forEach((i, k) => i === index && (sum += s.v[k]));
  return sum;
}

const T0 = 1_700_000_000;

describe('history state file', () => {
  test('round trip: the restored store answers every query as the saved one, and holds the same bytes', () => {
    const a = new HistoryStore({ tiers: TIERS });
    fill(a, T0 + 1, T0 + 300);
    const f = file();
    const saved = saveHistory(a, f);
    expect(saved.series).toBe(7);
    expect(fs.statSync(f).size).toBe(saved.bytes);
    const b = new HistoryStore({ tiers: TIERS });
    const r = loadHistory(b, f)!;
    expect(r).toMatchObject({ series: 7, skipped: 0, savedAtS: T0 + 300 });
    expect(answers(b, T0 - 20, T0 + 300)).toEqual(answers(a, T0 - 20, T0 + 300));
    const { bytes: bytesA, ...statsA } = a.stats();
    const { bytes: bytesB, ...statsB } = b.stats();
    expect(statsB).toEqual(statsA);
    // The unfinished chunks get a buffer of their size (a running store's has grown by doubling).
    expect(bytesB).toBeLessThanOrEqual(bytesA);
    expect(bytesB).toBeGreaterThan(bytesA * 0.8);
    // Both go on the same way: the open points and the last, unfinished chunks were taken over.
    fill(a, T0 + 301, T0 + 400);
    fill(b, T0 + 301, T0 + 400);
    expect(answers(b, T0 + 100, T0 + 400)).toEqual(answers(a, T0 + 100, T0 + 400));
  });

  test('restored counters stay monotonic: totals only grow through a restart, nothing counted twice', () => {
    const a = new HistoryStore({ tiers: TIERS });
    fill(a, T0 + 1, T0 + 95); // ends inside an open 10 s point and an unfinished chunk
    const before = [total(a, 'outcome', 0, 0, T0 + 95), total(a, 'outcome', 0, 1, T0 + 95), total(a, 'traffic', 1, 1, T0 + 95)];
    const f = file();
    saveHistory(a, f);
    const b = new HistoryStore({ tiers: TIERS });
    loadHistory(b, f);
    expect([total(b, 'outcome', 0, 0, T0 + 95), total(b, 'outcome', 0, 1, T0 + 95), total(b, 'traffic', 1, 1, T0 + 95)]).toEqual(before);
    // After the restart: one second later, and one with the clock stepped back (it must not reorder points).
    b.add('outcome', out('smf-1', 'accepted'), 0, 5);
    b.add('traffic', traffic, 1, 1000);
    b.commit(T0 + 90);
    expect(total(b, 'outcome', 0, 0, T0 + 95)).toBe(before[0] + 5);
    expect(total(b, 'outcome', 0, 1, T0 + 95)).toBe(before[1] + 5);
    expect(total(b, 'traffic', 1, 1, T0 + 95)).toBe(before[2] + 1000);
    b.add('outcome', out('smf-2', 'accepted'), 0, 2);
    b.commit(T0 + 96);
    expect(total(b, 'outcome', 0, 1, T0 + 96)).toBe(before[1] + 7);
  });

  test('the encoding in the file: scalar points are their counts as varints (hand-computed bytes)', () => {
    const st = new HistoryStore({ tiers: [{ resolutionS: 1, retentionS: 600 }] });
    // outcome: 5, 5, nothing, 200 (0xc8 0x01); traffic: (3 packets, 180 bytes = 0xb4 0x01)
    const o = out('smf-1', 'accepted');
    st.add('outcome', o, 0, 5);
    st.commit(T0 + 1);
    st.add('outcome', o, 0, 5);
    st.add('traffic', traffic, 0, 3);
    st.add('traffic', traffic, 1, 180);
    st.commit(T0 + 2);
    st.commit(T0 + 3);
    st.add('outcome', o, 0, 200);
    // latency: slots 150..152 = 1, 0, 2 and a sum of 300 (0xac 0x02): one run from 150 and one from 434
    st.add('latency', lat('smf-1'), 150, 1);
    st.add('latency', lat('smf-1'), 152, 2);
    st.add('latency', lat('smf-1'), LAT_SUM, 300);
    st.commit(T0 + 4);
    st.commit(T0 + 11); // the sweep (every 10 s) closes the points still open
    const { state, bytes } = st.exportState();
    const byFamily = Object.fromEntries(state.series.map((s, k) => [s.family, { chunks: s.tiers[0].chunks, bytes: [...bytes[k]] }]));
    const p0 = T0 + 1 - ((T0 + 1) % 64); // the first point of the chunk holding T0 + 1
    expect(byFamily.outcome).toEqual({ chunks: [p0, T0 + 4 - p0 + 1, T0 + 4 - p0 + 1 + 1], bytes: [...new Array(T0 + 1 - p0).fill(0), 5, 5, 0, 0xc8, 0x01] });
    expect(byFamily.traffic).toEqual({ chunks: [p0, T0 + 2 - p0 + 1, 2 * (T0 + 2 - p0) + 3], bytes: [...new Array(2 * (T0 + 2 - p0)).fill(0), 3, 0xb4, 0x01] });
    // 2 runs. Gap 150 (0x96 0x01), length 3 as nibbles (3·2+1 = 7): counts 1 0 2 in 0x01 0x02 (2 bytes, 3 as varints).
    // Gap 434 − 153 = 281 (0x99 0x02), length 1 as varints (1·2+0 = 2): 300 (0xac 0x02). 11 bytes after the point's length.
    expect(byFamily.latency.bytes.slice(-12)).toEqual([11, 2, 0x96, 0x01, 7, 0x01, 0x02, 0x99, 0x02, 2, 0xac, 0x02]);
  });

  test('drop series saved before drops had a class get the class of their reason', () => {
    const old = new HistoryStore({ tiers: TIERS });
    const drop = (reason: string) => ({ nf: 'upf-1', nf_type: 'UPF', peer_nf: 'gnb-1', interface: 'N3', reason, node: 'n1' }) as unknown as Labels;
    old.add('drop', drop('OTHERHOST'), 0, 4);
    old.add('drop', drop('NO_SOCKET'), 0, 3);
    old.commit(T0 + 1);
    const f = file();
    saveHistory(old, f);
    // As an exporter before the class label wrote it: the drop series' labels without `class`.
    const buf = fs.readFileSync(f);
    const magic = buf.indexOf(0x0a) + 1; // the header line "nfscope-history …\n"
    const hlen = buf.readUInt32LE(magic + 32);
    const header = JSON.parse(buf.subarray(magic + 36, magic + 36 + hlen).toString('utf8'));
    for (const sr of header.series) delete sr.labels.class;
    const h2 = Buffer.from(JSON.stringify(header), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(h2.length);
    const rest = buf.subarray(magic + 36 + hlen);
    const digest = createHash('sha256').update(len).update(h2).update(rest).digest();
    fs.writeFileSync(f, Buffer.concat([buf.subarray(0, magic), digest, len, h2, rest]));
    const classes = (st: HistoryStore) =>
      st
        .collect(['drop'], all, ['reason', 'class'], { fromMs: T0 * 1000, stepMs: 10_000, n: 1 }, 0)
        .map((g) => [g.labels.reason, g.labels.class, g.steps[0]!.v[0]])
        .sort();
    const st = new HistoryStore({ tiers: TIERS });
    loadHistory(st, f, { dropClass: (r) => (r === 'OTHERHOST' ? 'benign' : 'loss') });
    expect(classes(st)).toEqual([
      ['NO_SOCKET', 'loss', 3],
      ['OTHERHOST', 'benign', 4],
    ]);
    // without a classifier: loss
    const plain = new HistoryStore({ tiers: TIERS });
    loadHistory(plain, f);
    expect(classes(plain).map((r) => r[1])).toEqual(['loss', 'loss']);
  });

  test('no file: nothing restored, the store stays empty', () => {
    const st = new HistoryStore({ tiers: TIERS });
    expect(loadHistory(st, path.join(tmp, 'absent'))).toBeNull();
    expect(st.stats().series).toBe(0);
  });

  test('a foreign, damaged, truncated or other-tier file is refused with an error naming it', () => {
    const a = new HistoryStore({ tiers: TIERS });
    fill(a, T0 + 1, T0 + 100);
    const good = file();
    saveHistory(a, good);
    const cases: [string, (b: Buffer) => Buffer, RegExp][] = [
      ['foreign', () => Buffer.from('node: n1\ninterfaces: [eth0]\n'), /not an nfscope history state file/],
      ['empty', () => Buffer.alloc(0), /not an nfscope history state file/],
      ['flipped byte', (b) => ((b[b.length - 3] ^= 0x40), b), /damaged \(checksum mismatch\)/],
      ['truncated', (b) => b.subarray(0, b.length - 100), /damaged \(checksum mismatch\)/],
    ];
    for (const [name, damage, re] of cases) {
      const f = path.join(tmp, `bad-${name.replace(' ', '-')}`);
      fs.writeFileSync(f, damage(fs.readFileSync(good)));
      const st = new HistoryStore({ tiers: TIERS });
      expect(() => loadHistory(st, f)).toThrow(StateFileError);
      expect(() => loadHistory(st, f)).toThrow(new RegExp(`^history state file ${f}: ${re.source}`));
      expect(st.stats().series).toBe(0);
    }
    const other = new HistoryStore({
      tiers: [
        { resolutionS: 1, retentionS: 120 },
        { resolutionS: 10, retentionS: 1200, bucketsPerOctave: 16 },
      ],
    });
    expect(() => loadHistory(other, good)).toThrow(`history state file ${good}: written with the tiers (resolution/buckets per octave) 1s/16, 10s/4, the configuration has 1s/16, 10s/16`);
    // A longer retention is fine: what each point means did not change.
    const longer = new HistoryStore({
      tiers: [
        { resolutionS: 1, retentionS: 300 },
        { resolutionS: 10, retentionS: 1200, bucketsPerOctave: 4 },
      ],
    });
    expect(loadHistory(longer, good)!.series).toBe(7);
  });

  test('the series limit and the memory limit hold for a restored history', () => {
    const a = new HistoryStore({ tiers: TIERS });
    fill(a, T0 + 1, T0 + 300);
    const f = file();
    saveHistory(a, f);
    const few = new HistoryStore({ tiers: TIERS, maxSeries: 3 });
    expect(loadHistory(few, f)).toMatchObject({ series: 3, skipped: 4 });
    const small = new HistoryStore({ tiers: TIERS, memoryLimitBytes: a.stats().bytes / 2 });
    loadHistory(small, f);
    expect(small.stats().bytes).toBeLessThanOrEqual(a.stats().bytes / 2);
    expect(small.stats().evicted_chunks).toBeGreaterThan(0);
  });
});
