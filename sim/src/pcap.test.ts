import { ethernetIpv4Udp, pcapFile } from './pcap';

test('pcap file: nanosecond magic, Ethernet link type, one record header per frame', () => {
  const frame = ethernetIpv4Udp({ src: '198.18.0.1', dst: '198.18.0.2', srcPort: 1, dstPort: 2, payload: Buffer.from('x') });
  expect(frame.length).toBe(14 + 20 + 8 + 1);
  expect(frame.readUInt16BE(12)).toBe(0x0800);
  const f = pcapFile([{ timeNs: 1_700_000_000_123_456_789n, frame }]);
  expect(f.readUInt32LE(0)).toBe(0xa1b23c4d);
  expect(f.readUInt32LE(20)).toBe(1);
  expect(f.readUInt32LE(24)).toBe(1_700_000_000);
  expect(f.readUInt32LE(28)).toBe(123_456_789);
  expect(f.readUInt32LE(32)).toBe(frame.length);
  expect(f.subarray(40).equals(frame)).toBe(true);
});
