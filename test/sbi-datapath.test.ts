/**
 * The SBI datapath with hand-built HTTP/2 whose every octet is known, on
 * real TCP connections between test hosts: frames cut anywhere by segment
 * boundaries, several streams per segment, padding and priority, methods and
 * statuses as static entries, literals (plain and Huffman) and dynamic-table
 * references, RST_STREAM, timeouts, a connection that existed before the
 * exporter started, and malformed input that must produce no transaction.
 */
import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as path from 'path';
import { describeRoot, REPO, waitFor } from './lib/env';
import { startExporter, type RunningExporter, type SummaryRow } from './lib/exporter';
import { Topology } from './lib/netns';

const TCP_SCRIPT = path.join(REPO, 'test/tools/tcp-script.js');
const H2_SERVER = path.join(REPO, 'test/tools/h2-server.js');
const PORT = 8000;

/** An HTTP/2 frame (RFC 9113 §4.1). */
function frame(type: number, flags: number, stream: number, payload: Buffer | number[] = []): Buffer {
  const p = Buffer.from(payload);
  const h = Buffer.alloc(9);
  h.writeUIntBE(p.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, p]);
}
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const SETTINGS = frame(4, 0, 0);
const END_STREAM = 0x01;
const END_HEADERS = 0x04;
const PADDED = 0x08;
const PRIORITY = 0x20;
const headers = (stream: number, block: number[], flags = END_HEADERS | END_STREAM) => frame(1, flags, stream, block);
const rstStream = (stream: number) => frame(3, 0, stream, [0, 0, 0, 8]); // CANCEL
const data = (stream: number, n: number) => frame(0, END_STREAM, stream, Buffer.alloc(n, 0x61));
const str = (s: string) => [s.length, ...Buffer.from(s)];

// Header blocks (RFC 7541): indexed static entries, literals with a static name.
const SCHEME_PATH = [0x86, 0x84]; // :scheme http, :path /
const GET = [0x82, ...SCHEME_PATH];
const GET_WITH_AUTHORITY = [...GET, 0x41, ...str('nrf')]; // nghttp2 servers insist on :authority
const POST_AFTER_PATH = [0x44, ...str('/nudm-sdm/v2/imsi-001010000000001/am-data'), 0x83, 0x86]; // :method is not first
const PUT = [0x42, ...str('PUT'), ...SCHEME_PATH]; // literal, incremental indexing, name :method
const DELETE = [0x02, ...str('DELETE'), ...SCHEME_PATH]; // literal without indexing
const PATCH = [0x13, ...str('PATCH'), ...SCHEME_PATH]; // literal never indexed, name index 3
const DYNAMIC_METHOD = [0xbe, ...SCHEME_PATH]; // dynamic table index 62
const STATUS_201_HUFFMAN = [0x48, 0x82, 0x10, 0x03]; // '2' 00010 '0' 00000 '1' 00001, padding 1
const STATUS_404 = [0x8d];
const STATUS_503_PLAIN = [0x08, ...str('503')];
const STATUS_200 = [0x88];
const STATUS_DYNAMIC = [0xbf];

type Row = SummaryRow;

describeRoot('SBI datapath: hand-built HTTP/2 on real TCP connections', () => {
  let topo: Topology;
  let ex: RunningExporter;
  const background: ReturnType<typeof spawn>[] = [];

  const config = (node: string) => `
node: ${node}
interfaces: ["${topo.vethGlob}"]
request_timeout: 1s
protocols:
  sbi: { ports: [${PORT}] }
nfs:
  - { name: amf-1, type: AMF, addresses: ["198.18.0.5", "2001:2::5"] }
  - { name: smf-1, type: SMF, addresses: ["198.18.0.10", "2001:2::10"] }
  - { name: nrf-1, type: NRF, addresses: ["198.18.0.12"] }
`;

  beforeAll(async () => {
    topo = Topology.create([
      { name: 'amf', addr: '198.18.0.5/24', addr6: '2001:2::5/64' },
      { name: 'smf', addr: '198.18.0.10/24', addr6: '2001:2::10/64' },
      { name: 'nrf', addr: '198.18.0.12/24' },
    ]);
    ex = await startExporter(config('sbi-dp-test'));
  });
  afterAll(async () => {
    for (const p of background) p.kill('SIGTERM');
    await ex?.stop();
    topo?.destroy();
    expect(topo.leftovers()).toEqual([]);
  });

  /** Starts a process in a host's namespace that prints one line once it is ready. */
  async function startIn(host: string, args: string[]): Promise<ReturnType<typeof spawn>> {
    const p = spawn('ip', ['netns', 'exec', topo.host(host).netns, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    background.push(p);
    await new Promise<void>((resolve, reject) => {
      p.stdout!.once('data', () => resolve());
      p.once('exit', (c) => reject(new Error(`${args.join(' ')} in ${host} exited (${c})`)));
    });
    return p;
  }
  const stop = (p: ReturnType<typeof spawn>) => new Promise((r) => (p.exitCode !== null ? r(null) : (p.once('exit', r), p.kill('SIGTERM'))));
  /** A script of chunks (Buffers), gaps (numbers, ms) and waits for a line on stdin ('line') as tcp-script.js arguments. */
  const script = (steps: (Buffer | number | 'line')[]) => steps.flatMap((s) => (s === 'line' ? ['--wait-line'] : typeof s === 'number' ? ['--gap-ms', `${s}`] : ['--hex', s.toString('hex')]));
  const connect = (host: string, to: string, steps: (Buffer | number)[], holdMs = 0) =>
    topo.exec(host, process.execPath, [TCP_SCRIPT, '--connect', to, '--port', `${PORT}`, ...script(steps), '--hold-ms', `${holdMs}`], 30_000);

  const rows = async (e = ex): Promise<Row[]> => (await e.getJson<{ latency: Row[] }>('/api/v1/summary?window=10m')).latency.filter((r) => r.interface === 'SBI');
  const row = async (procedure: string, client: string, server: string, e = ex) => (await rows(e)).find((r) => r.procedure === procedure && r.client === client && r.server === server);
  const metric = async (labels: string, e = ex) => {
    const line = (await e.getText('/metrics')).split('\n').find((l) => l.startsWith(`nfscope_requests_total{${labels}}`));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  };

  test('frames cut by segment boundaries, several streams per segment: methods, statuses, RST_STREAM and a timeout', async () => {
    const h1 = headers(1, GET);
    const padded = (() => {
      // PADDED and PRIORITY: pad length, then stream dependency and weight, then the block, then padding.
      const block = [3, 0, 0, 0, 0, 16, ...PUT, 0, 0, 0];
      return frame(1, END_HEADERS | END_STREAM | PADDED | PRIORITY, 3, block);
    })();
    const h5 = headers(5, DELETE, END_HEADERS);
    const client = [
      Buffer.concat([PREFACE, SETTINGS]),
      50,
      h1.subarray(0, 4), // a frame header cut after four octets
      50,
      Buffer.concat([h1.subarray(4), padded, h5.subarray(0, 18)]), // … and a HEADERS frame cut after its :method
      50,
      Buffer.concat([h5.subarray(18), data(5, 10), headers(7, POST_AFTER_PATH), rstStream(7), headers(9, PATCH), headers(11, DYNAMIC_METHOD)]),
    ];
    const r1 = headers(1, [...STATUS_201_HUFFMAN, 0x5f, ...str('application/json')], END_HEADERS); // content-type: static name 31
    const server = [
      300,
      Buffer.concat([SETTINGS, r1.subarray(0, 16)]), // a response HEADERS frame cut after its :status
      50,
      Buffer.concat([r1.subarray(16), data(1, 20), headers(3, STATUS_404), headers(5, STATUS_503_PLAIN), headers(11, STATUS_DYNAMIC)]),
    ];
    const srv = await startIn('smf', [TCP_SCRIPT, '--listen', '198.18.0.10', '--port', `${PORT}`, ...script(server), '--hold-ms', '3000']);
    // Held open past the timeout: stream 9 (PATCH) gets no answer and times out.
    connect('amf', '198.18.0.10', client, 2600);
    await stop(srv);
    await waitFor('the PATCH timeout', async () => ((await row('PATCH', 'amf-1', 'smf-1'))?.timeouts === 1 ? true : undefined), 5000);
    await new Promise((r) => setTimeout(r, 2100));

    const got = Object.fromEntries((await rows()).filter((r) => r.server === 'smf-1').map((r) => [r.procedure, { count: r.count, rejected: r.rejected, timeouts: r.timeouts }]));
    expect(got).toEqual({
      GET: { count: 1, rejected: 0, timeouts: 0 },
      PUT: { count: 1, rejected: 1, timeouts: 0 },
      DELETE: { count: 1, rejected: 1, timeouts: 0 },
      other: { count: 1, rejected: 0, timeouts: 0 },
      PATCH: { count: 0, rejected: 0, timeouts: 1 },
    }); // POST (stream 7) was reset by the client: released, neither a transaction nor a timeout
    const l = 'client_nf="amf-1",client_type="AMF",server_nf="smf-1",server_type="SMF",interface="SBI"';
    expect(await metric(`${l},procedure="GET",outcome="accepted",code="201"`)).toBe(1);
    expect(await metric(`${l},procedure="PUT",outcome="rejected",code="404"`)).toBe(1);
    expect(await metric(`${l},procedure="DELETE",outcome="rejected",code="503"`)).toBe(1);
    expect(await metric(`${l},procedure="other",outcome="other",code="other"`)).toBe(1);
    expect(await metric(`${l},procedure="PATCH",outcome="timeout",code=""`)).toBe(1);
    // GET went out about 100 ms after connecting; its response started 300 ms after the client's first octets.
    const get = (await row('GET', 'amf-1', 'smf-1'))!;
    expect(get.p50_ms).toBeGreaterThan(150);
    expect(get.p50_ms).toBeLessThan(300);
  });

  test('streams above the last stream id of a GOAWAY are released, not timeouts', async () => {
    const goaway = (last: number) => frame(7, 0, 0, [...Buffer.from([0, 0, 0, 0]).map((_, i) => (last >> (8 * (3 - i))) & 0xff), 0, 0, 0, 0]);
    const srv = await startIn('smf', [
      TCP_SCRIPT,
      '--listen',
      '198.18.0.10',
      '--port',
      `${PORT}`,
      '--gap-ms',
      '100',
      '--hex',
      Buffer.concat([SETTINGS, goaway(1), headers(1, STATUS_200)]).toString('hex'),
      '--hold-ms',
      '3000',
    ]);
    const before = (await row('POST', 'amf-1', 'smf-1')) ?? { count: 0, timeouts: 0 };
    // Streams 1 and 3 are requests; the server processes only 1 and says so; the connection stays open past the timeout.
    connect('amf', '198.18.0.10', [Buffer.concat([PREFACE, SETTINGS, headers(1, [0x83, ...SCHEME_PATH]), headers(3, [0x83, ...SCHEME_PATH])])], 2600);
    await stop(srv);
    await new Promise((r) => setTimeout(r, 1200));
    const r = (await row('POST', 'amf-1', 'smf-1'))!;
    expect({ count: r.count, timeouts: r.timeouts }).toEqual({ count: before.count + 1, timeouts: before.timeouts });
  });

  test('a connection that existed before the exporter started is picked up from its next request', async () => {
    const srv = await startIn('nrf', [H2_SERVER, '--port', `${PORT}`, '--host', '198.18.0.12']);
    // The second request waits for a line on the client's stdin: it goes out once the late exporter is ready, however
    // long its start takes, and only then.
    const client = spawn(
      'ip',
      [
        'netns',
        'exec',
        topo.host('amf').netns,
        process.execPath,
        TCP_SCRIPT,
        '--connect',
        '198.18.0.12',
        '--port',
        `${PORT}`,
        ...script([Buffer.concat([PREFACE, SETTINGS, headers(1, GET_WITH_AUTHORITY)]), 'line', headers(3, GET_WITH_AUTHORITY)]),
        '--hold-ms',
        '500',
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    background.push(client);
    const done = new Promise((r) => client.once('exit', r));
    // The first request has been answered (the exporter running all along paired it) before the late one starts.
    await waitFor('the running exporter to pair the first GET', async () => ((await row('GET', 'amf-1', 'nrf-1'))?.count === 1 ? true : undefined), 10_000);
    const late = await startExporter(config('sbi-late'));
    try {
      client.stdin!.end('go\n');
      await done;
      expect(client.exitCode).toBe(0);
      await waitFor('the late exporter to see GET', async () => ((await row('GET', 'amf-1', 'nrf-1', late))?.count === 1 ? true : undefined), 5000);
      await new Promise((r) => setTimeout(r, 2100));
      expect(await row('GET', 'amf-1', 'nrf-1', late)).toMatchObject({ count: 1, rejected: 0, timeouts: 0 });
      // The exporter that saw the connection open saw both requests.
      expect(await row('GET', 'amf-1', 'nrf-1')).toMatchObject({ count: 2, rejected: 0, timeouts: 0 });
      expect(await metric('client_nf="amf-1",client_type="AMF",server_nf="nrf-1",server_type="NRF",interface="SBI",procedure="GET",outcome="accepted",code="200"', late)).toBe(1);
    } finally {
      await late.stop();
      await stop(srv);
    }
  });

  test('malformed input produces no transaction, no timeout and no crash', async () => {
    // The server answers streams 1, 3 and 5 whatever it got: a request wrongly taken would complete.
    const answers = Buffer.concat([SETTINGS, headers(1, STATUS_200), headers(3, STATUS_200), headers(5, STATUS_200)]);
    const srv = await startIn('smf', [TCP_SCRIPT, '--listen', '::', '--port', `${PORT}`, '--hex', answers.toString('hex'), '--hold-ms', '200']);
    const before = await rows();
    let seed = 4242;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const junk = (n: number) => Buffer.concat(Array.from({ length: Math.ceil(n / 32) }, () => crypto.createHash('sha256').update(String(rnd())).digest())).subarray(0, n);
    const bogusLength = headers(1, GET);
    bogusLength.writeUIntBE(5000, 0, 3);
    const cases: (Buffer | number)[][] = [
      [junk(100)], // random bytes, no preface
      [junk(9), 30, junk(200)],
      [Buffer.from('GET / HTTP/1.1\r\nHost: smf\r\n\r\n')], // HTTP/1.1, not h2c
      // HTTP/1.1, then a segment of nothing but a well-formed HEADERS frame: still not h2c (no preface)
      [Buffer.from('GET / HTTP/1.1\r\nHost: smf\r\n\r\n'), 30, headers(7, GET)],
      [PREFACE, 30, SETTINGS, 30, bogusLength], // a HEADERS frame longer than everything sent
      [Buffer.concat([PREFACE, SETTINGS]), 30, headers(1, GET).subarray(0, 5)], // a truncated frame header
      [Buffer.concat([PREFACE, SETTINGS, headers(1, GET).subarray(0, 10)])], // a truncated header block
      [Buffer.concat([PREFACE, SETTINGS, junk(64)])], // random bytes after the preface
      [Buffer.concat([PREFACE, SETTINGS, frame(1, END_HEADERS, 0, GET)])], // HEADERS on stream 0
      [Buffer.concat([PREFACE, frame(4, 0, 0, [1, 2, 3]), headers(1, GET)])], // SETTINGS of a bad length, then a request
      [Buffer.concat([PREFACE, SETTINGS, headers(2, GET)])], // an even (server) stream id from the client
    ];
    for (const c of cases) {
      connect('amf', '198.18.0.10', c, 100);
      connect('amf', '2001:2::10', c, 100);
    }
    // Past the timeout and two sweeps: still the same rows, and the exporter is alive.
    await new Promise((r) => setTimeout(r, 3200));
    const strip = (rs: Row[]) => rs.map(({ p50_ms: _p, ...r }) => r);
    expect(strip(await rows())).toEqual(strip(before));
    expect((await fetch(`${ex.url}/readyz`)).status).toBe(200);
    // The same server and client with a well-formed request: it counts, so the above were really ignored.
    const gets = (await row('GET', 'amf-1', 'smf-1'))?.count ?? 0;
    connect('amf', '198.18.0.10', [Buffer.concat([PREFACE, SETTINGS, headers(1, GET)])], 100);
    await waitFor('the well-formed GET', async () => ((await row('GET', 'amf-1', 'smf-1'))?.count === gets + 1 ? true : undefined), 5000);
    await stop(srv);
  });

  test('a connection upgraded from HTTP/1.1 (Upgrade: h2c) is followed from the client preface on', async () => {
    const upgrade = Buffer.from('GET / HTTP/1.1\r\nHost: smf\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n');
    const switching = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
    // The server switches at once; 300 ms later it answers stream 1 (the HTTP/1.1 request) and stream 3.
    const server = [Buffer.concat([switching, SETTINGS]), 300, Buffer.concat([headers(1, STATUS_200), data(1, 20), headers(3, STATUS_404)])];
    const srv = await startIn('smf', [TCP_SCRIPT, '--listen', '198.18.0.10', '--port', `${PORT}`, ...script(server), '--hold-ms', '500']);
    const before = (await row('GET', 'amf-1', 'smf-1')) ?? { count: 0, rejected: 0, timeouts: 0 };
    connect('amf', '198.18.0.10', [upgrade, 100, Buffer.concat([PREFACE, SETTINGS, headers(3, GET)])], 1000);
    await stop(srv);
    // Stream 3 is a transaction; stream 1 was asked in HTTP/1.1, which nfscope does not read: no request, no timeout.
    await waitFor('the GET after the upgrade', async () => ((await row('GET', 'amf-1', 'smf-1'))?.count === before.count + 1 ? true : undefined), 5000);
    await new Promise((r) => setTimeout(r, 2100));
    const r = (await row('GET', 'amf-1', 'smf-1'))!;
    expect({ count: r.count, rejected: r.rejected, timeouts: r.timeouts }).toEqual({ count: before.count + 1, rejected: before.rejected + 1, timeouts: before.timeouts });
  });
});
