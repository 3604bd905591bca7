/**
 * The parsers of traffic.bpf.o on packet fixtures, through BPF_PROG_TEST_RUN:
 * traffic_ingress runs on Ethernet frames built here, with no interface,
 * namespace or exporter, and its maps are read directly. A test is a handful
 * of runs, so these fail in seconds where the end-to-end tests take minutes.
 * tshark decodes every fixture first: a frame that is not the message it is
 * meant to be fails that check, instead of passing or failing the parser's
 * for the wrong reason.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BpfObject, type BpfMap, type BpfProgram } from '../exporter/src/kernel/bpf';
import { ADDR_KEY, addressBytes, FAST_OUTCOME_CODES, HIST, LAT_KEY, type LatKey, NfEvent, NfOutcome, NfProto, OUTCOME_KEY, SbiMethod } from '../exporter/src/kernel/layout';
import { portTable } from '../exporter/src/nfs';
import { BPF_DIR, describeRoot } from './lib/env';
import { tsharkFields } from './lib/tshark';

const PORTS = { pfcp: [8805], gtpu: [2152], sbi: [7777], ngap: [38412] };

/** The NFs of the fixtures: id and address. */
const NF = {
  smf: { id: 1, addr: '198.18.0.1' },
  upf: { id: 2, addr: '198.18.0.2' },
  gnb: { id: 3, addr: '198.18.0.3' },
  amf: { id: 4, addr: '198.18.0.4' },
  nrf: { id: 5, addr: '198.18.0.5' },
};

function ipv4Checksum(h: Buffer): number {
  let s = 0;
  for (let i = 0; i < h.length; i += 2) s += h.readUInt16BE(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** An Ethernet frame with an IPv4 packet of protocol `proto` around `l4`. */
function ipv4Frame(src: string, dst: string, proto: number, l4: Buffer): Buffer {
  const eth = Buffer.from('020000000002' + '020000000001' + '0800', 'hex');
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + l4.length, 2);
  ip.writeUInt16BE(0x4000, 6); // DF
  ip[8] = 64;
  ip[9] = proto;
  addressBytes(src).copy(ip, 12, 12);
  addressBytes(dst).copy(ip, 16, 12);
  ip.writeUInt16BE(ipv4Checksum(ip), 10);
  return Buffer.concat([eth, ip, l4]);
}

function udp(src: string, sport: number, dst: string, dport: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + payload.length, 4); // checksum 0: none (IPv4)
  return ipv4Frame(src, dst, 17, Buffer.concat([h, payload]));
}

const TCP_SYN = 0x02;
const TCP_ACK = 0x10;
const TCP_PSH = 0x08;

function tcp(src: string, sport: number, dst: string, dport: number, seq: number, ack: number, flags: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seq >>> 0, 4);
  h.writeUInt32BE(ack >>> 0, 8);
  h[12] = 5 << 4;
  h[13] = flags;
  h.writeUInt16BE(65535, 14);
  return ipv4Frame(src, dst, 6, Buffer.concat([h, payload]));
}

/** A PFCP node message (S=0): version 1, `type`, 24-bit sequence number, IEs as [type, value]. */
function pfcp(type: number, seq: number, ies: [number, Buffer][]): Buffer {
  const body = Buffer.concat(ies.map(([t, v]) => Buffer.concat([Buffer.from([t >> 8, t & 0xff, v.length >> 8, v.length & 0xff]), v])));
  const h = Buffer.from([0x20, type, 0, 0, (seq >> 16) & 0xff, (seq >> 8) & 0xff, seq & 0xff, 0]);
  h.writeUInt16BE(4 + body.length, 2);
  return Buffer.concat([h, body]);
}
const PFCP_IE_CAUSE = 19;
const PFCP_IE_NODE_ID = 60;
const PFCP_IE_RECOVERY = 96;
const nodeId = (a: string) => Buffer.concat([Buffer.from([0]), addressBytes(a).subarray(12)]);
const recovery = Buffer.from([0xe8, 0x00, 0x00, 0x01]);

/** A GTP-U message with a sequence number (S=1): TEID 0, `type`, then `ies`. */
function gtpu(type: number, seq: number, ies = Buffer.alloc(0)): Buffer {
  const h = Buffer.from([0x32, type, 0, 0, 0, 0, 0, 0, seq >> 8, seq & 0xff, 0, 0]);
  h.writeUInt16BE(4 + ies.length, 2); // sequence number, N-PDU number, next extension type, IEs
  return Buffer.concat([h, ies]);
}

/** An HTTP/2 frame (RFC 9113 §4.1). */
function h2(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}
const H2_HEADERS = 1;
const H2_SETTINGS = 4;
const END_STREAM = 0x01;
const END_HEADERS = 0x04;
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** An HPACK literal without indexing whose name is static entry `name` (RFC 7541 §6.2.2), the value plain. */
const literal = (name: number, value: string) => Buffer.concat([Buffer.from([name, value.length]), Buffer.from(value, 'latin1')]);

/** Writes the frames as a pcap (microsecond stamps one millisecond apart) for tshark. */
function writePcap(file: string, frames: Buffer[]): void {
  const g = Buffer.alloc(24);
  g.writeUInt32LE(0xa1b2c3d4, 0);
  g.writeUInt16LE(2, 4);
  g.writeUInt16LE(4, 6);
  g.writeUInt32LE(65535, 16);
  g.writeUInt32LE(1, 20); // Ethernet
  const recs = frames.map((f, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1_700_000_000, 0);
    r.writeUInt32LE(i * 1000, 4);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length, 12);
    return Buffer.concat([r, f]);
  });
  fs.writeFileSync(file, Buffer.concat([g, ...recs]));
}

describeRoot('the parsers on packet fixtures (BPF_PROG_TEST_RUN, no namespaces)', () => {
  let obj: BpfObject;
  let prog: BpfProgram;
  let hists: BpfMap;
  let outcomes: BpfMap;
  let events: BpfMap;
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-parsers-'));
    obj = BpfObject.open(path.join(BPF_DIR, 'traffic.bpf.o'));
    obj.setGlobal('port_proto', portTable(PORTS));
    obj.load();
    prog = obj.program('traffic_ingress');
    const nfAddrs = obj.map('nf_addrs');
    for (const nf of Object.values(NF)) {
      const id = Buffer.alloc(4);
      id.writeUInt32LE(nf.id);
      nfAddrs.update(ADDR_KEY.encode({ addr: addressBytes(nf.addr) }), id);
    }
    hists = obj.map('hists');
    outcomes = obj.map('outcomes');
    events = obj.map('events');
  });

  afterAll(() => {
    obj?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the frames in order; the wall-clock nanoseconds from the first run's start to the last run's end. */
  function run(frames: Buffer[]): number {
    const t0 = process.hrtime.bigint();
    for (const f of frames) expect(prog.testRun(f).retval).toBe(-1); // TC_ACT_UNSPEC: the packet goes on
    return Number(process.hrtime.bigint() - t0);
  }

  /** The histogram value of one series (summed over CPUs): transactions, sum of latencies, fast outcomes by code. */
  function series(key: LatKey): { count: number; sumNs: number; accepted: Record<number, number> } | undefined {
    const want = LAT_KEY.encode(key);
    const hit = hists.entries().find(([k]) => k.equals(want));
    if (!hit) return undefined;
    const h = HIST.decode(hit[1]);
    const accepted: Record<number, number> = {};
    h.accepted.forEach((n, i) => n && (accepted[FAST_OUTCOME_CODES[i]] = Number(n)));
    return { count: Number(h.slots.reduce((a, b) => a + b, 0n)), sumNs: Number(h.sum_ns), accepted };
  }

  /** The `outcomes` map entries of one series: "outcome code" → count. */
  function slowOutcomes(key: LatKey): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of outcomes.entries()) {
      const o = OUTCOME_KEY.decode(k);
      if (o.client_nf === key.client_nf && o.server_nf === key.server_nf && o.proto === key.proto && o.procedure === key.procedure) {
        out[`${NfOutcome[o.outcome]} ${o.code}`] = Number(v.readBigUInt64LE(0));
      }
    }
    return out;
  }

  function event(e: NfEvent): bigint {
    const k = Buffer.alloc(4);
    k.writeUInt32LE(e);
    return events.lookup(k)?.readBigUInt64LE(0) ?? 0n;
  }

  test('PFCP Association Setup: one accepted, one rejected with cause 64, a response to no request ignored', () => {
    const { smf, upf } = NF;
    const frames = [
      udp(
        smf.addr,
        8805,
        upf.addr,
        8805,
        pfcp(5, 0x010203, [
          [PFCP_IE_NODE_ID, nodeId(smf.addr)],
          [PFCP_IE_RECOVERY, recovery],
        ]),
      ),
      udp(
        upf.addr,
        8805,
        smf.addr,
        8805,
        pfcp(6, 0x010203, [
          [PFCP_IE_NODE_ID, nodeId(upf.addr)],
          [PFCP_IE_CAUSE, Buffer.from([1])],
          [PFCP_IE_RECOVERY, recovery],
        ]),
      ),
      udp(
        smf.addr,
        8805,
        upf.addr,
        8805,
        pfcp(5, 0x010204, [
          [PFCP_IE_NODE_ID, nodeId(smf.addr)],
          [PFCP_IE_RECOVERY, recovery],
        ]),
      ),
      udp(
        upf.addr,
        8805,
        smf.addr,
        8805,
        pfcp(6, 0x010204, [
          [PFCP_IE_NODE_ID, nodeId(upf.addr)],
          [PFCP_IE_CAUSE, Buffer.from([64])],
        ]),
      ),
      udp(
        upf.addr,
        8805,
        smf.addr,
        8805,
        pfcp(6, 0x0a0a0a, [
          [PFCP_IE_NODE_ID, nodeId(upf.addr)],
          [PFCP_IE_CAUSE, Buffer.from([1])],
        ]),
      ),
    ];
    const file = path.join(dir, 'pfcp.pcap');
    writePcap(file, frames);
    expect(tsharkFields(file, 'pfcp', ['pfcp.msg_type', 'pfcp.seqno', 'pfcp.cause'])).toEqual([
      ['5', '66051', ''],
      ['6', '66051', '1'],
      ['5', '66052', ''],
      ['6', '66052', '64'],
      ['6', '657930', '1'],
    ]);

    const key = { client_nf: smf.id, server_nf: upf.id, proto: NfProto.Pfcp, procedure: 5 };
    const wallNs = run(frames);
    const s = series(key);
    expect(s && { count: s.count, accepted: s.accepted }).toEqual({ count: 2, accepted: { 1: 1 } });
    // Each latency lies between its request's run and its response's, inside the wall-clock span of all five.
    expect(s!.sumNs).toBeGreaterThan(0);
    expect(s!.sumNs).toBeLessThanOrEqual(2 * wallNs);
    expect(slowOutcomes(key)).toEqual({ 'Rejected 64': 1 });
  });

  test('GTP-U Echo on N3: the response pairs on its sequence number, an unmatched one counts nothing', () => {
    const { gnb, upf } = NF;
    const frames = [
      udp(gnb.addr, 2152, upf.addr, 2152, gtpu(1, 0x1234)),
      udp(upf.addr, 2152, gnb.addr, 2152, gtpu(2, 0x1235, Buffer.from([14, 0]))),
      udp(upf.addr, 2152, gnb.addr, 2152, gtpu(2, 0x1234, Buffer.from([14, 0]))),
    ];
    const file = path.join(dir, 'gtpu.pcap');
    writePcap(file, frames);
    expect(tsharkFields(file, 'gtp', ['gtp.message', 'gtp.seq_number'])).toEqual([
      ['0x01', '0x1234'],
      ['0x02', '0x1235'],
      ['0x02', '0x1234'],
    ]);

    const wallNs = run(frames);
    const s = series({ client_nf: gnb.id, server_nf: upf.id, proto: NfProto.Gtpu, procedure: 1 });
    expect(s && { count: s.count, accepted: s.accepted }).toEqual({ count: 1, accepted: { 0: 1 } });
    expect(s!.sumNs).toBeGreaterThan(0);
    expect(s!.sumNs).toBeLessThanOrEqual(wallNs);
  });

  test('HTTP/2 HEADERS: PUT answered 201 (literals), GET answered 404 (static table), on one connection', () => {
    const { amf, nrf } = NF;
    const c = (seq: number, ack: number, flags: number, payload?: Buffer) => tcp(amf.addr, 40000, nrf.addr, 7777, seq, ack, flags, payload);
    const s = (seq: number, ack: number, flags: number, payload?: Buffer) => tcp(nrf.addr, 7777, amf.addr, 40000, seq, ack, flags, payload);
    const put = Buffer.concat([
      PREFACE,
      h2(H2_SETTINGS, 0, 0, Buffer.alloc(0)),
      // :method PUT and :path as literals without indexing, :scheme http (static 6)
      h2(H2_HEADERS, END_HEADERS, 1, Buffer.concat([literal(2, 'PUT'), Buffer.from([0x86]), literal(4, '/nnrf-nfm/v1/nf-instances/1')])),
    ]);
    const created = Buffer.concat([h2(H2_SETTINGS, 0, 0, Buffer.alloc(0)), h2(H2_HEADERS, END_HEADERS | END_STREAM, 1, literal(8, '201'))]);
    // :method GET (static 2), :scheme http, :path / (static 4)
    const get = h2(H2_HEADERS, END_HEADERS | END_STREAM, 3, Buffer.from([0x82, 0x86, 0x84]));
    const notFound = h2(H2_HEADERS, END_HEADERS | END_STREAM, 3, Buffer.from([0x8d])); // :status 404 (static 13)
    let cs = 1000;
    let ss = 5000;
    const frames = [c(cs, 0, TCP_SYN), s(ss, cs + 1, TCP_SYN | TCP_ACK)];
    cs += 1;
    ss += 1;
    frames.push(c(cs, ss, TCP_ACK | TCP_PSH, put));
    cs += put.length;
    frames.push(s(ss, cs, TCP_ACK | TCP_PSH, created));
    ss += created.length;
    frames.push(c(cs, ss, TCP_ACK | TCP_PSH, get));
    cs += get.length;
    frames.push(s(ss, cs, TCP_ACK | TCP_PSH, notFound));

    const file = path.join(dir, 'sbi.pcap');
    writePcap(file, frames);
    expect(tsharkFields(file, 'http2.type == 1', ['http2.streamid', 'http2.headers.method', 'http2.headers.status'], ['-d', 'tcp.port==7777,http2'])).toEqual([
      // the first segment of each side also holds a SETTINGS frame, on stream 0
      ['0,1', 'PUT', ''],
      ['0,1', '', '201'],
      ['3', 'GET', ''],
      ['3', '', '404'],
    ]);

    const resyncBefore = event(NfEvent.SbiResync);
    const wallNs = run(frames);
    const lat = (procedure: SbiMethod) => ({ client_nf: amf.id, server_nf: nrf.id, proto: NfProto.Sbi, procedure });
    const p = series(lat(SbiMethod.Put));
    const g = series(lat(SbiMethod.Get));
    expect(p && { count: p.count, accepted: p.accepted }).toEqual({ count: 1, accepted: { 201: 1 } });
    expect(g && { count: g.count, accepted: g.accepted }).toEqual({ count: 1, accepted: {} });
    expect(slowOutcomes(lat(SbiMethod.Get))).toEqual({ 'Rejected 404': 1 });
    expect(p!.sumNs + g!.sumNs).toBeGreaterThan(0);
    expect(p!.sumNs + g!.sumNs).toBeLessThanOrEqual(2 * wallNs);
    expect(event(NfEvent.SbiResync)).toBe(resyncBefore);
  });
});
