/**
 * The protocol datapath end to end, with hand-built packets whose every byte
 * is known: PFCP (N4), GTP-U echo (N3, N9) and NGAP over SCTP (N2) between
 * test hosts, through the real kernel and the real exporter. Also malformed
 * input: it must produce no transaction, no crash, and count nothing twice.
 */
import * as crypto from 'crypto';
import { CAUSE, gtpEcho, ie, NODE_ID, pfcp, RECOVERY } from '../bench/lib/packets';
import { possibleCpus } from '../exporter/src/kernel/bpf';
import { describeRoot, REPO, SEND_UDP, waitFor } from './lib/env';
import { metricSamples, metricValue, startExporter, type RunningExporter, type SummaryRow } from './lib/exporter';
import { Topology } from './lib/netns';

const SEND_RAW = `${REPO}/test/tools/send-raw.js`;

/**
 * The nf_pair_cache slot of two IPv4 addresses (bpf/traffic.bpf.c nf_pair_of): their IPv4-mapped
 * forms as two little-endian 64-bit words each, the lower address first, mixed in turn.
 */
function nfPairSlot(a: string, b: string): number {
  const words = (ip: string) => {
    const m = Buffer.alloc(16);
    m.writeUInt16BE(0xffff, 10);
    ip.split('.').forEach((o, i) => (m[12 + i] = Number(o)));
    return [m.readBigUInt64LE(0), m.readBigUInt64LE(8)];
  };
  const [s, d] = [words(a), words(b)];
  const swap = s[0] > d[0] || (s[0] === d[0] && s[1] > d[1]);
  const [lo, hi] = swap ? [d, s] : [s, d];
  const u64 = (v: bigint) => v & 0xffffffffffffffffn;
  const x = u64(u64((lo[0] ^ lo[1]) * 0x9e3779b97f4a7c15n) ^ hi[0] ^ hi[1]);
  return Number((u64(x * 0xc2b2ae3d27d4eb4fn) >> 56n) & 0xffn);
}

/** CRC32c (RFC 9260 Appendix A), for well-formed SCTP packets. */
function crc32c(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function sctp(sport: number, dport: number, chunks: Buffer[]): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(0x1234abcd, 4);
  const p = Buffer.concat([h, ...chunks]);
  p.writeUInt32LE(crc32c(p), 8);
  return p;
}
function sctpData(tsn: number, ngap: Buffer): Buffer {
  const len = 16 + ngap.length;
  const c = Buffer.alloc(Math.ceil(len / 4) * 4);
  c[0] = 0;
  c[1] = 0x03; // B and E: one complete message
  c.writeUInt16BE(len, 2);
  c.writeUInt32BE(tsn, 4);
  c.writeUInt32BE(60, 12); // PPID NGAP
  ngap.copy(c, 16);
  return c;
}
function sctpSack(cumTsn: number): Buffer {
  const c = Buffer.alloc(16);
  c[0] = 3;
  c.writeUInt16BE(16, 2);
  c.writeUInt32BE(cumTsn, 4);
  c.writeUInt32BE(65536, 8);
  return c;
}
/** NGAP-PDU: CHOICE octet, procedure code, criticality, then an (empty) open type. */
const ngap = (pdu: number, code: number) => Buffer.from([pdu, code, 0x00, 0x00]);

type Row = SummaryRow;

describeRoot('protocol datapath', () => {
  let topo: Topology;
  let ex: RunningExporter;

  beforeAll(async () => {
    topo = Topology.create([
      { name: 'smf', addr: '198.18.0.3/24' },
      { name: 'upf', addr: '198.18.0.2/24' },
      { name: 'upf2', addr: '198.18.0.4/24' },
      { name: 'gnb', addr: '198.18.0.1/24' },
      { name: 'amf', addr: '198.18.0.5/24' },
    ]);
    ex = await startExporter(`
node: dp-test
interfaces: ["${topo.vethGlob}"]
request_timeout: 1s
nfs:
  - { name: smf-1, type: SMF, addresses: ["198.18.0.3"] }
  - { name: upf-1, type: UPF, addresses: ["198.18.0.2"] }
  - { name: upf-2, type: UPF, addresses: ["198.18.0.4"] }
  - { name: gnb-1, type: gNB, addresses: ["198.18.0.1"] }
  - { name: amf-1, type: AMF, addresses: ["198.18.0.5"] }
`);
  });
  afterAll(async () => {
    await ex?.stop();
    topo?.destroy();
  });

  /** Sends UDP payloads from a host, source port = destination port (as PFCP and GTP-U peers do). */
  const udp = (from: string, to: string, port: number, ...payloads: Buffer[]) =>
    topo.exec(from, process.execPath, [SEND_UDP, '--to', to, '--port', `${port}`, '--from-port', `${port}`, '--gap-ms', '5', ...payloads.flatMap((p) => ['--hex', p.toString('hex')])]);
  const raw = (from: string, to: string, proto: number, ...packets: Buffer[]) =>
    topo.exec(from, process.execPath, [SEND_RAW, '--proto', `${proto}`, '--to', to, '--gap-ms', '5', ...packets.flatMap((p) => ['--hex', p.toString('hex')])]);

  const rows = async (): Promise<Row[]> => (await ex.getJson<{ latency: Row[] }>('/api/v1/summary?window=10m')).latency;
  const row = async (iface: string, procedure: string, client: string, server: string) =>
    (await rows()).find((r) => r.interface === iface && r.procedure === procedure && r.client === client && r.server === server);
  /** Waits for a series to reach `count` completed transactions, then two more reads to see nothing more arrives. */
  const settled = async (iface: string, procedure: string, client: string, server: string, count: number) => {
    await waitFor(`${procedure} ${client}→${server} count ${count}`, async () => ((await row(iface, procedure, client, server))?.count === count ? true : undefined), 5000);
    await new Promise((r) => setTimeout(r, 2100));
    return (await row(iface, procedure, client, server))!;
  };
  const metrics = () => ex.getText('/metrics');

  test('PFCP heartbeat and association setup: paired, accepted, with the latency the hosts made', async () => {
    udp('smf', '198.18.0.2', 8805, pfcp(1, 1, [RECOVERY]));
    await new Promise((r) => setTimeout(r, 200));
    udp('upf', '198.18.0.3', 8805, pfcp(2, 1, [RECOVERY]));
    udp('smf', '198.18.0.2', 8805, pfcp(5, 2, [NODE_ID('198.18.0.3'), RECOVERY]));
    udp('upf', '198.18.0.3', 8805, pfcp(6, 2, [NODE_ID('198.18.0.2'), CAUSE(1), RECOVERY]));
    const hb = await settled('N4', 'Heartbeat', 'smf-1', 'upf-1', 1);
    // The response left at least 200 ms after the request.
    expect(hb.p50_ms).toBeGreaterThanOrEqual(200);
    expect(hb).toMatchObject({ rejected: 0, timeouts: 0, retransmissions: 0 });
    const m = await metrics();
    const labels = 'client_nf="smf-1",client_type="SMF",server_nf="upf-1",server_type="UPF",interface="N4"';
    expect(m).toContain(`nfscope_requests_total{${labels},procedure="Heartbeat",outcome="accepted",code="0"} 1\n`);
    expect(m).toContain(`nfscope_requests_total{${labels},procedure="AssociationSetup",outcome="accepted",code="1"} 1\n`);
  });

  test('a rejection is read from the Cause IE after the Node ID; retransmissions and duplicate responses count once', async () => {
    // Session Establishment: S=1, SEID 0 in the request; the response carries Node ID first.
    const req = pfcp(50, 100, [NODE_ID('198.18.0.3')], { seid: 0n });
    udp('smf', '198.18.0.2', 8805, req, req); // the second copy is a retransmission
    const resp = pfcp(51, 100, [NODE_ID('198.18.0.2'), CAUSE(73)], { seid: 0x11n });
    udp('upf', '198.18.0.3', 8805, resp, resp); // a duplicated response completes nothing more
    const r = await settled('N4', 'SessionEstablishment', 'smf-1', 'upf-1', 1);
    expect(r).toMatchObject({ rejected: 1, retransmissions: 1, timeouts: 0 });
    expect(await metrics()).toContain('procedure="SessionEstablishment",outcome="rejected",code="73"} 1\n');
  });

  test('an FO chain carries several messages; Session Report runs from UPF to SMF', async () => {
    const chain = Buffer.concat([pfcp(56, 200, [ie(39, Buffer.from([2]))], { seid: 1n, fo: true }), pfcp(56, 201, [ie(39, Buffer.from([2]))], { seid: 2n })]);
    udp('upf', '198.18.0.3', 8805, chain);
    udp('smf', '198.18.0.2', 8805, Buffer.concat([pfcp(57, 200, [CAUSE(1)], { seid: 1n, fo: true }), pfcp(57, 201, [CAUSE(1)], { seid: 2n })]));
    expect(await settled('N4', 'SessionReport', 'upf-1', 'smf-1', 2)).toMatchObject({ rejected: 0, retransmissions: 0 });
  });

  test('an unanswered request is a timeout once request_timeout has passed', async () => {
    udp('smf', '198.18.0.2', 8805, pfcp(54, 300, [], { seid: 5n }));
    await waitFor('a SessionDeletion timeout', async () => ((await row('N4', 'SessionDeletion', 'smf-1', 'upf-1'))?.timeouts === 1 ? true : undefined), 5000);
    const r = (await row('N4', 'SessionDeletion', 'smf-1', 'upf-1'))!;
    expect(r.count).toBe(0);
    expect(await metrics()).toContain('procedure="SessionDeletion",outcome="timeout",code=""} 1\n');
  });

  test('GTP-U echo between gNB and UPF is N3, between two UPFs N9', async () => {
    udp('gnb', '198.18.0.2', 2152, gtpEcho(1, 7));
    udp('upf', '198.18.0.1', 2152, gtpEcho(2, 7));
    udp('upf', '198.18.0.4', 2152, gtpEcho(1, 8), gtpEcho(1, 9));
    udp('upf2', '198.18.0.2', 2152, gtpEcho(2, 8), gtpEcho(2, 9));
    expect((await settled('N3', 'Echo', 'gnb-1', 'upf-1', 1)).rejected).toBe(0);
    expect((await settled('N9', 'Echo', 'upf-1', 'upf-2', 2)).rejected).toBe(0);
  });

  test('NGAP over SCTP: procedures and outcomes counted per NF pair, DATA→SACK timed as a transport round trip', async () => {
    raw('gnb', '198.18.0.5', 132, sctp(38412, 38412, [sctpData(1000, ngap(0x00, 21))]));
    raw('amf', '198.18.0.1', 132, sctp(38412, 38412, [sctpSack(1000), sctpData(5000, ngap(0x20, 21))]));
    raw('gnb', '198.18.0.5', 132, sctp(38412, 38412, [sctpSack(5000), sctpData(1001, ngap(0x00, 15))]));
    await settled('N2', 'NGSetup', 'gnb-1', 'amf-1', 1);
    const m = await metrics();
    const labels = 'client_nf="gnb-1",client_type="gNB",server_nf="amf-1",server_type="AMF",interface="N2"';
    expect(m).toContain(`nfscope_procedures_total{${labels},procedure="NGSetup"} 1\n`);
    expect(m).toContain(`nfscope_procedures_total{${labels},procedure="InitialUEMessage"} 1\n`);
    expect(m).toContain(`nfscope_requests_total{${labels},procedure="NGSetup",outcome="accepted",code="0"} 1\n`);
    // The AMF's NGSetupResponse DATA was acknowledged by the gNB's SACK: a round trip timed from the AMF.
    expect((await row('N2', 'NGSetup', 'amf-1', 'gnb-1'))?.count).toBe(1);
  });

  test('malformed input produces no transaction, no crash, and counts nothing twice', async () => {
    const before = await rows();
    const bad: [string, string, number, Buffer][] = [
      ['smf', '198.18.0.2', 8805, Buffer.from([0x20, 0x01, 0x00])], // truncated header
      ['smf', '198.18.0.2', 8805, pfcp(1, 400).subarray(0, 6)], // truncated sequence number
      ['smf', '198.18.0.2', 8805, Buffer.concat([pfcp(1, 401), Buffer.alloc(4)])], // length short of the datagram
      [
        'smf',
        '198.18.0.2',
        8805,
        (() => {
          const b = pfcp(1, 402, [RECOVERY]);
          b.writeUInt16BE(200, 2);
          return b;
        })(),
      ], // length past the datagram
      ['smf', '198.18.0.2', 8805, Buffer.from(pfcp(1, 403).map((x, i) => (i === 0 ? 0x40 : x)))], // version 2
      // An FO chain that never ends: every message says another follows.
      ['smf', '198.18.0.2', 8805, Buffer.concat(Array.from({ length: 12 }, (_, i) => pfcp(1, 410 + i, [], { fo: true })))],
      // A chain longer than nfscope follows (5 messages): ignored as a whole, not half-counted.
      ['smf', '198.18.0.2', 8805, Buffer.concat(Array.from({ length: 5 }, (_, i) => pfcp(1, 430 + i, [], { fo: i < 4 })))],
      ['gnb', '198.18.0.2', 2152, gtpEcho(1, 500).subarray(0, 9)], // truncated
      [
        'gnb',
        '198.18.0.2',
        2152,
        (() => {
          const b = gtpEcho(1, 501);
          b.writeUInt16BE(300, 2);
          return b;
        })(),
      ], // length past the datagram
      [
        'gnb',
        '198.18.0.2',
        2152,
        (() => {
          const b = gtpEcho(1, 502);
          b[0] = 0x30;
          return b;
        })(),
      ], // echo without a sequence number
    ];
    for (const [from, to, port, p] of bad) udp(from, to, port, p);
    // Answers to all of them: nothing may pair, since no request was taken.
    udp('upf', '198.18.0.3', 8805, ...[400, 401, 402, 403, ...Array.from({ length: 12 }, (_, i) => 410 + i), ...Array.from({ length: 5 }, (_, i) => 430 + i)].map((s) => pfcp(2, s, [RECOVERY])));
    udp('upf', '198.18.0.1', 2152, gtpEcho(2, 500), gtpEcho(2, 501), gtpEcho(2, 502));
    // Random bytes, reproducibly, both ways.
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const junk = () =>
      crypto
        .createHash('sha256')
        .update(String(rnd()))
        .digest()
        .subarray(0, 1 + Math.floor(rnd() * 32));
    for (const port of [8805, 2152]) {
      udp('smf', '198.18.0.2', port, ...Array.from({ length: 100 }, junk));
      udp('upf', '198.18.0.3', port, ...Array.from({ length: 100 }, junk));
    }
    raw('gnb', '198.18.0.5', 132, Buffer.from([0x96, 0x0c, 0x96, 0x0c]), sctp(38412, 38412, [Buffer.from([0, 3, 0, 200, 0, 0, 0, 1])]));
    // Past the timeout and two sweeps: still the same rows, and the exporter is alive.
    await new Promise((r) => setTimeout(r, 3200));
    const after = await rows();
    const strip = (rs: Row[]) => rs.map(({ p50_ms: _p, ...r }) => r);
    expect(strip(after)).toEqual(strip(before));
    expect((await fetch(`${ex.url}/readyz`)).status).toBe(200);
  });
});

/**
 * The in-flight table at its capacity. One flow's consecutive sequence
 * numbers take consecutive slots, so 65 536 of them fill the table exactly;
 * every request after that finds both of its slots taken and evicts one. The
 * timeout is long, so nothing leaves by the sweep: every request is either
 * still held (and completes when its response comes) or counted as evicted.
 */
describeRoot('the in-flight table', () => {
  let topo: Topology;
  let ex: RunningExporter;
  const SLOTS = 65536;
  const N = SLOTS + 6000;
  const FIRST = 100000;

  beforeAll(async () => {
    topo = Topology.create([
      { name: 'smf', addr: '198.18.0.3/24' },
      { name: 'upf', addr: '198.18.0.2/24' },
    ]);
    ex = await startExporter(`
node: inflight-test
interfaces: ["${topo.vethGlob}"]
request_timeout: 5m
nfs:
  - { name: smf-1, type: SMF, addresses: ["198.18.0.3"] }
  - { name: upf-1, type: UPF, addresses: ["198.18.0.2"] }
`);
  });
  afterAll(async () => {
    await ex?.stop();
    topo?.destroy();
  });

  /** PFCP Heartbeats (24-bit sequence number at octet 4) from one host, one flow. */
  const heartbeats = (from: string, to: string, type: 1 | 2) =>
    topo.exec(from, process.execPath, [SEND_UDP, '--to', to, '--port', '8805', '--from-port', '8805', '--hex', pfcp(type, 0, [RECOVERY]).toString('hex'), '--seq', `4:3:${FIRST}`, '--count', `${N}`]);

  test('holds requests up to its capacity, evicts when both slots of a request are taken, and accounts for every request', async () => {
    heartbeats('smf', '198.18.0.2', 1);
    const held = await waitFor(
      'every request held or evicted',
      async () => {
        const m = await ex.getText('/metrics');
        const h = metricValue(m, 'nfscope_bpf_map_entries{map="inflight"}') ?? 0;
        const e = metricValue(m, 'nfscope_bpf_inflight_evictions_total') ?? 0;
        return h + e === N ? { m, h, e } : undefined;
      },
      20000,
      250,
    );
    expect(metricValue(held.m, 'nfscope_bpf_map_capacity{map="inflight"}')).toBe(SLOTS);
    expect(held.h).toBe(SLOTS);
    expect(held.e).toBe(N - SLOTS);
    expect(metricValue(held.m, 'nfscope_bpf_lost_events_total{cause="inflight_map_full"}') ?? 0).toBe(0);

    // A response for every request: exactly the held ones complete, and the table empties.
    heartbeats('upf', '198.18.0.3', 2);
    const labels = 'client_nf="smf-1",client_type="SMF",server_nf="upf-1",server_type="UPF",interface="N4",procedure="Heartbeat"';
    const done = await waitFor(
      'the held requests completed',
      async () => {
        const m = await ex.getText('/metrics');
        return metricValue(m, `nfscope_request_duration_seconds_count{${labels}}`) === SLOTS && metricValue(m, 'nfscope_bpf_map_entries{map="inflight"}') === 0 ? m : undefined;
      },
      20000,
      250,
    );
    await new Promise((r) => setTimeout(r, 1100));
    const after = await ex.getText('/metrics');
    expect(metricValue(after, `nfscope_request_duration_seconds_count{${labels}}`)).toBe(SLOTS);
    expect(metricValue(after, `nfscope_requests_total{${labels},outcome="accepted",code="0"}`)).toBe(SLOTS);
    expect(metricValue(after, 'nfscope_bpf_inflight_evictions_total')).toBe(N - SLOTS);
    expect(done).toContain('nfscope_bpf_map_entries{map="inflight"} 0\n');
  }, 60000);
});

/**
 * Many series at once: 20 SMF and 20 UPF addresses on two hosts, a PFCP
 * Heartbeat exchange between each pair: 400 latency and outcome series and
 * 800 traffic series, from 400 address pairs: more than the 256 slots of the
 * per-CPU NF-pair table, so some pairs are counted in their slot and the
 * others in the traffic map. Every series must count exactly its own
 * packets.
 */
describeRoot('many series', () => {
  let topo: Topology;
  let ex: RunningExporter;
  const K = 20;
  const smfs = Array.from({ length: K }, (_, i) => `198.18.0.${100 + i}`);
  const upfs = Array.from({ length: K }, (_, i) => `198.18.0.${200 + i}`);

  beforeAll(async () => {
    topo = Topology.create([
      { name: 'smf', addr: '198.18.0.3/24' },
      { name: 'upf', addr: '198.18.0.2/24' },
    ]);
    for (const a of smfs) topo.exec('smf', 'ip', ['addr', 'add', `${a}/24`, 'dev', 'eth0']);
    for (const a of upfs) topo.exec('upf', 'ip', ['addr', 'add', `${a}/24`, 'dev', 'eth0']);
    const nfs = [...smfs.map((a, i) => `  - { name: smf-${i}, type: SMF, addresses: ["${a}"] }`), ...upfs.map((a, i) => `  - { name: upf-${i}, type: UPF, addresses: ["${a}"] }`)];
    ex = await startExporter(`
node: many-series-test
interfaces: ["${topo.vethGlob}"]
request_timeout: 5m
nfs:
${nfs.join('\n')}
`);
  });
  afterAll(async () => {
    await ex?.stop();
    topo?.destroy();
  });

  /** A script that sends, from each of `from` (port 8805), one datagram to each of `to`: the template with sequence number i·K + j at octet 4. */
  const exchange = (host: string, from: string[], to: string[], template: Buffer, fromIsFirst: boolean) => {
    const script = `
const dgram = require('dgram');
const [from, to, hex, first] = JSON.parse(process.argv[1]);
(async () => {
  for (let i = 0; i < from.length; i++) {
    const s = dgram.createSocket('udp4');
    await new Promise((r, j) => { s.once('error', j); s.bind(8805, from[i], r); });
    for (let j = 0; j < to.length; j++) {
      const b = Buffer.from(hex, 'hex');
      b.writeUIntBE(first ? i * to.length + j : j * from.length + i, 4, 3);
      await new Promise((r, e) => s.send(b, 8805, to[j], (err) => (err ? e(err) : r())));
    }
    s.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });`;
    topo.exec(host, process.execPath, ['-e', script, JSON.stringify([from, to, template.toString('hex'), fromIsFirst])]);
  };

  test('count every series exactly', async () => {
    exchange('smf', smfs, upfs, pfcp(1, 0, [RECOVERY]), true);
    exchange('upf', upfs, smfs, pfcp(2, 0, [RECOVERY]), false);
    const m = await waitFor(
      'every exchange completed',
      async () => {
        const t = await ex.getText('/metrics');
        const n = [...metricSamples(t, 'nfscope_request_duration_seconds_count').values()].reduce((a, b) => a + b, 0);
        return n >= K * K ? t : undefined;
      },
      20000,
      250,
    );
    const durations = metricSamples(m, 'nfscope_request_duration_seconds_count');
    const accepted = [...metricSamples(m, 'nfscope_requests_total')].filter(([l]) => l.includes('outcome="accepted"'));
    const packets = metricSamples(m, 'nfscope_packets_total');
    const pairs = (labels: string[], a: string, b: string) => new Set(labels.map((l) => `${new RegExp(`${a}="([^"]+)"`).exec(l)?.[1]}>${new RegExp(`${b}="([^"]+)"`).exec(l)?.[1]}`));
    expect(durations.size).toBe(K * K);
    expect([...durations.values()].every((v) => v === 1)).toBe(true);
    expect(pairs([...durations.keys()], 'client_nf', 'server_nf').size).toBe(K * K);
    expect(accepted.length).toBe(K * K);
    expect(accepted.every(([, v]) => v === 1)).toBe(true);
    expect(packets.size).toBe(2 * K * K);
    expect([...packets.values()].every((v) => v === 1)).toBe(true);
    const dirs = pairs([...packets.keys()], 'src_nf', 'dst_nf');
    for (let i = 0; i < K; i++)
      for (let j = 0; j < K; j++) {
        expect(dirs.has(`smf-${i}>upf-${j}`)).toBe(true);
        expect(dirs.has(`upf-${j}>smf-${i}`)).toBe(true);
      }
    expect(metricValue(m, 'nfscope_bpf_map_entries{map="hists"}')).toBe(K * K);
    // Accepted with no cause, as Heartbeat Responses are: counted in the series' histogram values, not the outcome map.
    expect(metricValue(m, 'nfscope_bpf_map_entries{map="outcomes"}')).toBe(0);
    // 400 address pairs, 256 slots per CPU in nf_pair_cache: some pairs are counted in their slot,
    // the others (their slot held by another pair) in the traffic map; every count above is exact.
    const inMap = metricValue(m, 'nfscope_bpf_map_entries{map="traffic"}')!;
    expect(inMap).toBeGreaterThan(0);
    expect(inMap).toBeLessThan(2 * K * K);
    // The table's fill is the slots pairs hold, per CPU: each slot that one of these pairs reaches
    // is held on one CPU at least (its first pair keeps it) and on every CPU at most.
    const cpus = possibleCpus();
    const reached = new Set([...smfs].flatMap((a) => upfs.map((b) => nfPairSlot(a, b)))).size;
    const held = metricValue(m, 'nfscope_bpf_map_entries{map="nf_pair_cache"}')!;
    expect(metricValue(m, 'nfscope_bpf_map_capacity{map="nf_pair_cache"}')).toBe(256 * cpus);
    // Pairs of addresses in one subnet spread over the slots (folding the two addresses together
    // put these 400 pairs in 32 slots).
    expect(reached).toBeGreaterThan(150);
    expect(reached).toBeLessThan(256);
    expect(held).toBeGreaterThanOrEqual(reached);
    expect(held).toBeLessThanOrEqual(reached * cpus);
  }, 60000);
});
