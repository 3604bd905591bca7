/**
 * Cluster scope against the real thing: two exporters on this machine, one
 * hooked to the client NFs' veths (smf-1, gnb-1: node-a) and one to the
 * server NFs' (upf-1, upf-2: node-b), each a peer of the other, measuring the
 * same testbed traffic. Asked for the cluster, either answers every
 * transaction once (the testbed's record is the count), with the client's
 * view, and with quantiles equal to those of the union of the two nodes'
 * buckets for the views it keeps.
 */
import { Testbed, type Transaction } from '../sim/src';
import { spawnSync } from 'child_process';
import { describeRoot, NFSCOPE_BIN } from './lib/env';
import { freePort, startExporter, type RunningExporter } from './lib/exporter';

const NODE_OF: Record<string, string> = { 'smf-1': 'node-a', 'gnb-1': 'node-a', 'upf-1': 'node-b', 'upf-2': 'node-b' };

function configYaml(tb: Testbed, node: string, veths: string[], peer: string): string {
  const q = JSON.stringify;
  return [
    `node: ${q(node)}`,
    `interfaces: ${q(veths)}`,
    'nfs:',
    ...tb.nfs.map((nf) => `  - { name: ${q(nf.name)}, type: ${q(nf.type)}, addresses: ${q(nf.addresses)}, node: ${q(NODE_OF[nf.name] ?? 'node-a')} }`),
    `peers: [${q(peer)}]`,
    'request_timeout: 2s',
    '',
  ].join('\n');
}

type Table = Record<string, (string | number | null)[]>;

async function pairs(ex: RunningExporter, params: string): Promise<{ body: any; rows: Map<string, Record<string, any>> }> {
  const body = await ex.getJson<any>(`/api/v1/query?kind=nf_pairs&from=now-5m&${params}`);
  const t: Table = Object.fromEntries(body.frames[0].fields.map((f: any) => [f.name, f.values]));
  const rows = new Map<string, Record<string, any>>();
  t.client_nf.forEach((_, i) => {
    const row = Object.fromEntries(Object.keys(t).map((k) => [k, t[k][i]]));
    rows.set(`${row.client_nf}→${row.server_nf}|${row.procedure}`, row);
  });
  return { body, rows };
}

/** The full-resolution buckets of one pair from one node in one vantage. */
async function buckets(ex: RunningExporter, key: string, vantage: 'client' | 'server'): Promise<Map<number, number>> {
  const [c, rest] = key.split('→');
  const [s, proc] = rest.split('|');
  const body = await ex.getJson<any>(
    `/api/v1/query?kind=latency_distribution&from=now-5m&buckets_per_octave=16&vantage=${vantage}&filter=client_nf=${c}&filter=server_nf=${s}&filter=procedure=${proc}`,
  );
  const m = new Map<number, number>();
  for (const f of body.frames) {
    const [xMin, , count] = f.fields;
    xMin.values.forEach((x: number, i: number) => count.values[i] > 0 && m.set(Math.round(x * 1e9), count.values[i]));
  }
  return m;
}

describeRoot('cluster scope over two exporters', () => {
  let tb: Testbed;
  const running: RunningExporter[] = [];

  beforeAll(() => {
    tb = Testbed.create();
  });
  afterAll(async () => {
    for (const ex of running) await ex.stop('SIGKILL');
    tb?.destroy();
    expect(tb.leftovers()).toEqual([]);
  });

  test('every transaction once, from the client’s side, quantiles from the union of the buckets', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const veth = (name: string) => tb.nf(name).veth;
    const a = await startExporter(configYaml(tb, 'node-a', [veth('smf-1'), veth('gnb-1')], `127.0.0.1:${pb}`), { port: pa });
    running.push(a);
    const b = await startExporter(configYaml(tb, 'node-b', [veth('upf-1'), veth('upf-2')], `127.0.0.1:${pa}`), { port: pb });
    running.push(b);

    const record = await tb.run({
      seed: 21,
      durationMs: 8000,
      pfcp: {
        heartbeatIntervalMs: 100,
        sessionsPerSecond: 10,
        sessionHoldMs: 500,
        reportsPerSecond: 5,
        t1Ms: 400,
        n1: 1,
        responder: { delay: { kind: 'lognormal', medianMs: 4, sigma: 0.5 }, rejectRate: 0.1, rejectCauses: [64], noResponseRate: 0.02, dropFirstCopyRate: 0 },
      },
      gtpu: { echoIntervalMs: 50, responder: { delay: { kind: 'uniform', minMs: 1, maxMs: 6 }, noResponseRate: 0, dropFirstCopyRate: 0 }, gpduPerSecond: 100 },
      // N4 and N3/N9 between the two nodes; N2 and the SBI stay on neither exporter's veths.
      ngap: { enabled: false },
      sbi: { registrationsPerSecond: 0, nrfHeartbeatMs: 0 },
    });
    expect(record.interrupted).toBe(false);
    // request_timeout (2 s) plus a sweep and a read
    await new Promise((r) => setTimeout(r, 3500));

    const truth = new Map<string, { requests: number; rejected: number; timeouts: number }>();
    for (const t of record.transactions as Transaction[]) {
      const k = `${t.client}→${t.server}|${t.procedure}`;
      const e = truth.get(k) ?? { requests: 0, rejected: 0, timeouts: 0 };
      truth.set(k, e);
      e.requests += 1;
      if (t.outcome === 'rejected') e.rejected += 1;
      if (t.outcome === 'timeout') e.timeouts += 1;
    }
    // Client NFs on both nodes: smf-1/gnb-1 on a, the UPFs (Session Report, N9 Echo) on b.
    expect([...new Set([...truth.keys()].map((k) => NODE_OF[k.split('→')[0]]))].sort()).toEqual(['node-a', 'node-b']);

    for (const ex of [a, b]) {
      const { body, rows } = await pairs(ex, 'scope=cluster');
      expect(body.nodes.answered.sort()).toEqual(['node-a', 'node-b']);
      expect(body.nodes.missing).toEqual([]);
      const got = new Map([...rows].map(([k, r]) => [k, { requests: r.requests, rejected: r.rejected, timeouts: r.timeouts }]));
      // Once each: the node-scope answers of both together count the A↔B transactions twice.
      expect(Object.fromEntries(got)).toEqual(Object.fromEntries(truth));
    }

    // Each pair's cluster latency is its client's view: the same buckets as the client node's answer.
    const cluster = (await pairs(a, 'scope=cluster')).rows;
    const nodeA = (await pairs(a, 'scope=node')).rows;
    const nodeB = (await pairs(b, 'scope=node')).rows;
    // Both nodes saw the A↔B transactions: their node-scope answers together count them twice.
    for (const k of ['smf-1→upf-1|SessionEstablishment', 'gnb-1→upf-1|Echo', 'upf-1→smf-1|SessionReport']) {
      expect({ k, both: nodeA.get(k)!.requests + nodeB.get(k)!.requests }).toEqual({ k, both: 2 * truth.get(k)!.requests });
    }
    let compared = 0;
    for (const [k, row] of cluster) {
      const clientNode = NODE_OF[k.split('→')[0]];
      const own = (clientNode === 'node-a' ? nodeA : nodeB).get(k)!;
      expect({ k, p50: row.p50, p99: row.p99 }).toEqual({ k, p50: own.p50, p99: own.p99 });

      // The union of the views kept, from each node's raw buckets: the client views
      // (either node) and nothing of the server views of these pairs.
      const union = new Map<number, number>();
      for (const ex of [a, b]) for (const [lo, c] of await buckets(ex, k, 'client')) union.set(lo, (union.get(lo) ?? 0) + c);
      // Buckets sorted by lower bound are the kernel's slots in order.
      const order = [...union].sort((x, y) => x[0] - y[0]);
      const width = (lo: number) => 2 ** (Math.floor(Math.log2(lo)) - 4);
      const q = (p: number): number => {
        const n = order.reduce((s, [, c]) => s + c, 0);
        const kth = Math.max(1, Math.ceil(p * n));
        let cum = 0;
        for (const [lo, c] of order) {
          if (cum + c >= kth) return lo + ((kth - cum - 0.5) / c) * width(lo);
          cum += c;
        }
        return NaN;
      };
      const total = order.reduce((s, [, c]) => s + c, 0);
      if (total < 20) continue;
      compared++;
      expect({ k, p50: row.p50, p99: row.p99 }).toEqual({ k, p50: Number((q(0.5) / 1e9).toPrecision(9)), p99: Number((q(0.99) / 1e9).toPrecision(9)) });
    }
    expect(compared).toBeGreaterThanOrEqual(4);

    // The cluster summary (what nfscope top shows) counts them once too, and so does top.
    const summary = await b.getJson<any>('/api/v1/summary?window=5m&scope=cluster');
    expect(summary.nodes.answered.sort()).toEqual(['node-a', 'node-b']);
    for (const row of summary.latency) {
      const k = `${row.client}→${row.server}|${row.procedure}`;
      expect({ k, n: row.count + row.timeouts, rejected: row.rejected }).toEqual({ k, n: truth.get(k)!.requests, rejected: truth.get(k)!.rejected });
    }
    const top = spawnSync(process.execPath, [NFSCOPE_BIN, 'top', '--url', a.url, '--window', '5m', '--scope', 'cluster', '--once'], { encoding: 'utf8' });
    expect(top.status).toBe(0);
    const lines = top.stdout.trimEnd().split('\n');
    expect(lines[1]).toBe('nodes: 2 answered (node-a, node-b)');
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
    const echo = lines.find((l) => l.startsWith('gnb-1 → upf-1'))!;
    expect(echo).toMatch(/\bN3\s+Echo\b/);

    // The server's view stays queryable: the same transactions, timed at the server's veth.
    const serverView = await pairs(a, 'scope=cluster&vantage=server');
    const k = 'smf-1→upf-1|SessionEstablishment';
    expect(serverView.rows.get(k)!.requests).toBe(truth.get(k)!.requests);
    expect(serverView.rows.get(k)!.p50).toBeLessThanOrEqual(cluster.get(k)!.p50);

    // Packets between the two nodes' NFs are counted by both; the cluster takes the sender's node's count.
    const toMs = Date.now();
    const range = `from=${toMs - 60_000}&to=${toMs}&step=60s&group_by=src_nf,dst_nf`;
    const traffic = async (ex: RunningExporter, scope: string) => {
      const body = await ex.getJson<any>(`/api/v1/query?kind=traffic&scope=${scope}&${range}`);
      return new Map<string, number[]>(body.frames.map((f: any) => [`${f.fields[1].labels.src_nf}→${f.fields[1].labels.dst_nf}`, f.fields[1].values]));
    };
    const [tc, ta, tb2] = [await traffic(a, 'cluster'), await traffic(a, 'node'), await traffic(b, 'node')];
    let crossing = 0;
    for (const [pairKey, values] of tc) {
      const [src, dst] = pairKey.split('→');
      if (!NODE_OF[src] || !NODE_OF[dst]) continue;
      const sender = NODE_OF[src] === 'node-a' ? ta : tb2;
      expect({ pairKey, values }).toEqual({ pairKey, values: sender.get(pairKey) });
      if (NODE_OF[src] !== NODE_OF[dst]) {
        crossing++;
        const sum = (v: number[] | undefined) => (v ?? []).reduce((x, y) => x + y, 0);
        // Seen at both ends: the two node answers together are about twice the cluster's.
        expect({ pairKey, both: sum(ta.get(pairKey)) + sum(tb2.get(pairKey)) > 1.5 * sum(values) }).toEqual({ pairKey, both: true });
      }
    }
    expect(crossing).toBeGreaterThanOrEqual(3);
  });
});
