import { slotOf } from '../histogram';
import { HistoryStore, LAT_TIMEOUTS, type Labels } from './store';

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
    const st = new HistoryStore({ tiers: [{ resolutionS: 1, retentionS: 60 }, { resolutionS: 10, retentionS: 600 }] });
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
});
