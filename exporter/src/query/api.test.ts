import { assertAnswer } from '@nfscope/api/dist/validate';
import type { AddressInfo } from 'net';
import type { Server } from 'http';
import express from 'express';
import { DeltaTracker } from '../collector';
import { slotOf } from '../histogram';
import { HistoryFeed, type LatencySeriesLabels } from '../history/feed';
import { HistoryStore } from '../history/store';
import { registerQueryRoutes, storeSummary, type QueryContext } from './api';
import { parseQuery, resolveStep } from './params';

/*
 * Hand-computed slots: 1 ms = 1e6 ns lies in 2^19..2^20, sub-bucket
 * floor(1e6 / 2^15) mod 16 = 14, so its slot is [30·2^15, 31·2^15) =
 * [983040, 1015808) ns. 10 ms = 1e7 ns lies in 2^23..2^24, sub-bucket
 * floor(1e7 / 2^19) mod 16 = 3: [19·2^19, 20·2^19) = [9961472, 10485760) ns.
 */
const MS1 = slotOf(1e6);
const MS10 = slotOf(1e7);
const MS1_LO = 983040;
const MS1_W = 32768;
const MS10_LO = 9961472;
const MS10_W = 524288;

const T0 = 1_800_000_000; // unix seconds, a multiple of 60

const pair = (client: string, server: string, procedure = 'SessionEstablishment'): LatencySeriesLabels => ({
  client_nf: client,
  client_type: client.startsWith('gnb') ? 'gNB' : 'SMF',
  server_nf: server,
  server_type: 'UPF',
  interface: client.startsWith('gnb') ? 'N3' : 'N4',
  procedure,
});

interface Node {
  url: string;
  store: HistoryStore;
  feed: HistoryFeed;
  ctx: QueryContext;
  server: Server;
}

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** A store fed by hand and the query routes on a free loopback port. */
async function node(name: string, nfs: { name: string; type: string; node?: string }[], peers: string[] = [], nowS = T0 + 100, store = new HistoryStore()): Promise<Node> {
  const feed = new HistoryFeed(store, { node: name, nfs: nfs.map((n) => ({ ...n, addresses: [] })) });
  const ctx: QueryContext = { store, node: name, hosted: feed.hosted, peers: { peers, timeoutMs: 1000 }, now: () => nowS * 1000 };
  const app = express();
  registerQueryRoutes(app, ctx);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, store, feed, ctx, server };
}

const NFS = [
  { name: 'smf-1', type: 'SMF' },
  { name: 'smf-2', type: 'SMF' },
  { name: 'upf-1', type: 'UPF' },
  { name: 'gnb-1', type: 'gNB' },
];

/** A GET whose answer must keep the API contract (@nfscope/api's schema), success or error. */
async function get(url: string): Promise<{ status: number; body: Record<string, any> }> {
  const r = await fetch(url);
  const body = (await r.json()) as Record<string, any>;
  assertAnswer(new URL(url).pathname + new URL(url).search, r.status, body);
  return { status: r.status, body };
}

/** The values of the `value` field of the frame whose labels include `match`. */
function valuesOf(body: Record<string, any>, match: Record<string, string>): unknown[] {
  const f = body.frames.find((fr: any) => Object.entries(match).every(([k, v]) => fr.fields[1].labels[k] === v));
  if (!f) throw new Error(`no frame with ${JSON.stringify(match)} in ${JSON.stringify(body.frames.map((x: any) => x.fields[1].labels))}`);
  return f.fields[1].values;
}

describe('/api/v1/query on one node', () => {
  let n: Node;
  beforeAll(async () => {
    n = await node('n1', NFS);
    // 100 s of traffic: every second smf-1→upf-1 completes 9 at 1 ms and 1 at
    // 10 ms, one of them rejected; smf-2→upf-1 completes 2 at 10 ms and times out 1.
    for (let t = T0 + 1; t <= T0 + 100; t++) {
      n.feed.histogram(pair('smf-1', 'upf-1'), MS1, 9);
      n.feed.histogram(pair('smf-1', 'upf-1'), MS10, 1);
      n.feed.latencySum(pair('smf-1', 'upf-1'), 9 * 1e6 + 1e7);
      n.feed.outcome(pair('smf-1', 'upf-1'), 'accepted', '1', 9);
      n.feed.outcome(pair('smf-1', 'upf-1'), 'rejected', '64', 1);
      n.feed.histogram(pair('smf-2', 'upf-1'), MS10, 2);
      n.feed.outcome(pair('smf-2', 'upf-1'), 'accepted', '1', 2);
      n.feed.timeouts(pair('smf-2', 'upf-1'), 1);
      n.feed.retransmissions(pair('smf-2', 'upf-1'), 3);
      n.feed.drops({ nf: 'upf-1', nf_type: 'UPF', peer_nf: 'gnb-1', interface: 'N3', reason: 'NO_SOCKET', class: 'loss' }, 5);
      n.feed.drops({ nf: 'upf-1', nf_type: 'UPF', peer_nf: 'gnb-1', interface: 'N3', reason: 'OTHERHOST', class: 'benign' }, 7);
      n.feed.traffic({ src_nf: 'gnb-1', dst_nf: 'upf-1', interface: 'N3' }, 100, 15_000);
      n.feed.commit(t);
    }
  });

  const q = (params: string) => get(`${n.url}/api/v1/query?from=${T0 * 1000}&to=${(T0 + 100) * 1000}&${params}`);

  test('percentiles of one series, per 10 s step, from its buckets', async () => {
    const { status, body } = await q('kind=latency_percentiles&step=10s&filter=client_nf=smf-1&quantiles=0.5,0.95');
    expect(status).toBe(200);
    expect(body.step_ms).toBe(10_000);
    expect(body.frames).toHaveLength(2);
    // Per step: 90 at 1 ms, 10 at 10 ms. p50: k = 50, the 50th of 90 in the 1 ms slot.
    const p50 = (MS1_LO + ((50 - 0.5) / 90) * MS1_W) / 1e9;
    // p95: k = 95, the 5th of 10 in the 10 ms slot.
    const p95 = (MS10_LO + ((5 - 0.5) / 10) * MS10_W) / 1e9;
    expect(valuesOf(body, { quantile: '0.5' })).toEqual(Array(10).fill(Number(p50.toPrecision(9))));
    expect(valuesOf(body, { quantile: '0.95' })).toEqual(Array(10).fill(Number(p95.toPrecision(9))));
    expect(body.frames[0].name).toBe('p50 smf-1 → upf-1 N4 SessionEstablishment');
    expect(body.frames[0].fields[0].values[0]).toBe((T0 + 10) * 1000);
    expect(body.frames[0].fields[1].config).toEqual({ unit: 's' });
  });

  test('quantiles of a group come from the summed buckets of its series', async () => {
    const { body } = await q('kind=latency_percentiles&step=100s&group_by=server_nf&quantiles=0.5,0.9');
    // Over 100 s: 900 at 1 ms, 100 + 200 at 10 ms (n = 1200). p50: k = 600 of 900 in the 1 ms slot;
    // p90: k = 1080, the 180th of 300 in the 10 ms slot.
    expect(valuesOf(body, { quantile: '0.5' })).toEqual([Number(((MS1_LO + (599.5 / 900) * MS1_W) / 1e9).toPrecision(9))]);
    expect(valuesOf(body, { quantile: '0.9' })).toEqual([Number(((MS10_LO + (179.5 / 300) * MS10_W) / 1e9).toPrecision(9))]);
  });

  test('rates, timeouts, retransmissions and error ratio', async () => {
    const rate = await q('kind=request_rate&step=20s&group_by=client_nf');
    expect(valuesOf(rate.body, { client_nf: 'smf-1' })).toEqual(Array(5).fill(10));
    expect(valuesOf(rate.body, { client_nf: 'smf-2' })).toEqual(Array(5).fill(3)); // 2 completed + 1 timeout
    const byOutcome = await q('kind=request_rate&step=20s&group_by=outcome,code&filter=client_nf=smf-1,smf-2');
    expect(valuesOf(byOutcome.body, { outcome: 'rejected', code: '64' })).toEqual(Array(5).fill(1));
    expect(valuesOf(byOutcome.body, { outcome: 'accepted' })).toEqual(Array(5).fill(11));
    expect(valuesOf(byOutcome.body, { outcome: 'timeout' })).toEqual(Array(5).fill(1));
    const timeouts = await q('kind=timeouts&step=50s&group_by=client_nf');
    expect(valuesOf(timeouts.body, { client_nf: 'smf-2' })).toEqual([1, 1]);
    const re = await q('kind=retransmissions&step=50s&group_by=client_nf&filter=client_nf!=smf-1');
    expect(re.body.frames).toHaveLength(1);
    expect(valuesOf(re.body, { client_nf: 'smf-2' })).toEqual([3, 3]);
    const er = await q('kind=error_ratio&step=50s&group_by=client_nf');
    expect(valuesOf(er.body, { client_nf: 'smf-1' })).toEqual([0.1, 0.1]);
    expect(valuesOf(er.body, { client_nf: 'smf-2' })).toEqual([Number((1 / 3).toPrecision(9)), Number((1 / 3).toPrecision(9))]);
  });

  test('drops and traffic, with the virtual nf filter and regular expressions', async () => {
    const d = await q('kind=drops&step=100s&filter=nf=~upf-.*');
    expect(valuesOf(d.body, { nf: 'upf-1', reason: 'NO_SOCKET' })).toEqual([5]);
    expect(valuesOf(d.body, { nf: 'upf-1', reason: 'OTHERHOST' })).toEqual([7]);
    expect(d.body.frames[0].fields[1].config.unit).toBe('pps');
    // The class: a filter and a label like any other; loss alone is what alerts and default views count.
    const loss = await q('kind=drops&step=100s&filter=class=loss&group_by=class');
    expect(loss.body.frames.map((f: { fields: { labels?: Record<string, string> }[] }) => f.fields[1].labels)).toEqual([{ class: 'loss' }]);
    expect(valuesOf(loss.body, { class: 'loss' })).toEqual([5]);
    const benign = await q('kind=drops&step=100s&filter=class!=loss&group_by=class');
    expect(valuesOf(benign.body, { class: 'benign' })).toEqual([7]);
    const none = await q('kind=drops&step=100s&filter=nf!~upf-.*');
    expect(none.body.frames).toEqual([]);
    const bytes = await q('kind=traffic&metric=bytes&step=100s&filter=nf=gnb-1');
    expect(valuesOf(bytes.body, { src_nf: 'gnb-1' })).toEqual([15_000]);
    expect(bytes.body.frames[0].fields[1].config.unit).toBe('Bps');
  });

  test('heatmap: one field per bucket with counts, non-cumulative, only the range that has counts', async () => {
    const { body } = await q('kind=latency_heatmap&step=50s&buckets_per_octave=1');
    const [frame] = body.frames;
    expect(frame.meta).toEqual({ type: 'heatmap-rows' });
    // One bucket per octave: 1 ms is in 2^19..2^20 ns, 10 ms in 2^23..2^24: five buckets, 2^20 … 2^24 ns.
    expect(frame.fields.map((f: any) => f.name)).toEqual(['time', ...[20, 21, 22, 23, 24].map((e) => String(Number((2 ** e / 1e9).toPrecision(6))))]);
    expect(frame.fields[1].values).toEqual([450, 450]);
    expect(frame.fields[2].values).toEqual([0, 0]);
    expect(frame.fields[5].values).toEqual([150, 150]);
    expect(frame.fields[5].labels).toEqual({ le: String(Number((2 ** 24 / 1e9).toPrecision(6))), ge: String(Number((2 ** 23 / 1e9).toPrecision(6))) });
    // Each bucket starts where the one below it ends: no gaps, no overlaps.
    for (let i = 2; i < frame.fields.length; i++) expect(frame.fields[i].labels.ge).toBe(frame.fields[i - 1].labels.le);
  });

  test('distribution over the range at full resolution', async () => {
    const { body } = await q('kind=latency_distribution&buckets_per_octave=16&filter=client_nf=smf-2');
    const [f] = body.frames;
    expect(f.meta).toEqual({ type: 'histogram' });
    expect(f.fields[0].values).toEqual([MS10_LO / 1e9]);
    expect(f.fields[1].values).toEqual([(MS10_LO + MS10_W) / 1e9]);
    expect(f.fields[2].values).toEqual([200]);
  });

  test('topology: NFs as nodes, pairs as edges', async () => {
    const { body } = await q('kind=topology');
    const [nodes, edges] = body.frames;
    const col = (fr: any, name: string) => fr.fields.find((f: any) => f.name === name).values;
    expect(col(nodes, 'id')).toEqual(['smf-1', 'smf-2', 'upf-1']);
    // upf-1 served 1000 + 300 requests in 100 s; 100 rejected + 100 timeouts.
    expect(col(nodes, 'mainstat')).toEqual([0, 0, 13]);
    expect(col(nodes, 'secondarystat')).toEqual([0, 0, Number((200 / 1300).toPrecision(9))]);
    expect(col(nodes, 'arc__accepted')).toEqual([1, 1, Number((1 - Number((200 / 1300).toPrecision(9))).toPrecision(9))]);
    expect(col(edges, 'id')).toEqual(['smf-1->upf-1', 'smf-2->upf-1']);
    expect(col(edges, 'mainstat')).toEqual([10, 3]);
    expect(col(edges, 'detail__error_ratio')).toEqual([0.1, Number((1 / 3).toPrecision(9))]);
    expect(col(edges, 'detail__interfaces')).toEqual(['N4', 'N4']);
  });

  test('nf_pairs table', async () => {
    const { body } = await q('kind=nf_pairs');
    const [t] = body.frames;
    const col = (name: string) => t.fields.find((f: any) => f.name === name).values;
    expect(col('client_nf')).toEqual(['smf-1', 'smf-2']);
    expect(col('requests')).toEqual([1000, 300]);
    expect(col('rate')).toEqual([10, 3]);
    expect(col('rejected')).toEqual([100, 0]);
    expect(col('timeouts')).toEqual([0, 100]);
    expect(col('retransmissions')).toEqual([0, 300]);
    expect(col('p50')).toEqual([Number(((MS1_LO + (499.5 / 900) * MS1_W) / 1e9).toPrecision(9)), Number(((MS10_LO + (99.5 / 200) * MS10_W) / 1e9).toPrecision(9))]);
  });

  test('POST takes the same parameters as JSON', async () => {
    const r = await fetch(`${n.url}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'request_rate',
        from: T0 * 1000,
        to: (T0 + 100) * 1000,
        step: '20s',
        group_by: ['client_nf'],
        filters: [{ label: 'client_nf', op: '=', value: ['smf-1', 'smf-2'] }],
      }),
    });
    const body = (await r.json()) as Record<string, any>;
    expect(r.status).toBe(200);
    expect(valuesOf(body, { client_nf: 'smf-1' })).toEqual(Array(5).fill(10));
  });

  test.each([
    ['', /^kind: is required/],
    ['kind=latency', /^kind: "latency" is not a kind/],
    ['kind=request_rate&filter=reason=NO_SOCKET', /^filter: "reason" is not a label of request_rate/],
    ['kind=drops&group_by=client_nf', /^group_by: "client_nf" is not a label of drops/],
    ['kind=latency_percentiles&group_by=nf', /^group_by: "nf" is not a label .*filter-only/],
    ['kind=latency_percentiles&filter=client_nf=~(', /^filter client_nf=~: "\(" is not a regular expression/],
    ['kind=latency_percentiles&step=500ms', /^step: "500ms" is under 1s/],
    ['kind=latency_percentiles&quantiles=0.5,1', /^quantiles: "1" is not a number between 0 and 1/],
    ['kind=latency_heatmap&buckets_per_octave=3', /^buckets_per_octave: "3"/],
    ['kind=traffic&metric=flows', /^metric: "flows"/],
    ['kind=drops&scope=world', /^scope: "world"/],
    ['kind=drops&vantage=middle', /^vantage: "middle"/],
    ['kind=drops&colour=red', /^colour: unknown parameter/],
  ])('%s is a 400 naming the parameter', async (params, message) => {
    const { status, body } = await get(`${n.url}/api/v1/query?${params}`);
    expect(status).toBe(400);
    expect(body.error).toMatch(message);
  });

  test('ranges, steps and point counts are bounded', async () => {
    const long = await get(`${n.url}/api/v1/query?kind=drops&from=now-25h`);
    expect(long.status).toBe(400);
    expect(long.body.error).toMatch(/^from: the range 90000 s is longer than the history \(86400 s\)/);
    const backwards = await get(`${n.url}/api/v1/query?kind=drops&from=now&to=now-1h`);
    expect(backwards.body.error).toMatch(/^to: /);
    // An explicit step is raised to the resolution of the tier that answers: 12 h back is the 1 min tier.
    const coarse = await get(`${n.url}/api/v1/query?kind=drops&from=now-12h&step=1s`);
    expect(coarse.body.step_ms).toBe(60_000);
    // With a tier fine enough, too many points is a 400.
    const q12h = parseQuery({ kind: 'drops', from: 'now-12h', step: '1s' }, { json: false, nowMs: T0 * 1000, maxRangeMs: 86_400_000 });
    expect(() => resolveStep(q12h, 1000)).toThrow(/^step: 1000 ms gives 43200 points over the range \(at most 11000\)/);
    expect(resolveStep({ ...q12h, stepMs: undefined }, 1000)).toEqual({ stepMs: 144_000, n: 300 });
    // The default step is range / 300, rounded up to the tier's resolution.
    const day = await get(`${n.url}/api/v1/query?kind=drops&from=now-24h`);
    expect(day.status).toBe(200);
    expect(day.body.step_ms).toBe(300_000);
  });

  test('the summary from the history: counts, percentiles, rejections, timeouts, drops', async () => {
    const s = (await storeSummary(n.ctx, 100, 'node')) as any;
    expect(Object.keys(s)).toEqual(['node', 'window_s', 'latency', 'drops']);
    expect(s.latency.map((r: any) => [r.client, r.count, r.rejected, r.timeouts, r.retransmissions])).toEqual([
      ['smf-1', 1000, 100, 0, 0],
      ['smf-2', 200, 0, 100, 300],
    ]);
    // mean: (9 · 1 ms + 10 ms) / 10 per second
    expect(s.latency[0].mean_ms).toBe(1.9);
    expect(s.latency[0].p50_ms).toBe(Math.round((MS1_LO + (499.5 / 900) * MS1_W) / 1e3) / 1e3);
    expect(s.drops).toEqual([
      { nf: 'upf-1', nf_type: 'UPF', peer_nf: 'gnb-1', interface: 'N3', reason: 'OTHERHOST', class: 'benign', count: 700 },
      { nf: 'upf-1', nf_type: 'UPF', peer_nf: 'gnb-1', interface: 'N3', reason: 'NO_SOCKET', class: 'loss', count: 500 },
    ]);
  });

  test('labels and their values', async () => {
    const names = await get(`${n.url}/api/v1/labels`);
    expect(names.body.labels).toContain('client_nf');
    expect(names.body.labels).toContain('reason');
    expect(names.body.labels).toContain('class');
    const classes = await get(`${n.url}/api/v1/labels/class/values?from=${T0 * 1000}&to=${(T0 + 100) * 1000}`);
    expect(classes.body.values).toEqual(['benign', 'loss']);
    expect(names.body.labels).toEqual([...names.body.labels].sort());
    const v = await get(`${n.url}/api/v1/labels/client_nf/values?from=${T0 * 1000}&to=${(T0 + 100) * 1000}`);
    expect(v.body).toEqual({ name: 'client_nf', node: 'n1', values: ['smf-1', 'smf-2'] });
    const nf = await get(`${n.url}/api/v1/labels/nf/values?from=${T0 * 1000}&to=${(T0 + 100) * 1000}`);
    expect(nf.body.values).toEqual(['gnb-1', 'smf-1', 'smf-2', 'upf-1']);
    const outside = await get(`${n.url}/api/v1/labels/client_nf/values?from=${(T0 + 200) * 1000}&to=${(T0 + 300) * 1000}`);
    expect(outside.body.values).toEqual([]);
    const bad = await get(`${n.url}/api/v1/labels/colour/values`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^name: "colour" is not a label/);
  });
});

describe('rates across tier boundaries', () => {
  test('the same counter answers the same rate from the 1 s, 10 s and 1 min tiers', async () => {
    const nowS = T0 + 3600;
    const n = await node('n1', NFS, [], nowS);
    for (let t = T0 + 1; t <= nowS; t++) {
      n.feed.drops({ nf: 'upf-1', nf_type: 'UPF', peer_nf: 'gnb-1', interface: 'N3', reason: 'NO_SOCKET', class: 'loss' }, 3);
      n.feed.commit(t);
    }
    const at = async (fromS: number, step: string) => {
      const { body } = await get(`${n.url}/api/v1/query?kind=drops&from=${fromS * 1000}&to=${nowS * 1000}&step=${step}`);
      return body;
    };
    // 10 min back: the 1 s tier; 30 min back: the 10 s tier (a 15 s step is raised to 20 s); the whole hour.
    const fine = await at(nowS - 600, '60s');
    expect(fine.step_ms).toBe(60_000);
    expect(fine.frames[0].fields[1].values).toEqual(Array(10).fill(3));
    const coarse = await at(nowS - 1800, '15s');
    expect(coarse.step_ms).toBe(20_000);
    expect(coarse.frames[0].fields[1].values).toEqual(Array(90).fill(3));
    // The open 10 s point still counts: the newest sample has its share.
    const hour = await at(T0, '600s');
    expect(hour.frames[0].fields[1].values).toEqual(Array(6).fill(3));
  });
});

/*
 * Resolution per tier: by default the 1 s tier keeps the kernel's 16 buckets
 * per octave, the 10 s and 1 min tiers 4. At 4 per octave the bucket that
 * holds 1 ms is kernel slots 157..160: [28·2^15, 32·2^15) = [917504,
 * 1048576) ns, four times as wide as the 1 ms slot [983040, 1015808).
 */
const MS1_BUCKET4_LO = 917504;
const MS1_BUCKET4_W = 131072;

describe('resolution per tier', () => {
  const nowS = T0 + 3600;
  let n: Node;
  beforeAll(async () => {
    n = await node('n1', NFS, [], nowS);
    // Every second one request of 1 ms, and every 10th second one of 10 ms.
    for (let t = T0 + 1; t <= nowS; t++) {
      n.feed.histogram(pair('smf-1', 'upf-1'), MS1, 1);
      if (t % 10 === 0) n.feed.histogram(pair('smf-1', 'upf-1'), MS10, 1);
      n.feed.commit(t);
    }
  });
  const q = (params: string) => get(`${n.url}/api/v1/query?${params}`);

  test('percentiles from the 1 s tier interpolate in the kernel slot, from the 10 s tier in its 4-per-octave bucket', async () => {
    // The last 10 minutes: 600 requests of 1 ms and 60 of 10 ms; the median is the 330th, in the 1 ms slot.
    const fine = await q(`kind=latency_percentiles&quantiles=0.5&from=${(nowS - 600) * 1000}&to=${nowS * 1000}&step=600s`);
    expect(fine.body.frames[0].fields[1].values).toEqual([Number(((MS1_LO + ((330 - 0.5) / 600) * MS1_W) / 1e9).toPrecision(9))]);
    // The hour: 3600 of 1 ms, 360 of 10 ms; the median is the 1980th, in the 4-per-octave bucket of 1 ms.
    const coarse = await q(`kind=latency_percentiles&quantiles=0.5&from=${T0 * 1000}&to=${nowS * 1000}&step=3600s`);
    expect(coarse.body.frames[0].fields[1].values).toEqual([Number(((MS1_BUCKET4_LO + ((1980 - 0.5) / 3600) * MS1_BUCKET4_W) / 1e9).toPrecision(9))]);
    // The NF-pair table over the hour agrees with it.
    const table = await q(`kind=nf_pairs&from=${T0 * 1000}&to=${nowS * 1000}`);
    const p50 = table.body.frames[0].fields.find((f: any) => f.name === 'p50');
    expect(p50.values).toEqual(coarse.body.frames[0].fields[1].values);
  });

  test("a heatmap asking for more buckets per octave than its tier keeps answers at the tier's", async () => {
    const { body } = await q(`kind=latency_heatmap&buckets_per_octave=16&from=${T0 * 1000}&to=${nowS * 1000}&step=1800s`);
    const [frame] = body.frames;
    // 1 ms and 10 ms at 4 per octave: 10 ms = 1e7 ns is in slot 1 + 13·16 + 3 = 212, bucket 1 + 52 = 53, whose top is 20·2^19.
    const le = (ns: number) => String(Number((ns / 1e9).toPrecision(6)));
    const names = frame.fields.map((f: any) => f.name);
    expect(names[1]).toBe(le(MS1_BUCKET4_LO + MS1_BUCKET4_W));
    expect(names[names.length - 1]).toBe(le(20 * 2 ** 19));
    // bucket 40 to bucket 53: 14 fields after time
    expect(names).toHaveLength(1 + 14);
    expect(frame.fields[1].values).toEqual([1800, 1800]);
    expect(frame.fields[14].values).toEqual([180, 180]);
    // The same range at 1 per octave: buckets merge exactly.
    const one = await q(`kind=latency_heatmap&buckets_per_octave=1&from=${T0 * 1000}&to=${nowS * 1000}&step=1800s`);
    expect(one.body.frames[0].fields.map((f: any) => f.name)).toEqual(['time', ...[20, 21, 22, 23, 24].map((e) => le(2 ** e))]);
    expect(one.body.frames[0].fields[1].values).toEqual([1800, 1800]);
    expect(one.body.frames[0].fields[5].values).toEqual([180, 180]);
  });

  test('a cluster answer from nodes that keep different resolutions comes at the coarser one', async () => {
    // A peer whose tiers all keep 16 per octave, with the same traffic on another pair.
    const fineStore = new HistoryStore({
      tiers: [
        { resolutionS: 1, retentionS: 900, bucketsPerOctave: 16 },
        { resolutionS: 10, retentionS: 7200, bucketsPerOctave: 16 },
      ],
    });
    const peer = await node('n2', NFS, [], nowS, fineStore);
    for (let t = T0 + 1; t <= nowS; t++) {
      peer.feed.histogram(pair('smf-2', 'upf-1'), MS1, 1);
      peer.feed.commit(t);
    }
    const alone = await get(`${peer.url}/api/v1/query?kind=latency_distribution&buckets_per_octave=16&from=${T0 * 1000}&to=${nowS * 1000}`);
    expect(alone.body.frames[0].fields[0].values).toEqual([MS1_LO / 1e9]);
    const both = await node('n3', NFS, [peer.url], nowS, n.store);
    const { body } = await get(`${both.url}/api/v1/query?kind=latency_distribution&scope=cluster&buckets_per_octave=16&group_by=client_nf&from=${T0 * 1000}&to=${nowS * 1000}`);
    const smf2 = body.frames.find((f: any) => f.fields[0].labels.client_nf === 'smf-2');
    expect(smf2.fields[0].values).toEqual([MS1_BUCKET4_LO / 1e9]);
    expect(smf2.fields[1].values).toEqual([(MS1_BUCKET4_LO + MS1_BUCKET4_W) / 1e9]);
    expect(smf2.fields[2].values).toEqual([3600]);
  });
});

describe('monotonic deltas', () => {
  test('a counter that restarts (map entry re-created) counts its new total, never a negative delta', () => {
    const d = new DeltaTracker();
    expect([...d.update(new Map([['a', 100]]))]).toEqual([['a', 100]]);
    expect([...d.update(new Map([['a', 130]]))]).toEqual([['a', 30]]);
    // reset: 130 → 7 is seven new, not -123
    expect([...d.update(new Map([['a', 7]]))]).toEqual([['a', 7]]);
    // the key gone (interface re-attached, entry evicted) and back later: all new
    expect([...d.update(new Map())]).toEqual([]);
    expect([...d.update(new Map([['a', 4]]))]).toEqual([['a', 4]]);
  });

  test('the history refuses negative and non-finite deltas, so its sums only grow', async () => {
    const st = new HistoryStore();
    const l = { nf: 'upf-1', nf_type: 'UPF', peer_nf: 'gnb-1', interface: 'N3', reason: 'X', class: 'loss', node: 'n1' };
    st.add('drop', l, 0, 5);
    st.add('drop', l, 0, -3);
    st.add('drop', l, 0, NaN);
    st.commit(T0 + 1);
    // a clock step back lands in the newest point instead of rewriting the past
    st.add('drop', l, 0, 2);
    st.commit(T0 - 100);
    const [g] = st.collect(['drop'], () => true, [], { fromMs: T0 * 1000, stepMs: 1000, n: 1 });
    expect(g.steps[0]!.v).toEqual([7]);
  });
});

describe('scope=cluster', () => {
  // Node a hosts smf-1 and gnb-1 (clients), node b hosts upf-1 (server). Both see the same
  // transactions smf-1 → upf-1: a the full round trip, b only the UPF's processing time.
  const nfs = [
    { name: 'smf-1', type: 'SMF', node: 'a' },
    { name: 'gnb-1', type: 'gNB', node: 'a' },
    { name: 'upf-1', type: 'UPF', node: 'b' },
    { name: 'smf-2', type: 'SMF', node: 'c' },
  ];
  let a: Node;
  let b: Node;
  beforeAll(async () => {
    b = await node('b', nfs);
    a = await node('a', nfs, [b.url, 'http://127.0.0.1:1']);
    for (let t = T0 + 1; t <= T0 + 100; t++) {
      a.feed.histogram(pair('smf-1', 'upf-1'), MS10, 4); // client view: 10 ms
      b.feed.histogram(pair('smf-1', 'upf-1'), MS1, 4); // server view of the same: 1 ms
      // smf-2 is on node c, which is not running: only b's server view exists.
      b.feed.histogram(pair('smf-2', 'upf-1'), MS1, 1);
      a.feed.histogram(pair('gnb-1', 'upf-1', 'Echo'), MS1, 1);
      b.feed.histogram(pair('gnb-1', 'upf-1', 'Echo'), MS10, 1);
      // Packets between a's gNB and b's UPF are seen by both nodes; b's upf-1 → smf-2 (node c,
      // not running) only by b; an address pair no node hosts (unknown → unknown), by both.
      a.feed.traffic({ src_nf: 'gnb-1', dst_nf: 'upf-1', interface: 'N3' }, 10, 1000);
      b.feed.traffic({ src_nf: 'gnb-1', dst_nf: 'upf-1', interface: 'N3' }, 9, 900); // one lost on the way
      a.feed.traffic({ src_nf: 'upf-1', dst_nf: 'gnb-1', interface: 'N3' }, 7, 700);
      b.feed.traffic({ src_nf: 'upf-1', dst_nf: 'gnb-1', interface: 'N3' }, 8, 800);
      b.feed.traffic({ src_nf: 'upf-1', dst_nf: 'smf-2', interface: 'N4' }, 3, 300);
      a.feed.traffic({ src_nf: 'unknown', dst_nf: 'unknown', interface: 'N3' }, 1, 100);
      b.feed.traffic({ src_nf: 'unknown', dst_nf: 'unknown', interface: 'N3' }, 2, 200);
      a.feed.commit(t);
      b.feed.commit(t);
    }
  });

  const q = (params: string) => get(`${a.url}/api/v1/query?from=${T0 * 1000}&to=${(T0 + 100) * 1000}&scope=cluster&${params}`);

  test('every transaction once, with the client’s view; the missing node is named', async () => {
    const { status, body } = await q('kind=request_rate&step=100s&group_by=client_nf,server_nf');
    expect(status).toBe(200);
    expect(body.nodes.answered).toEqual(['a', 'b']);
    expect(body.nodes.missing).toEqual([{ node: 'http://127.0.0.1:1', error: expect.stringMatching(/fetch failed|ECONNREFUSED/) }]);
    expect(valuesOf(body, { client_nf: 'smf-1' })).toEqual([4]);
    expect(valuesOf(body, { client_nf: 'smf-2' })).toEqual([1]);
    expect(valuesOf(body, { client_nf: 'gnb-1' })).toEqual([1]);
    const p = await q('kind=latency_percentiles&step=100s&group_by=client_nf&quantiles=0.5');
    // smf-1's p50 is the client's 10 ms, not a blend with the server's 1 ms
    expect(valuesOf(p.body, { client_nf: 'smf-1' })[0]).toBeGreaterThan(0.0099);
  });

  test("traffic once per NF pair, from the sender's node (the receiver's when the sender's did not answer)", async () => {
    const { status, body } = await q('kind=traffic&step=100s&group_by=src_nf,dst_nf');
    expect(status).toBe(200);
    // packets per second over the 100 s
    expect(valuesOf(body, { src_nf: 'gnb-1', dst_nf: 'upf-1' })).toEqual([10]);
    expect(valuesOf(body, { src_nf: 'upf-1', dst_nf: 'gnb-1' })).toEqual([8]);
    expect(valuesOf(body, { src_nf: 'upf-1', dst_nf: 'smf-2' })).toEqual([3]);
    expect(valuesOf(body, { src_nf: 'unknown', dst_nf: 'unknown' })).toEqual([3]);
    // Grouped by interface, in bytes: N3 has gnb-1 → upf-1 from a, upf-1 → gnb-1 from b and the unknown pair from both.
    const byIf = await q('kind=traffic&step=100s&group_by=interface&metric=bytes');
    expect(valuesOf(byIf.body, { interface: 'N3' })).toEqual([1000 + 800 + 300]);
    expect(valuesOf(byIf.body, { interface: 'N4' })).toEqual([300]);
    // Each node alone still reports what it saw.
    const local = await get(`${b.url}/api/v1/query?from=${T0 * 1000}&to=${(T0 + 100) * 1000}&kind=traffic&step=100s&group_by=src_nf,dst_nf`);
    expect(valuesOf(local.body, { src_nf: 'gnb-1', dst_nf: 'upf-1' })).toEqual([9]);
  });

  test('quantiles across nodes come from the union of their buckets', async () => {
    // vantage=server keeps both nodes' server views: b's smf-1 (400 at 1 ms), smf-2 (100 at 1 ms), gnb-1 (100 at 10 ms)
    const { body } = await q('kind=latency_percentiles&step=100s&group_by=server_nf&vantage=server&quantiles=0.5,0.9');
    expect(valuesOf(body, { quantile: '0.5' })).toEqual([Number(((MS1_LO + (299.5 / 500) * MS1_W) / 1e9).toPrecision(9))]);
    expect(valuesOf(body, { quantile: '0.9' })).toEqual([Number(((MS10_LO + (39.5 / 100) * MS10_W) / 1e9).toPrecision(9))]);
    // client views from both nodes add up: a's smf-1 400 at 10 ms + a's gnb-1 100 at 1 ms
    const c = await q('kind=latency_percentiles&step=100s&group_by=server_nf&vantage=client&quantiles=0.5');
    expect(valuesOf(c.body, { quantile: '0.5' })).toEqual([Number(((MS10_LO + (149.5 / 400) * MS10_W) / 1e9).toPrecision(9))]);
  });

  test('node scope answers from this node alone', async () => {
    const { body } = await get(`${a.url}/api/v1/query?from=${T0 * 1000}&to=${(T0 + 100) * 1000}&kind=request_rate&step=100s&group_by=client_nf`);
    expect(body.nodes).toEqual({ answered: ['a'], missing: [] });
    expect(body.frames.map((f: any) => f.fields[1].labels.client_nf)).toEqual(['gnb-1', 'smf-1']);
  });

  test('label values from every node', async () => {
    const { body } = await get(`${a.url}/api/v1/labels/client_nf/values?from=${T0 * 1000}&to=${(T0 + 100) * 1000}&scope=cluster`);
    expect(body.values).toEqual(['gnb-1', 'smf-1', 'smf-2']);
    expect(body.nodes.answered).toEqual(['a', 'b']);
    expect(body.nodes.missing).toHaveLength(1);
  });
});
