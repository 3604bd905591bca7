/**
 * IPv4 and UDP header building, for the inner packets of G-PDUs (the T-PDU a
 * UE would send) and for the frames of test pcap files. Pure functions.
 */
import { isIPv4, isIPv6 } from 'net';

export const IPPROTO_UDP = 17;
const IPV4_HEADER_LEN = 20;
export const UDP_HEADER_LEN = 8;

/** Internet checksum (RFC 1071): one's complement of the one's complement sum of 16-bit words. */
export function internetChecksum(...parts: Buffer[]): number {
  let sum = 0;
  let odd: number | undefined; // a byte left over from the previous part
  for (const p of parts) {
    let i = 0;
    if (odd !== undefined && p.length > 0) {
      sum += (odd << 8) | p[0];
      odd = undefined;
      i = 1;
    }
    for (; i + 1 < p.length; i += 2) sum += (p[i] << 8) | p[i + 1];
    if (i < p.length) odd = p[i];
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

export function ipv4Bytes(addr: string): Buffer {
  if (!isIPv4(addr)) throw new Error(`${JSON.stringify(addr)} is not an IPv4 address`);
  return Buffer.from(addr.split('.').map(Number));
}

/** An IPv4 header (RFC 791) without options, with its checksum. */
export function ipv4Header(src: string, dst: string, protocol: number, payloadLen: number, id = 0, ttl = 64): Buffer {
  const h = Buffer.alloc(IPV4_HEADER_LEN);
  h[0] = 0x45; // version 4, IHL 5 words
  h.writeUInt16BE(IPV4_HEADER_LEN + payloadLen, 2);
  h.writeUInt16BE(id & 0xffff, 4);
  h.writeUInt16BE(0x4000, 6); // DF, fragment offset 0
  h[8] = ttl;
  h[9] = protocol;
  ipv4Bytes(src).copy(h, 12);
  ipv4Bytes(dst).copy(h, 16);
  h.writeUInt16BE(internetChecksum(h), 10);
  return h;
}

/** A UDP datagram (RFC 768) with its checksum over the IPv4 pseudo header. */
export function udpDatagram(src: string, dst: string, srcPort: number, dstPort: number, payload: Buffer): Buffer {
  const u = Buffer.alloc(UDP_HEADER_LEN);
  const len = UDP_HEADER_LEN + payload.length;
  u.writeUInt16BE(srcPort, 0);
  u.writeUInt16BE(dstPort, 2);
  u.writeUInt16BE(len, 4);
  const pseudo = Buffer.alloc(12);
  ipv4Bytes(src).copy(pseudo, 0);
  ipv4Bytes(dst).copy(pseudo, 4);
  pseudo[9] = IPPROTO_UDP;
  pseudo.writeUInt16BE(len, 10);
  const sum = internetChecksum(pseudo, u, payload);
  u.writeUInt16BE(sum === 0 ? 0xffff : sum, 6); // 0 means "no checksum" in IPv4 UDP
  return Buffer.concat([u, payload]);
}

/** A whole IPv4/UDP packet. */
export function ipv4UdpPacket(src: string, dst: string, srcPort: number, dstPort: number, payload: Buffer, id = 0): Buffer {
  const udp = udpDatagram(src, dst, srcPort, dstPort, payload);
  return Buffer.concat([ipv4Header(src, dst, IPPROTO_UDP, udp.length, id), udp]);
}

/** The smallest IPv4/UDP packet: headers only. */
export const MIN_IPV4_UDP_PACKET = IPV4_HEADER_LEN + UDP_HEADER_LEN;

/** The 16 octets of an IPv6 address (RFC 4291 §2.2 text forms, including an embedded IPv4 tail). */
export function ipv6Bytes(addr: string): Buffer {
  if (!isIPv6(addr)) throw new Error(`${JSON.stringify(addr)} is not an IPv6 address`);
  const words = (s: string): number[] =>
    s === ''
      ? []
      : s.split(':').flatMap((w) => {
          if (!w.includes('.')) return [parseInt(w, 16)];
          const b = w.split('.').map(Number);
          return [(b[0] << 8) | b[1], (b[2] << 8) | b[3]];
        });
  const gap = addr.indexOf('::');
  let all: number[];
  if (gap < 0) {
    all = words(addr);
  } else {
    const head = words(addr.slice(0, gap));
    const tail = words(addr.slice(gap + 2));
    all = [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const out = Buffer.alloc(16);
  all.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

/** Canonical text form of 16 IPv6 octets (RFC 5952: lower case, longest zero run compressed). */
export function ipv6String(b: Buffer): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(i));
  let best = -1;
  let bestLen = 1; // a single zero word is not compressed
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
