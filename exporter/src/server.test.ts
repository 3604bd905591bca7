import type { AddressInfo } from 'net';
import type { Server } from 'http';
import * as os from 'os';
import { Counter, Registry } from 'prom-client';
import type { Collector } from './collector';
import { VERSION } from './collector';
import type { Config } from './config';
import type { Datapath } from './datapath';
import { createApp, HttpError, MAX_WINDOW_SECONDS, parseWindow } from './server';
import { HistoryStore } from './history/store';

describe('parseWindow', () => {
  test.each([
    [undefined, 60],
    ['30s', 30],
    ['5m', 300],
    ['1h', 3600],
    ['90', 90],
    [' 2m ', 120],
    ['1500ms', 1.5],
  ])('%j → %d s', (text, seconds) => {
    expect(parseWindow(text)).toBe(seconds);
  });

  test.each([
    ['0s', /outside 1s\.\.3600s/],
    ['2h', /outside 1s\.\.3600s/],
    ['3601', /outside/],
    ['abc', /is not a duration/],
    ['', /is not a duration/],
    ['-5s', /is not a duration/],
    ['5d', /is not a duration/],
    [['30s', '60s'], /is not a duration/],
  ])('%j is a 400', (text, message) => {
    let err: unknown;
    try {
      parseWindow(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(400);
    expect((err as HttpError).message).toMatch(/^window: /);
    expect((err as HttpError).message).toMatch(message);
  });

  test('the maximum is a parameter', () => {
    expect(MAX_WINDOW_SECONDS).toBe(3600);
    expect(parseWindow('2h', 7200)).toBe(7200);
    expect(() => parseWindow('61s', 60)).toThrow('outside 1s..60s');
  });
});

/** A JSON response body, for reading one field. */
const body = async (res: Response) => (await res.json()) as Record<string, unknown>;

describe('createApp', () => {
  const config: Config = {
    node: 'worker-1',
    interfaces: ['nfs-*'],
    nfs: [
      { name: 'smf-1', type: 'SMF', addresses: ['198.18.0.10', '2001:db8::10'] },
      { name: 'upf-1', type: 'UPF', addresses: ['198.18.0.20'], node: 'worker-2' },
    ],
    protocols: { pfcp: [8805], gtpu: [2152], sbi: [7777], ngap: [38412] },
    peers: ['http://198.18.0.2:9810'],
    requestTimeoutSeconds: 10,
    durationBuckets: [0.001, 0.01],
    programStats: false,
    datapath: { pinDir: '/sys/fs/bpf/nfscope', onExit: 'keep' },
    drops: { benignReasons: [], lossReasons: [] },
  };
  const DROPS = [{ nf: 'upf-1', nf_type: 'UPF', peer_nf: 'unknown', interface: 'N3', reason: 'NO_SOCKET', class: 'loss', count: 17 }];

  let server: Server | undefined;
  /** The clock of the history's answers: half a second after its one read. */
  const NOW_MS = 1_700_000_000_500;

  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  /** Starts the app on a free port with fakes; returns its base URL. */
  async function start(opts: { ready?: boolean; lastReadAt?: number } = {}): Promise<string> {
    const registry = new Registry();
    new Counter({ name: 'nfscope_test_total', help: 'test', registers: [registry] }).inc(3);
    const collector = { registry, lastReadAt: opts.lastReadAt ?? 1_700_000_000 };
    // The summary comes from the history: one read with the drops of DROPS in it.
    const store = new HistoryStore();
    for (const { count, ...labels } of DROPS) store.add('drop', { ...labels, node: 'worker-1' }, 0, count);
    store.commit(Math.floor(NOW_MS / 1000));
    const query = { store, node: 'worker-1', hosted: new Set(['smf-1']), peers: { peers: [], timeoutMs: 1000 }, now: () => NOW_MS };
    const datapath = {
      ready: opts.ready ?? true,
      programs: () => [{ name: 'count_drop', attachPoints: ['tp_btf/kfree_skb'], runCount: 42, runTimeNs: 1234 }],
      attachedInterfaces: () => [{ name: 'nfs-br0', ifindex: 7, mode: 'tcx' }],
      programStats: () => 'off',
      maps: () => [{ name: 'drops', entries: 3, capacity: 10240 }],
    };
    const app = createApp({ config, datapath: datapath as unknown as Datapath, collector: collector as unknown as Collector, query });
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve, reject) => server!.once('listening', resolve).once('error', reject));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  test('/healthz', async () => {
    const res = await fetch(`${await start({ ready: false, lastReadAt: 0 })}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok\n');
  });

  test.each([
    [true, 1_700_000_000, 200],
    [false, 1_700_000_000, 503],
    [true, 0, 503],
    [false, 0, 503],
  ])('/readyz with ready=%s, lastReadAt=%d → %d', async (ready, lastReadAt, status) => {
    const res = await fetch(`${await start({ ready, lastReadAt })}/readyz`);
    expect(res.status).toBe(status);
    expect(await res.text()).toMatch(status === 200 ? /^ready\n$/ : /^not ready/);
  });

  test('/api/v1/nfs lists the NFs, with this node where none is given', async () => {
    const res = await fetch(`${await start()}/api/v1/nfs`);
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({
      nfs: [
        { name: 'smf-1', type: 'SMF', addresses: ['198.18.0.10', '2001:db8::10'], node: 'worker-1' },
        { name: 'upf-1', type: 'UPF', addresses: ['198.18.0.20'], node: 'worker-2' },
      ],
    });
  });

  test('/api/v1/summary defaults to 60 s', async () => {
    const res = await fetch(`${await start()}/api/v1/summary`);
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({ node: 'worker-1', window_s: 60, latency: [], drops: DROPS });
  });

  test('/api/v1/summary?window=5m&scope=node', async () => {
    const res = await fetch(`${await start()}/api/v1/summary?window=5m&scope=node`);
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({ node: 'worker-1', window_s: 300, latency: [], drops: DROPS });
  });

  test.each(['abc', '0s', '2h'])('/api/v1/summary?window=%s is a 400 naming window', async (w) => {
    const res = await fetch(`${await start()}/api/v1/summary?window=${w}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await body(res)).error).toMatch(/^window: /);
  });

  test('/api/v1/summary?scope=region is a 400 naming scope', async () => {
    const res = await fetch(`${await start()}/api/v1/summary?scope=region`);
    expect(res.status).toBe(400);
    expect((await body(res)).error).toBe('scope: "region" is not "node" or "cluster"');
  });

  test('/api/v1/summary?scope=cluster with no peers: this node alone', async () => {
    const res = await fetch(`${await start()}/api/v1/summary?scope=cluster`);
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({ node: 'worker-1', scope: 'cluster', window_s: 60, nodes: { answered: ['worker-1'], missing: [] }, latency: [], drops: DROPS });
  });

  test('/api/v1/status', async () => {
    const res = await fetch(`${await start()}/api/v1/status`);
    expect(res.status).toBe(200);
    const { memory, history, ...rest } = (await body(res)) as { memory: Record<string, number>; history: Record<string, unknown> };
    expect(history).toMatchObject({ series: 1, overflow: { series: 0 }, evicted_chunks: 0, memory_limit_bytes: 96 * 1024 * 1024 });
    // The process's own memory: names fixed, values whatever this process uses.
    expect(Object.keys(memory).sort()).toEqual(['array_buffers_bytes', 'external_bytes', 'heap_total_bytes', 'heap_used_bytes', 'rss_bytes']);
    expect(memory.rss_bytes).toBeGreaterThan(memory.heap_used_bytes);
    expect(rest).toEqual({
      node: 'worker-1',
      version: VERSION,
      kernel: os.release(),
      ready: true,
      last_read: '2023-11-14T22:13:20.000Z',
      programs: [{ name: 'count_drop', attach_points: ['tp_btf/kfree_skb'], run_count: 42, run_time_ns: 1234 }],
      program_stats: 'off',
      interfaces: [{ name: 'nfs-br0', ifindex: 7, mode: 'tcx' }],
      maps: [{ name: 'drops', entries: 3, capacity: 10240 }],
      config: {
        interfaces: ['nfs-*'],
        nfs: 2,
        protocols: { pfcp: [8805], gtpu: [2152], sbi: [7777], ngap: [38412] },
        peers: ['http://198.18.0.2:9810'],
      },
    });
  });

  test('/api/v1/status before the first read', async () => {
    const res = await fetch(`${await start({ lastReadAt: 0 })}/api/v1/status`);
    expect((await body(res)).last_read).toBeNull();
  });

  test('/metrics is the registry in the Prometheus text format', async () => {
    const res = await fetch(`${await start()}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect((await res.text()).split('\n')).toContain('nfscope_test_total 3');
  });

  test('an unknown path is a JSON 404', async () => {
    const res = await fetch(`${await start()}/api/v1/nope`);
    expect(res.status).toBe(404);
    expect(await body(res)).toEqual({ error: 'no such endpoint: GET /api/v1/nope' });
  });
});
