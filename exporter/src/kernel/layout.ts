/**
 * Byte layouts, enums and constants shared with the eBPF programs. They are
 * generated from the compiled objects' BTF into layout.gen.ts (`npm run gen`,
 * scripts/gen-layouts.js); layout.test.ts fails when that file differs from
 * what the objects say. The C side is bpf/nfscope.h.
 */
import { isIPv4, isIPv6 } from 'net';

export * from './layout.gen';
export { type FieldSpec, type FieldType, structLayout, type StructLayout } from './struct';

/** IP protocol numbers (IANA), as the kernel's iphdr.protocol / ipv6hdr.nexthdr carry them. */
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;

/**
 * The 16 bytes of an addr_key: IPv6 as is, IPv4 as an IPv4-mapped IPv6
 * address (::ffff:a.b.c.d), both in network byte order.
 */
export function addressBytes(addr: string): Buffer {
  const out = Buffer.alloc(16);
  if (isIPv4(addr)) {
    out[10] = 0xff;
    out[11] = 0xff;
    addr.split('.').forEach((o, i) => (out[12 + i] = Number(o)));
    return out;
  }
  if (!isIPv6(addr)) throw new TypeError(`not an IP address: ${JSON.stringify(addr)}`);
  let text = addr.split('%')[0];
  // A trailing dotted quad (::ffff:1.2.3.4) stands for the last two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const b = addressBytes(quad[1]).subarray(12);
    text = text.slice(0, -quad[1].length) + `${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const hs = head ? head.split(':') : [];
  const ts = tail ? tail.split(':') : [];
  const groups = tail === undefined ? hs : [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
