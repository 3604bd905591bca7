import { ethernetIpv4Udp } from './pcap';
import * as P from './pfcp';
import { testWithTshark, tsharkFields } from './test-helpers/tshark';

const SMF = '198.18.0.3';
const UPF = '198.18.0.4';
const RECOVERY = 1_700_000_000;

describe('PFCP header (TS 29.244 §7.2.2)', () => {
  test('node message: S=0, 8-octet header, 24-bit sequence number', () => {
    const b = P.encodeMessage(P.heartbeatRequest(0x123456, RECOVERY));
    expect(b[0]).toBe(0x20); // version 1, no flags
    expect(b[1]).toBe(1);
    expect(b.readUInt16BE(2)).toBe(b.length - 4);
    expect(b.readUIntBE(4, 3)).toBe(0x123456);
    expect(b[7]).toBe(0);
    expect(b.length).toBe(8 + 4 + 4); // header + Recovery Time Stamp IE
    const m = P.decodeMessage(b);
    expect(m).toMatchObject({ type: 1, seq: 0x123456 });
    expect(m.seid).toBeUndefined();
  });

  test('session message: S=1, SEID, 16-octet header', () => {
    const b = P.encodeMessage(P.sessionDeletionRequest({ seq: 7, upSeid: 0x0102030405060708n }));
    expect(b[0]).toBe(0x21);
    expect(b.readBigUInt64BE(4)).toBe(0x0102030405060708n);
    expect(b.readUIntBE(12, 3)).toBe(7);
    expect(b.length).toBe(16);
    expect(b.readUInt16BE(2)).toBe(12);
    expect(P.decodeMessage(b)).toEqual({ type: 54, seid: 0x0102030405060708n, seq: 7, ies: [] });
  });

  test('Session Establishment Request has SEID 0 in the header', () => {
    const b = P.encodeMessage(P.sessionEstablishmentRequest({ seq: 1, nodeId: SMF, cpSeid: 42n, cpAddress: SMF }));
    expect(b.readBigUInt64BE(4)).toBe(0n);
    const m = P.decodeMessage(b);
    expect(P.decodeFSeid(P.findIe(m.ies, P.IeType.FSeid)!.value)).toEqual({ seid: 42n, ipv4: SMF });
    expect(P.decodeNodeId(m.ies[0].value)).toBe(SMF);
    expect(m.ies.map((ie) => ie.type)).toEqual([P.IeType.NodeId, P.IeType.FSeid, P.IeType.CreatePdr, P.IeType.CreateFar]);
    // Create PDR is grouped: PDR ID, Precedence, PDI (Source Interface), FAR ID.
    const pdr = P.decodeIes(m.ies[2].value);
    expect(pdr.map((ie) => ie.type)).toEqual([P.IeType.PdrId, P.IeType.Precedence, P.IeType.Pdi, P.IeType.FarId]);
    expect(P.decodeIes(pdr[2].value)).toEqual([{ type: P.IeType.SourceInterface, value: Buffer.from([0]) }]);
  });

  test('message priority (MP) travels in the high nibble of octet 16', () => {
    const msg: P.PfcpMessage = { ...P.sessionDeletionRequest({ seq: 1, upSeid: 5n }), priority: 9 };
    const b = P.encodeMessage(msg);
    expect(b[0] & 0x02).toBe(0x02);
    expect(b[15]).toBe(0x90);
    expect(P.decodeMessage(b).priority).toBe(9);
  });

  test('FO chains several messages in one datagram', () => {
    const b = P.encodeMessages([P.sessionDeletionRequest({ seq: 5, upSeid: 9n }), P.heartbeatRequest(6, RECOVERY), P.heartbeatResponse(6, RECOVERY)]);
    const msgs = P.decodeMessages(b);
    expect(msgs.map((m) => [m.type, m.seq])).toEqual([
      [54, 5],
      [1, 6],
      [2, 6],
    ]);
    expect(b[0] & 0x04).toBe(0x04);
    expect(b[16] & 0x04).toBe(0x04);
    expect(b[16 + 16] & 0x04).toBe(0);
  });

  test('rejects what it cannot encode', () => {
    expect(() => P.encodeMessage({ type: 50, seq: 1, ies: [] })).toThrow(/session messages need a SEID/);
    expect(() => P.encodeMessage({ type: 1, seid: 1n, seq: 1, ies: [] })).toThrow(/node messages have no SEID/);
    expect(() => P.encodeMessage({ type: 1, seq: 0x1000000, ies: [] })).toThrow(/24-bit/);
    expect(() => P.causeIe(256)).toThrow(RangeError);
  });

  test.each([
    ['too short for a header', Buffer.from([0x20, 1, 0])],
    ['version 2', Buffer.from([0x40, 1, 0, 4, 0, 0, 1, 0])],
    ['length beyond the datagram', Buffer.from([0x20, 1, 0, 40, 0, 0, 1, 0])],
    ['S=1 but shorter than 16 octets', Buffer.from([0x21, 54, 0, 4, 0, 0, 1, 0])],
    ['IE overrunning the message', Buffer.from([0x20, 1, 0, 8, 0, 0, 1, 0, 0, 96, 0, 9])],
    ['octets after a message without FO', Buffer.concat([P.encodeMessage(P.heartbeatRequest(1, RECOVERY)), Buffer.from([0])])],
    [
      'FO set but nothing follows',
      (() => {
        const b = P.encodeMessage(P.heartbeatRequest(1, RECOVERY));
        b[0] |= 0x04;
        return b;
      })(),
    ],
  ])('decoding fails cleanly: %s', (_what, buf) => {
    expect(() => P.decodeMessages(buf)).toThrow(P.PfcpDecodeError);
  });
});

describe('PFCP IEs (TS 29.244 §8)', () => {
  test('Node ID: IPv4, IPv6 and FQDN', () => {
    expect(P.nodeIdIe(SMF).value).toEqual(Buffer.from([0, 198, 18, 0, 3]));
    expect(P.decodeNodeId(P.nodeIdIe('2001:2::3').value)).toBe('2001:2::3');
    expect(P.nodeIdIe('2001:2::3').value.length).toBe(17);
    const fqdn = P.nodeIdIe('smf.5gc.example');
    expect(fqdn.value).toEqual(Buffer.from('\x02\x03smf\x035gc\x07example', 'latin1'));
    expect(P.decodeNodeId(fqdn.value)).toBe('smf.5gc.example');
  });

  test('Recovery Time Stamp is NTP seconds (1900 epoch)', () => {
    const ie = P.recoveryTimeStampIe(0);
    expect(ie.value.readUInt32BE(0)).toBe(2208988800);
    expect(P.decodeRecoveryTimeStamp(P.recoveryTimeStampIe(RECOVERY).value)).toBe(RECOVERY);
  });

  test('F-SEID with IPv4 or IPv6', () => {
    expect(P.fSeidIe(1n, UPF).value).toEqual(Buffer.from([0x02, 0, 0, 0, 0, 0, 0, 0, 1, 198, 18, 0, 4]));
    expect(P.decodeFSeid(P.fSeidIe(0xffffffffffffffffn, '2001:2::4').value)).toEqual({ seid: 0xffffffffffffffffn, ipv6: '2001:2::4' });
  });

  test('Establishment Response: Node ID first, then Cause, then UP F-SEID; Cause found wherever it is', () => {
    const ok = P.sessionEstablishmentResponse({ seq: 3, cpSeid: 42n, nodeId: UPF, cause: P.Cause.RequestAccepted, upSeid: 77n, upAddress: UPF });
    expect(ok.ies.map((ie) => ie.type)).toEqual([P.IeType.NodeId, P.IeType.Cause, P.IeType.FSeid]);
    expect(ok.seid).toBe(42n);
    const decoded = P.decodeMessage(P.encodeMessage(ok));
    expect(P.causeOf(decoded)).toBe(1);
    const rejected = P.sessionEstablishmentResponse({ seq: 3, cpSeid: 42n, nodeId: UPF, cause: 73, upSeid: 77n, upAddress: UPF });
    expect(rejected.ies.map((ie) => ie.type)).toEqual([P.IeType.NodeId, P.IeType.Cause]); // no UP F-SEID when rejected
    expect(P.causeOf(P.decodeMessage(P.encodeMessage(rejected)))).toBe(73);
  });

  test('Heartbeat Response has no Cause; the others do', () => {
    expect(P.causeOf(P.heartbeatResponse(1, RECOVERY))).toBeUndefined();
    expect(P.hasCause('Heartbeat')).toBe(false);
    expect(P.causeOf(P.associationSetupResponse(1, UPF, 64, RECOVERY))).toBe(64);
    expect(P.causeOf(P.sessionResponse('SessionReport', { seq: 1, peerSeid: 2n, cause: 1 }))).toBe(1);
  });

  test('cause classes: 1..63 accepted, 64.. rejected', () => {
    expect([1, 2, 3, 63].every(P.isAcceptedCause)).toBe(true);
    expect([0, 64, 65, 73, 77, 255].some(P.isAcceptedCause)).toBe(false);
  });

  test('message types: requests and their responses (request + 1)', () => {
    expect(P.classify(50)).toEqual({ procedure: 'SessionEstablishment', request: true });
    expect(P.classify(57)).toEqual({ procedure: 'SessionReport', request: false });
    expect(P.classify(2)).toEqual({ procedure: 'Heartbeat', request: false });
    expect(P.classify(99)).toBeUndefined();
    expect(P.sessionReportRequest({ seq: 1, cpSeid: 3n }).ies[0]).toEqual({ type: P.IeType.ReportType, value: Buffer.from([P.ReportType.DLDR]) });
  });
});

describe('tshark agrees', () => {
  testWithTshark('dissects every message without warnings, pairs responses and computes pfcp.response_time', () => {
    const t0 = 1_700_000_000_000_000_000n;
    const frames: Array<[string, string, Buffer]> = [
      [SMF, UPF, P.encodeMessage(P.heartbeatRequest(1, RECOVERY))],
      [UPF, SMF, P.encodeMessage(P.heartbeatResponse(1, RECOVERY))],
      [SMF, UPF, P.encodeMessage(P.associationSetupRequest(2, SMF, RECOVERY))],
      [UPF, SMF, P.encodeMessage(P.associationSetupResponse(2, UPF, 1, RECOVERY))],
      [SMF, UPF, P.encodeMessage(P.sessionEstablishmentRequest({ seq: 3, nodeId: SMF, cpSeid: 7n, cpAddress: SMF }))],
      [UPF, SMF, P.encodeMessage(P.sessionEstablishmentResponse({ seq: 3, cpSeid: 7n, nodeId: UPF, cause: 1, upSeid: 9n, upAddress: UPF }))],
      [SMF, UPF, P.encodeMessage(P.sessionModificationRequest({ seq: 4, upSeid: 9n }))],
      [UPF, SMF, P.encodeMessage(P.sessionResponse('SessionModification', { seq: 4, peerSeid: 7n, cause: 73 }))],
      [UPF, SMF, P.encodeMessage(P.sessionReportRequest({ seq: 0xabcdef, cpSeid: 7n }))],
      [SMF, UPF, P.encodeMessage(P.sessionResponse('SessionReport', { seq: 0xabcdef, peerSeid: 9n, cause: 1 }))],
      [SMF, UPF, P.encodeMessage(P.sessionDeletionRequest({ seq: 5, upSeid: 9n }))],
      [UPF, SMF, P.encodeMessage(P.sessionResponse('SessionDeletion', { seq: 5, peerSeid: 7n, cause: 1 }))],
      [SMF, UPF, P.encodeMessages([P.heartbeatRequest(6, RECOVERY), P.heartbeatRequest(7, RECOVERY)])],
      [UPF, SMF, P.encodeMessage(P.heartbeatResponse(6, RECOVERY))],
    ];
    // Responses 1.5 ms after their request.
    const records = frames.map(([src, dst, payload], i) => ({
      timeNs: t0 + BigInt(i) * 1_500_000n,
      frame: ethernetIpv4Udp({ src, dst, srcPort: P.PFCP_PORT, dstPort: P.PFCP_PORT, payload }),
    }));
    const rows = tsharkFields(records, ['pfcp.msg_type', 'pfcp.seqno', 'pfcp.cause', 'pfcp.response_time', '_ws.expert', '_ws.malformed']);
    expect(rows).toEqual([
      ['1', '1', '', '', '', ''],
      ['2', '1', '', '0.001500000', '', ''],
      ['5', '2', '', '', '', ''],
      ['6', '2', '1', '0.001500000', '', ''],
      ['50', '3', '', '', '', ''],
      ['51', '3', '1', '0.001500000', '', ''],
      ['52', '4', '', '', '', ''],
      ['53', '4', '73', '0.001500000', '', ''],
      ['56', `${0xabcdef}`, '', '', '', ''],
      ['57', `${0xabcdef}`, '1', '0.001500000', '', ''],
      ['54', '5', '', '', '', ''],
      ['55', '5', '1', '0.001500000', '', ''],
      ['1,1', '6,7', '', '', '', ''],
      ['2', '6', '', '0.001500000', '', ''],
    ]);
  });

  testWithTshark('flags a malformed message (the empty expert columns above mean something)', () => {
    const broken = P.encodeMessage(P.associationSetupResponse(2, UPF, 1, RECOVERY));
    broken.writeUInt16BE(40, 4 + 4 + 2); // the Node ID IE claims more octets than there are
    const rows = tsharkFields([{ timeNs: 1n, frame: ethernetIpv4Udp({ src: UPF, dst: SMF, srcPort: P.PFCP_PORT, dstPort: P.PFCP_PORT, payload: broken }) }], ['_ws.expert']);
    expect(rows[0][0]).not.toBe('');
  });
});
