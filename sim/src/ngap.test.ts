import { ipv4Header } from './inet';
import * as ngap from './ngap';
import { NgapCollector, ngapCounts, sackRoundTrips, summarizeNgap, type NgapProcedureRecord, type SctpDataRecord } from './ngap-record';
import { planAgents, type PlanNf } from './plan';
import { resolveScenario } from './scenario';
import * as sctp from './sctp';
import { TESTBED_NFS } from './testbed';
import { testWithTshark, tsharkFields } from './test-helpers/tshark';

describe('SCTP codec', () => {
  test('CRC32c of the RFC 3720 test vector (32 zero octets) and a round trip through encode/decode', () => {
    expect(sctp.crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
    const bytes = sctp.encodePacket({
      srcPort: 38412,
      dstPort: 38412,
      vtag: 0xdeadbeef,
      chunks: [sctp.sack(41, 65536), sctp.data({ tsn: 42, stream: 1, ssn: 7, ppid: 60, payload: Buffer.from([1, 2, 3, 4, 5]) })],
    });
    // 12 header + 16 SACK + 16 + 5 DATA padded to 24
    expect(bytes.length).toBe(12 + 16 + 24);
    const p = sctp.decodePacket(bytes);
    expect(p).toMatchObject({ srcPort: 38412, dstPort: 38412, vtag: 0xdeadbeef });
    expect(p.chunks.map((c) => c.type)).toEqual([sctp.ChunkType.Sack, sctp.ChunkType.Data]);
    expect(sctp.decodeSack(p.chunks[0])).toEqual({ cumTsnAck: 41, arwnd: 65536 });
    expect(sctp.decodeData(p.chunks[1])).toEqual({ tsn: 42, stream: 1, ssn: 7, ppid: 60, payload: Buffer.from([1, 2, 3, 4, 5]) });
  });

  test('INIT ACK carries the state cookie; bad input is refused with what is wrong', () => {
    const cookie = Buffer.from('0123456789abcdef0');
    const p = sctp.decodePacket(sctp.encodePacket({ srcPort: 1, dstPort: 2, vtag: 5, chunks: [sctp.initAck({ tag: 9, arwnd: 1000, outStreams: 4, inStreams: 3, initialTsn: 0xfffffffe }, cookie)] }));
    expect(sctp.decodeInit(p.chunks[0])).toEqual({ tag: 9, arwnd: 1000, outStreams: 4, inStreams: 3, initialTsn: 0xfffffffe, cookie });

    const good = sctp.encodePacket({ srcPort: 1, dstPort: 2, vtag: 5, chunks: [sctp.cookieAck()] });
    const flipped = Buffer.from(good);
    flipped[5] ^= 1;
    expect(() => sctp.decodePacket(flipped)).toThrow(/checksum 0x[0-9a-f]+ is wrong/);
    expect(() => sctp.decodePacket(good.subarray(0, 8))).toThrow(/shorter than the 12-octet common header/);
    const longChunk = Buffer.from(good);
    longChunk.writeUInt16BE(40, 14);
    longChunk.writeUInt32LE(0, 8);
    longChunk.writeUInt32LE(sctp.crc32c(longChunk), 8);
    expect(() => sctp.decodePacket(longChunk)).toThrow(/chunk at offset 12 has length 40, 4 octets left/);
    expect(() => sctp.decodeData({ type: 0, flags: 3, value: Buffer.alloc(12) })).toThrow(/carries no user data/);
  });

  test('TSN serial arithmetic wraps at 2^32', () => {
    expect(sctp.tsnDiff(5, 3)).toBe(2);
    expect(sctp.tsnDiff(1, 0xffffffff)).toBe(2);
    expect(sctp.tsnDiff(0xffffffff, 1)).toBe(-2);
  });

  test('delayed SACK as Linux: every 2nd packet at once, else the timer; a pending SACK is owed until sent', () => {
    const p = new sctp.SackPolicy({ delayMs: 200, everyPackets: 2 });
    expect(p.onDataPacket()).toBe('arm');
    expect(p.pending).toBe(true);
    expect(p.onDataPacket()).toBe('now');
    expect(p.pending).toBe(false);
    expect(p.onDataPacket()).toBe('arm');
    p.sent(); // timer expired or bundled
    expect(p.pending).toBe(false);
    expect(p.onDataPacket()).toBe('arm');
    const every = new sctp.SackPolicy({ delayMs: 0, everyPackets: 2 });
    expect([every.onDataPacket(), every.onDataPacket()]).toEqual(['now', 'now']);
    const three = new sctp.SackPolicy({ delayMs: 200, everyPackets: 3 });
    expect([three.onDataPacket(), three.onDataPacket(), three.onDataPacket()]).toEqual(['arm', 'wait', 'now']);
  });

  test('raw IPv4 packets: the payload after the header, only when the lengths make sense', () => {
    const payload = Buffer.from([1, 2, 3, 4]);
    const pkt = Buffer.concat([ipv4Header('198.18.0.1', '198.18.0.2', 132, 4), payload]);
    expect(sctp.ipv4Payload(pkt)).toEqual({ src: '198.18.0.1', payload });
    expect(sctp.ipv4Payload(pkt.subarray(0, 19))).toBeUndefined();
    expect(sctp.ipv4Payload(Buffer.concat([pkt.subarray(0, 22)]))).toBeUndefined();
  });
});

describe('NGAP codec', () => {
  test('header octets: CHOICE, procedure code, criticality; UE NGAP IDs survive a round trip', () => {
    const m = ngap.encode(ngap.request('InitialContextSetup', { ran: 7, amf: 0x1234567 }));
    expect([...m.subarray(0, 3)]).toEqual([0x00, 14, 0x00]);
    expect(ngap.decode(m)).toMatchObject({ kind: 'initiating', code: 14, procedure: 'InitialContextSetup', ranUeNgapId: 7, amfUeNgapId: 0x1234567 });
    const f = ngap.encode(ngap.response('InitialContextSetup', false, { ran: 7, amf: 3 }));
    expect([f[0], f[1]]).toEqual([0x40, 14]);
    expect(ngap.decode(f).ies.map((i) => i.id)).toEqual([ngap.IeId.AmfUeNgapId, ngap.IeId.RanUeNgapId, ngap.IeId.Cause]);
    const r = ngap.decode(ngap.encode(ngap.request('UEContextRelease', { ran: 1, amf: 300 })));
    expect(r).toMatchObject({ procedure: 'UEContextRelease', amfUeNgapId: 300 });
    expect(ngap.decode(ngap.encode(ngap.request('InitialUEMessage', { ran: 0xffffffff })))).toMatchObject({ kind: 'initiating', code: 15, ranUeNgapId: 0xffffffff });
  });

  test('procedures without an unsuccessful outcome or a response cannot get one; malformed PDUs are named', () => {
    expect(() => ngap.response('PDUSessionResourceSetup', false, { ran: 1, amf: 1 })).toThrow(/no unsuccessful outcome/);
    expect(() => ngap.response('UplinkNASTransport', true, { ran: 1, amf: 1 })).toThrow(/class 2/);
    expect(() => ngap.decode(Buffer.from([0x60, 1, 0, 0]))).toThrow(/CHOICE octet 0x60/);
    expect(() => ngap.decode(Buffer.from([0x00, 21, 0]))).toThrow(/shorter than its 4-octet header/);
    const m = ngap.encode(ngap.request('NGSetup'));
    expect(() => ngap.decode(m.subarray(0, m.length - 1))).toThrow(/says \d+ octets, \d+ follow/);
  });

  testWithTshark('Wireshark decodes the packets: valid SCTP checksum, NGAP procedure codes and UE NGAP IDs', () => {
    const msgs = [
      ngap.request('NGSetup'),
      ngap.response('NGSetup', true),
      ngap.request('InitialUEMessage', { ran: 5 }),
      ngap.request('DownlinkNASTransport', { ran: 5, amf: 9 }),
      ngap.response('InitialContextSetup', false, { ran: 5, amf: 9 }),
      ngap.request('UEContextRelease', { ran: 5, amf: 9 }),
    ];
    const mac = Buffer.from([2, 0, 198, 18, 0, 1, 2, 0, 198, 18, 0, 2, 0x08, 0x00]);
    const records = msgs.map((m, i) => {
      const s = sctp.encodePacket({ srcPort: 38412, dstPort: 38412, vtag: 77, chunks: [sctp.data({ tsn: 100 + i, stream: 0, ssn: i, ppid: 60, payload: ngap.encode(m) })] });
      return { timeNs: BigInt(i) * 1000n, frame: Buffer.concat([mac, ipv4Header('198.18.0.1', '198.18.0.2', 132, s.length), s]) };
    });
    const rows = tsharkFields(
      records,
      ['sctp.checksum.status', 'sctp.data_tsn_raw', 'ngap.procedureCode', 'ngap.RAN_UE_NGAP_ID', 'ngap.AMF_UE_NGAP_ID', '_ws.malformed'],
      ['-o', 'sctp.checksum:CRC 32c'],
    );
    expect(rows.map((r) => r.slice(0, 5))).toEqual([
      ['1', '100', '21', '', ''],
      ['1', '101', '21', '', ''],
      ['1', '102', '15', '5', ''],
      ['1', '103', '4', '5', '9'],
      ['1', '104', '14', '5', '9'],
      ['1', '105', '41', '', '9'],
    ]);
    expect(rows.filter((r) => r[5])).toEqual([]);
  });
});

describe('N2 scenario, plan and record', () => {
  const nfs: PlanNf[] = TESTBED_NFS.map((nf, i) => ({ ...nf, netns: `nfsim-abcdef-${nf.name}`, ipv4: `198.18.0.${i + 1}` }));

  test('defaults run NGAP between gnb-1 and amf-1; only NGSetup and InitialContextSetup can be rejected', () => {
    const s = resolveScenario({ ngap: { responder: { rejectRate: 0.3 }, procedures: { UEContextRelease: { noResponseRate: 0.1 } } } });
    const agents = planAgents(nfs, s, 'abcdef').filter((a) => a.script === 'ngap-agent');
    expect(agents.map((a) => `${a.nf}:${a.script === 'ngap-agent' && a.args.role}`)).toEqual(['gnb-1:gNB', 'amf-1:AMF']);
    const a = agents[0].script === 'ngap-agent' ? agents[0].args : undefined;
    expect(a?.peer).toEqual({ name: 'amf-1', type: 'AMF', address: '198.18.0.2' });
    expect(a?.ngap).toEqual({ uesPerSecond: 2, ueHoldMs: 1000, responseTimeoutMs: 2000, sackDelayMs: 200, sackEveryPackets: 2 });
    expect(a?.behaviours.NGSetup.rejectRate).toBe(0.3);
    expect(a?.behaviours.InitialContextSetup.rejectRate).toBe(0.3);
    expect(a?.behaviours.PDUSessionResourceSetup.rejectRate).toBe(0);
    expect(a?.behaviours.UEContextRelease).toMatchObject({ rejectRate: 0, noResponseRate: 0.1, dropFirstCopyRate: 0 });
    expect(planAgents(nfs, resolveScenario({ ngap: { enabled: false } }), 'abcdef').some((x) => x.script === 'ngap-agent')).toBe(false);
  });

  test('bad NGAP fields are refused with their path', () => {
    const problems = (input: unknown): string[] => {
      try {
        resolveScenario(input, 's.json');
        return [];
      } catch (e) {
        return (e as Error).message.split('\n');
      }
    };
    expect(problems({ ngap: { sackDelayMs: 600, procedures: { UplinkNASTransport: { rejectRate: 0.1 } } } })).toEqual(['s.json: ngap.sackDelayMs: must be between 0 and 500, got 600']);
    expect(problems({ ngap: { procedures: { UplinkNASTransport: { rejectRate: 0.1 } } } })).toEqual([
      's.json: ngap.procedures.UplinkNASTransport.rejectRate: must be 0: UplinkNASTransport has no unsuccessful outcome (TS 38.413 §8); only NGSetup and InitialContextSetup can be rejected',
    ]);
    expect(problems({ ngap: { responder: { dropFirstCopyRate: 0.1 } } })[0]).toMatch(/ngap.responder.dropFirstCopyRate: unknown field; NGAP messages are not retransmitted/);
    expect(problems({ ngap: { procedures: { Paging: {} } } })[0]).toMatch(/ngap.procedures.Paging: unknown field/);
    expect(problems({ ngap: { responder: { rejectRate: 0.6, noResponseRate: 0.6 } } })).toContain('s.json: ngap.responder: rejectRate + noResponseRate + dropFirstCopyRate must be at most 1, got 1.2');
  });

  test('the collector joins procedures with the receiver views; counts and exact round trips per series', () => {
    const c = new NgapCollector();
    const proc = (p: Partial<NgapProcedureRecord>): NgapProcedureRecord => ({
      interface: 'N2',
      procedure: 'NGSetup',
      class: 1,
      initiator: 'gnb-1',
      initiator_type: 'gNB',
      responder: 'amf-1',
      responder_type: 'AMF',
      ue: null,
      tsn: 1,
      sentAtNs: '100',
      outcome: 'successful',
      respondedAtNs: '200',
      latencyNs: 100,
      ...p,
    });
    const data = (d: Partial<SctpDataRecord>): SctpDataRecord => ({
      interface: 'N2',
      from: 'gnb-1',
      from_type: 'gNB',
      to: 'amf-1',
      to_type: 'AMF',
      procedure: 'NGSetup',
      pdu: 'initiating',
      tsn: 1,
      stream: 0,
      sentAtNs: '100',
      ack: 'exact',
      sackAtNs: '300',
      rttNs: 2e6,
      ...d,
    });
    expect(c.accept('ngap-proc', proc({ tsn: 2, sentAtNs: '300', outcome: 'unsuccessful' }))).toBe(true);
    c.accept('ngap-proc', proc({}));
    c.accept('ngap-view', { procedure: 'NGSetup', initiator: 'gnb-1', responder: 'amf-1', tsn: 2, ue: null, decision: 'reject', delayMs: 1, reply: 'unsuccessful' });
    c.accept('ngap-view', { procedure: 'NGSetup', initiator: 'gnb-1', responder: 'amf-1', tsn: 9, ue: null, decision: 'answer', delayMs: 1, reply: 'successful' });
    c.accept('sctp-data', data({}));
    c.accept('sctp-data', data({ tsn: 2, ack: 'cumulative', rttNs: null }));
    c.accept('sctp-data', data({ tsn: 3, rttNs: 4e6 }));
    expect(c.accept('tx', {})).toBe(false);
    const r = c.result();
    expect(r.procedures.map((p) => [p.tsn, p.receiver?.decision ?? null])).toEqual([
      [1, null],
      [2, 'reject'],
    ]);
    expect(r.unmatched.map((v) => v.tsn)).toEqual([9]);
    expect([...ngapCounts(r.procedures)]).toEqual([['gnb-1→amf-1|NGSetup', { sent: 2, successful: 1, unsuccessful: 1, timeouts: 0 }]]);
    expect([...sackRoundTrips(r.data)]).toEqual([['gnb-1→amf-1|NGSetup', [2, 4]]]);
    // The printed summary files DATA under the procedure's initiator, whichever way the chunk went.
    c.accept('sctp-data', data({ from: 'amf-1', to: 'gnb-1', pdu: 'successful', tsn: 50, rttNs: 6e6 }));
    expect(summarizeNgap(c.result())).toEqual([
      {
        initiator: 'gnb-1',
        responder: 'amf-1',
        procedure: 'NGSetup',
        sent: 2,
        successful: 1,
        unsuccessful: 1,
        timeouts: 0,
        p50_ms: 0.0001,
        p99_ms: 0.0001,
        data: 4,
        sackedExactly: 3,
        sack_p50_ms: 4,
        sack_max_ms: 6,
      },
    ]);
  });
});
