import { slotOf } from '../histogram';
import { bucketCount, bucketOfSlot, coarsenBucket, HistoryStore, LAT_SUM, LAT_TIMEOUTS, type Labels } from './store';

const lat = (client: string, server: string, extra: Partial<Labels> = {}): Labels => ({
  client_nf: client,
  client_type: 'SMF',
  server_nf: server,
  server_type: 'UPF',
  interface: 'N4',
  procedure: 'Heartbeat',
  vantage: 'client',
  node: 'n1',
  ...extra,
});

const all = () => true;

describe('HistoryStore', () => {
  test('a counter read every second sums exactly in every tier', () => {
    const st = new HistoryStore({
      tiers: [
        { resolutionS: 1, retentionS: 60 },
        { resolutionS: 10, retentionS: 600 },
      ],
    });
    const t0 = 1_000_000; // a multiple of 10
    for (let t = t0 + 1; t <= t0 + 50; t++) {
      st.add('latency', lat('smf-1', 'upf-1'), LAT_TIMEOUTS, 2);
      st.commit(t);
    }
    // 1 s tier: 10 s steps over (t0, t0+50]
    const fine = st.collect(['latency'], all, [], { fromMs: t0 * 1000, stepMs: 10_000, n: 5 }, 0);
    expect(fine[0].steps.map((s) => s && s.v[0])).toEqual([20, 20, 20, 20, 20]);
    const coarse = st.collect(['latency'], all, [], { fromMs: t0 * 1000, stepMs: 10_000, n: 5 }, 1);
    expect(coarse[0].steps.map((s) => s && s.v[0])).toEqual([20, 20, 20, 20, 20]);
  });

  test('series beyond the limit fold into one overflow series and are counted', () => {
    const st = new HistoryStore({ maxSeries: 2 });
    for (let i = 0; i < 5; i++) st.add('latency', lat(`smf-${i}`, 'upf-1'), slotOf(1e6), 1);
    st.commit(100);
    const stats = st.stats();
    expect(stats.series).toBe(3);
    expect(stats.overflow.series).toBe(3);
    const g = st.collect(['latency'], all, ['client_nf'], { fromMs: 99_000, stepMs: 1000, n: 1 }, 0);
    expect(g.map((x) => [x.labels.client_nf, x.steps[0]!.v[0]]).sort()).toEqual([
      ['overflow', 3],
      ['smf-0', 1],
      ['smf-1', 1],
    ]);
  });

  test('a coarse tier sums kernel slots into its buckets exactly; scalars keep their index', () => {
    const st = new HistoryStore({
      tiers: [
        { resolutionS: 1, retentionS: 60 },
        { resolutionS: 10, retentionS: 600, bucketsPerOctave: 4 },
      ],
    });
    // Slots 157..160 (928 µs to 1.05 ms) are one bucket at 4 per octave (1 + 156/4 = 40), 161 the next.
    for (let t = 1001; t <= 1010; t++) {
      st.add('latency', lat('smf-1', 'upf-1'), 157, 1);
      st.add('latency', lat('smf-1', 'upf-1'), 158, 2);
      st.add('latency', lat('smf-1', 'upf-1'), 160, 3);
      st.add('latency', lat('smf-1', 'upf-1'), 161, 4);
      st.add('latency', lat('smf-1', 'upf-1'), LAT_SUM, 5e6);
      st.commit(t);
    }
    const grid = { fromMs: 1_000_000, stepMs: 10_000, n: 1 };
    const [fine] = st.collect(['latency'], all, [], grid, 0);
    expect(fine.bucketsPerOctave).toBe(16);
    expect(fine.steps[0]).toEqual({ i: [157, 158, 160, 161, LAT_SUM], v: [10, 20, 30, 40, 5e7] });
    const [coarse] = st.collect(['latency'], all, [], grid, 1);
    expect(coarse.bucketsPerOctave).toBe(4);
    expect(coarse.steps[0]).toEqual({ i: [40, 41, LAT_SUM], v: [60, 40, 5e7] });
  });

  test('bucket arithmetic: underflow and overflow slots stay their own buckets', () => {
    expect(bucketCount(16)).toBe(434);
    expect(bucketCount(4)).toBe(110);
    expect(bucketCount(1)).toBe(29);
    expect([0, 1, 4, 5, 432, 433].map((s) => bucketOfSlot(s, 4))).toEqual([0, 1, 1, 2, 108, 109]);
    // 16 → 4 → 1 per octave is the same as 16 → 1
    for (const slot of [0, 1, 17, 159, 212, 433]) expect(coarsenBucket(bucketOfSlot(slot, 4), 4, 1)).toBe(bucketOfSlot(slot, 1));
    expect(() => new HistoryStore({ tiers: [{ resolutionS: 1, retentionS: 60, bucketsPerOctave: 3 }] })).toThrow(/buckets per octave 3/);
  });
});
