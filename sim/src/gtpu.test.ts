import * as G from './gtpu';
import { ipv4UdpPacket } from './inet';
import { ethernetIpv4Udp } from './pcap';
import { testWithTshark, tsharkFields } from './test-helpers/tshark';

const GNB = '198.18.0.1';
const UPF = '198.18.0.4';

describe('GTP-U (TS 29.281)', () => {
  test('Echo Request: version 1, PT, S flag, TEID 0, sequence number (§5.1, §7.2.1)', () => {
    const b = G.echoRequest(0xbeef);
    expect([...b]).toEqual([0x32, 1, 0, 4, 0, 0, 0, 0, 0xbe, 0xef, 0, 0]);
    expect(G.decodeGtpu(b)).toEqual({ type: 1, teid: 0, seq: 0xbeef, payload: Buffer.alloc(0) });
  });

  test('Echo Response copies the sequence number and carries Recovery (type 14) = 0 (§7.2.2, §8.2)', () => {
    const b = G.echoResponse(7);
    expect([...b]).toEqual([0x32, 2, 0, 6, 0, 0, 0, 0, 0, 7, 0, 0, 14, 0]);
    const m = G.decodeGtpu(b);
    expect(m.seq).toBe(7);
    expect(G.recoveryOf(m.payload)).toBe(0);
  });

  test('G-PDU: TEID and T-PDU, no optional fields', () => {
    const inner = G.uplinkTpdu(100);
    expect(inner.length).toBe(100);
    const b = G.gpdu(0x01020304, inner);
    expect(b.length).toBe(8 + 100);
    expect(b[0]).toBe(0x30);
    expect(b[1]).toBe(255);
    expect(b.readUInt16BE(2)).toBe(100);
    const m = G.decodeGtpu(b);
    expect(m.teid).toBe(0x01020304);
    expect(m.seq).toBeUndefined();
    expect(m.payload.equals(inner)).toBe(true);
    expect(G.gpduHeaderLength()).toBe(8);
    expect(() => G.uplinkTpdu(27)).toThrow(RangeError);
  });

  test('G-PDU with a PDU Session Container extension header (QFI)', () => {
    const inner = G.uplinkTpdu(40);
    const b = G.gpdu(9, inner, { qfi: 9 });
    expect(b.length).toBe(G.gpduHeaderLength({ qfi: 9 }) + 40);
    expect(b[0]).toBe(0x34); // E flag
    expect(b[11]).toBe(0x85); // next extension header type
    expect([...b.subarray(12, 16)]).toEqual([1, 0x10, 9, 0]); // length 1 (4 octets), UL PDU session info, QFI, no next
    const m = G.decodeGtpu(b);
    expect(m.extensions).toEqual([{ type: 0x85, content: Buffer.from([0x10, 9]) }]);
    expect(m.payload.equals(inner)).toBe(true);
  });

  test('setTeid rewrites the TEID in place', () => {
    const b = G.gpdu(1, G.uplinkTpdu(28));
    G.setTeid(b, 0xdeadbeef);
    expect(G.decodeGtpu(b).teid).toBe(0xdeadbeef);
  });

  test.each([
    ['shorter than the header', Buffer.from([0x32, 1, 0])],
    ['version 2', Buffer.from([0x52, 1, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0])],
    ["GTP' (PT=0)", Buffer.from([0x22, 1, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0])],
    ['length beyond the datagram', Buffer.from([0x32, 1, 0, 9, 0, 0, 0, 0, 0, 1, 0, 0])],
    ['extension header with length 0', Buffer.from([0x34, 255, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0x85, 0, 0, 0, 0])],
    ['extension header chain running off the end', Buffer.from([0x34, 255, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0x10, 9, 0x85])],
  ])('decoding fails cleanly: %s', (_what, buf) => {
    expect(() => G.decodeGtpu(buf)).toThrow(G.GtpuDecodeError);
  });

  test('encoding checks its fields', () => {
    expect(() => G.echoRequest(0x10000)).toThrow(/16-bit/);
    expect(() => G.encodeGtpu({ type: 255, teid: -1, payload: Buffer.alloc(0) })).toThrow(/32-bit/);
    expect(() => G.encodeGtpu({ type: 255, teid: 1, extensions: [{ type: 0x85, content: Buffer.alloc(3) }], payload: Buffer.alloc(0) })).toThrow(/4-octet/);
  });
});

describe('tshark agrees', () => {
  testWithTshark('dissects Echo and G-PDUs without warnings, pairs Echo and computes gtp.time', () => {
    const t0 = 1_700_000_000_000_000_000n;
    const frames: Array<[string, string, Buffer]> = [
      [GNB, UPF, G.echoRequest(77)],
      [UPF, GNB, G.echoResponse(77)],
      [GNB, UPF, G.gpdu(0x100, G.uplinkTpdu(200), { qfi: 9 })],
      [GNB, UPF, G.gpdu(0x100, ipv4UdpPacket('198.19.0.2', '198.19.255.1', 43000, 43001, Buffer.from('hello')))],
      [GNB, UPF, G.echoRequest(0xffff)],
      [UPF, GNB, G.echoResponse(0xffff)],
    ];
    const records = frames.map(([src, dst, payload], i) => ({
      timeNs: t0 + BigInt(i) * 2_000_000n,
      frame: ethernetIpv4Udp({ src, dst, srcPort: G.GTPU_PORT, dstPort: G.GTPU_PORT, payload }),
    }));
    const rows = tsharkFields(records, ['gtp.message', 'gtp.teid', 'gtp.seq_number', 'gtp.time', 'gtp.recovery', 'frame.protocols', '_ws.expert', '_ws.malformed']);
    expect(rows).toEqual([
      ['0x01', '0x00000000', '0x004d', '', '', 'eth:ethertype:ip:udp:gtp', '', ''],
      ['0x02', '0x00000000', '0x004d', '0.002000000', '0', 'eth:ethertype:ip:udp:gtp', '', ''],
      ['0xff', '0x00000100', '', '', '', 'eth:ethertype:ip:udp:gtp:ip:udp:data', '', ''],
      ['0xff', '0x00000100', '', '', '', 'eth:ethertype:ip:udp:gtp:ip:udp:data', '', ''],
      ['0x01', '0x00000000', '0xffff', '', '', 'eth:ethertype:ip:udp:gtp', '', ''],
      ['0x02', '0x00000000', '0xffff', '0.002000000', '0', 'eth:ethertype:ip:udp:gtp', '', ''],
    ]);
  });
});
