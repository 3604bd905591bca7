import { internetChecksum, ipv4Header, ipv4UdpPacket, ipv6Bytes, ipv6String } from './inet';

describe('inet', () => {
  test('internet checksum: RFC 1071 §3 example, and odd lengths split across parts', () => {
    const words = Buffer.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(internetChecksum(words)).toBe(~0xddf2 & 0xffff);
    const data = Buffer.from([1, 2, 3, 4, 5, 6, 7]);
    expect(internetChecksum(data.subarray(0, 3), data.subarray(3))).toBe(internetChecksum(data));
  });

  test('a header with its checksum sums to zero', () => {
    const h = ipv4Header('198.18.0.1', '198.18.0.2', 17, 100, 0x1234);
    expect(internetChecksum(h)).toBe(0);
    expect(h.readUInt16BE(2)).toBe(120);
  });

  test('UDP checksum verifies over the pseudo header', () => {
    const p = ipv4UdpPacket('198.19.0.2', '198.19.255.1', 43000, 43001, Buffer.from('hello'));
    const udp = p.subarray(20);
    const pseudo = Buffer.from([198, 19, 0, 2, 198, 19, 255, 1, 0, 17, 0, udp.length]);
    expect(internetChecksum(pseudo, udp)).toBe(0);
  });

  test.each([
    ['2001:2::1', '2001:2::1'],
    ['2001:0002:0000:0000:0000:0000:0000:0001', '2001:2::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::1:0:0:1', 'fe80::1:0:0:1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:198.18.0.1', '::ffff:c612:1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ])('IPv6 %s → %s', (text, canonical) => {
    expect(ipv6String(ipv6Bytes(text))).toBe(canonical);
  });
});
