/**
 * Byte layouts, enums and constants shared with the eBPF programs. They are
 * generated from the compiled objects' BTF into layout.gen.ts (`npm run gen`,
 * scripts/gen-layouts.js); layout.test.ts fails when that file differs from
 * what the objects say. The C side is bpf/nfscope.h.
 */
import { isIP } from 'net';
import { ipBytes } from '../address';

export * from './layout.gen';
export { type FieldSpec, type FieldType, structLayout, type StructLayout } from './struct';

/** IP protocol numbers (IANA), as the kernel's iphdr.protocol / ipv6hdr.nexthdr carry them. */
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;

/**
 * The 16 bytes of an addr_key: IPv6 as is, IPv4 as an IPv4-mapped IPv6
 * address (::ffff:a.b.c.d), both in network byte order. A zone ID is ignored.
 */
export function addressBytes(addr: string): Buffer {
  const bytes = isIP(addr) === 0 ? undefined : ipBytes(addr.split('%')[0]);
  if (bytes === undefined) throw new TypeError(`not an IP address: ${JSON.stringify(addr)}`);
  return bytes;
}
