/**
 * The SBI (HTTP/2 cleartext) datapath end to end against traffic nfscope did
 * not write: nghttp2's h2load as the client, Node's http2 server answering
 * after a delay with the statuses asked for, IPv4 and IPv6, many connections.
 * tshark pairs the same capture (tcp.stream + http2.streamid) as the oracle:
 * counts per NF pair and method must equal its completed streams, every
 * status must be counted exactly (static table entries, literals plain and
 * Huffman-coded, and dynamic-table references on long-lived connections),
 * p50/p90/p99 within the band its order statistics and the histogram's slots
 * allow (test/lib/quantile-bound.ts).
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeRoot, REPO } from './lib/env';
import { startExporter, type RunningExporter, type SummaryRow } from './lib/exporter';
import { Topology } from './lib/netns';
import { quantileBand } from './lib/quantile-bound';
import { Capture } from './lib/tshark';
import { http2Exchanges, type Http2Exchange } from './lib/tshark-http2';

const H2_SERVER = path.join(REPO, 'test/tools/h2-server.js');
const PORT = 7777;

type Row = SummaryRow;

/** nfscope_requests_total of the SBI, by "client→server|method|outcome|code". */
function sbiRequests(metrics: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('nfscope_requests_total{') || !line.includes('interface="SBI"')) continue;
    const l = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    out.set(`${l.client_nf}→${l.server_nf}|${l.procedure}|${l.outcome}|${l.code}`, Number(line.split(' ').pop()));
  }
  return out;
}

describeRoot('SBI: HTTP/2 latency against h2load and tshark', () => {
  let topo: Topology;
  let ex: RunningExporter | undefined;
  let capture: Capture | undefined;
  const servers: ChildProcess[] = [];
  let dir: string;

  beforeAll(async () => {
    topo = Topology.create([
      { name: 'amf', addr: '198.18.0.5/24', addr6: '2001:2::5/64' },
      { name: 'ausf', addr: '198.18.0.6/24', addr6: '2001:2::6/64' },
      { name: 'udm', addr: '198.18.0.7/24', addr6: '2001:2::7/64' },
    ]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-sbi-'));
    for (const [host, seed] of [
      ['ausf', 3],
      ['udm', 5],
    ] as const) {
      const p = spawn('ip', ['netns', 'exec', topo.host(host).netns, process.execPath, H2_SERVER, '--port', `${PORT}`, '--delay-ms', '1-25', '--seed', `${seed}`], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      servers.push(p);
      await new Promise<void>((resolve, reject) => {
        p.stdout!.once('data', () => resolve());
        p.once('exit', (c) => reject(new Error(`h2-server in ${host} exited (${c})`)));
      });
    }
    ex = await startExporter(`
node: sbi-test
interfaces: ["${topo.vethGlob}"]
request_timeout: 2s
protocols:
  sbi: { ports: [${PORT}] }
nfs:
  - { name: amf-1, type: AMF, addresses: ["198.18.0.5", "2001:2::5"] }
  - { name: ausf-1, type: AUSF, addresses: ["198.18.0.6", "2001:2::6"] }
  - { name: udm-1, type: UDM, addresses: ["198.18.0.7", "2001:2::7"] }
`);
  });
  afterAll(async () => {
    await ex?.stop();
    await capture?.stop();
    capture?.remove();
    for (const s of servers) s.kill('SIGTERM');
    topo?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    expect(topo.leftovers()).toEqual([]);
  });

  /** Runs h2load in the AMF's namespace; throws unless every request got a response. */
  function h2load(args: string[], uris: string[]): void {
    const file = path.join(dir, `uris-${Math.random().toString(36).slice(2)}`);
    fs.writeFileSync(file, uris.join('\n') + '\n');
    const out = topo.exec('amf', 'h2load', [...args, '-i', file], 120_000);
    const m = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
    if (!m) throw new Error(`h2load printed no summary:\n${out}`);
    if (m[3] !== m[1] || Number(m[6]) !== 0) throw new Error(`h2load: not every request done:\n${out}`);
  }

  test('h2load GET (IPv4) and POST (IPv6), short and long connections: counts, every status and p50/p90/p99 match tshark', async () => {
    capture = await Capture.start(topo.bridge, `tcp port ${PORT}`);
    const statuses = [200, 200, 200, 201, 404, 500, 403, 503, 204, 400];
    const v4 = (host: string) => statuses.map((s, i) => `http://${topo.host(host).ip}:${PORT}/nausf-auth/v1/ue-authentications/${i}?status=${s}`);
    const v6 = statuses.map((s, i) => `http://[2001:2::7]:${PORT}/nudm-uecm/v1/imsi-00101/registrations/${i}?status=${s}`);
    const body = path.join(dir, 'body.json');
    fs.writeFileSync(body, JSON.stringify({ supiOrSuci: 'suci-0-001-01-0000-0-0-0000000001', servingNetworkName: '5G:mnc001.mcc001.3gppnetwork.org' }));
    // Many short connections (free5GC-like), then a few long ones with many streams each (Open5GS-like).
    h2load(['-n', '400', '-c', '40', '-m', '1'], v4('ausf'));
    h2load(['-n', '600', '-c', '2', '-m', '16', '-d', body, '-H', 'content-type: application/json'], v6);
    h2load(['-n', '300', '-c', '3', '-m', '4'], v4('udm'));
    // dumpcap hands packets over in blocks that fill or time out: let the last one go.
    await new Promise((r) => setTimeout(r, 1500));
    const file = await capture.stop();
    // Past the request timeout and two sweeps: every stream is either paired or a timeout.
    await new Promise((r) => setTimeout(r, 3500));
    const names = new Map<string, string>([
      ['198.18.0.5', 'amf-1'],
      ['2001:2::5', 'amf-1'],
      ['198.18.0.6', 'ausf-1'],
      ['198.18.0.7', 'udm-1'],
      ['2001:2::7', 'udm-1'],
    ]);
    const exchanges = http2Exchanges(file, [PORT], (ip) => names.get(ip) ?? ip);
    expect(exchanges.length).toBe(1300);
    expect(exchanges.filter((e) => e.ms === null)).toEqual([]);

    const s = await ex!.getJson<{ latency: Row[] }>('/api/v1/summary?window=10m');
    const rows = new Map(s.latency.filter((r) => r.interface === 'SBI').map((r) => [`${r.client}→${r.server}|${r.procedure}`, r]));
    const bySeries = new Map<string, Http2Exchange[]>();
    for (const e of exchanges) {
      const k = `${e.client}→${e.server}|${e.method}`;
      bySeries.set(k, [...(bySeries.get(k) ?? []), e]);
    }
    expect([...bySeries.keys()].sort()).toEqual(['amf-1→ausf-1|GET', 'amf-1→udm-1|GET', 'amf-1→udm-1|POST']);
    const metrics = sbiRequests(await ex!.getText('/metrics'));
    const report: string[] = [];
    const outside: string[] = [];
    for (const [k, es] of bySeries) {
      const row = rows.get(k);
      expect({ k, count: row?.count, timeouts: row?.timeouts }).toEqual({ k, count: es.length, timeouts: 0 });
      // Every status exactly: the static table's, and literals and dynamic-table references (followed per connection).
      const want = new Map<string, number>();
      for (const e of es) want.set(String(e.status), (want.get(String(e.status)) ?? 0) + 1);
      const got = new Map<string, number>();
      for (const [mk, n] of metrics) {
        const [series, method, outcome, code] = mk.split('|');
        if (`${series}|${method}` !== k) continue;
        const status = Number(code);
        if (code !== 'other') expect({ mk, outcome }).toEqual({ mk, outcome: status < 300 ? 'accepted' : 'rejected' });
        else expect({ mk, outcome }).toEqual({ mk, outcome: 'other' });
        got.set(code, (got.get(code) ?? 0) + n);
      }
      expect({ k, codes: Object.fromEntries([...got].sort()) }).toEqual({ k, codes: Object.fromEntries([...want].sort()) });

      const times = es.map((e) => e.ms!);
      for (const [q, v] of [
        [0.5, row!.p50_ms],
        [0.9, row!.p90_ms],
        [0.99, row!.p99_ms],
      ] as const) {
        const b = quantileBand(v, times, q);
        const line = `${k} p${q * 100} (n=${times.length}): ${b.text}`;
        report.push(line);
        if (!b.ok) outside.push(line);
      }
    }
    const codes = [...metrics].map(([k, n]) => `${k} ${n}`).sort();
    process.stdout.write(`${report.join('\n')}\n${codes.join('\n')}\n`);
    expect(outside).toEqual([]);
    capture.remove();
    capture = undefined;
  }, 180_000);
});
