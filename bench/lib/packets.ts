/**
 * Hand-built 5G payloads for the benchmarks and test/datapath.test.ts
 * (independent of the simulator's codecs, so they check them too): PFCP (TS 29.244 §7.2), GTP-U (TS 29.281
 * §5), SCTP with NGAP DATA and SACK chunks (RFC 9260, TS 38.413).
 */
import { sctp as simSctp } from '@nfscope/sim';

/** CRC32c (RFC 9260 Appendix A): the testbed's SCTP codec. */
export const crc32c = simSctp.crc32c;

/** PFCP message: S=1 when opts.seid is given; ies already encoded. */
export function pfcp(type: number, seq: number, ies: Buffer[] = [], opts: { seid?: bigint; fo?: boolean } = {}): Buffer {
  const s = opts.seid !== undefined;
  const body = Buffer.concat(ies);
  const h = Buffer.alloc(s ? 16 : 8);
  h[0] = 0x20 | (opts.fo ? 0x04 : 0) | (s ? 0x01 : 0);
  h[1] = type;
  h.writeUInt16BE(h.length - 4 + body.length, 2);
  let o = 4;
  if (s) {
    h.writeBigUInt64BE(opts.seid!, 4);
    o = 12;
  }
  h.writeUIntBE(seq & 0xffffff, o, 3);
  return Buffer.concat([h, body]);
}

/** Offset of the 24-bit sequence number in a PFCP message (after the SEID when S=1). */
export const pfcpSeqOffset = (msg: Buffer): number => (msg[0] & 0x01 ? 12 : 4);

export function ie(type: number, value: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(type, 0);
  h.writeUInt16BE(value.length, 2);
  return Buffer.concat([h, value]);
}
export const NODE_ID = (a: string): Buffer => ie(60, Buffer.from([0, ...a.split('.').map(Number)]));
export const CAUSE = (c: number): Buffer => ie(19, Buffer.from([c]));
export const RECOVERY = ie(96, Buffer.from([0xe9, 0, 0, 0]));
/** F-SEID (§8.2.37): V4 flag, SEID, IPv4 address */
export const F_SEID = (seid: bigint, a: string): Buffer => {
  const v = Buffer.alloc(13);
  v[0] = 0x02;
  v.writeBigUInt64BE(seid, 1);
  Buffer.from(a.split('.').map(Number)).copy(v, 9);
  return ie(57, v);
};
/** A grouped IE of the given type holding a few opaque octets: the size of a small Create PDR/FAR. */
export const GROUPED = (type: number, n: number): Buffer => ie(type, Buffer.alloc(n, 0x11));

/** GTP-U Echo Request/Response: S=1, sequence number, Recovery IE on responses. */
export function gtpEcho(type: number, seq: number): Buffer {
  const rest = type === 2 ? Buffer.from([14, 0]) : Buffer.alloc(0);
  const b = Buffer.alloc(12);
  b[0] = 0x32;
  b[1] = type;
  b.writeUInt16BE(4 + rest.length, 2);
  b.writeUInt16BE(seq & 0xffff, 8);
  return Buffer.concat([b, rest]);
}

/** GTP-U G-PDU (type 255) without optional fields, carrying `inner` (a user-plane IP packet). */
export function gtpGpdu(teid: number, inner: Buffer): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 0x30;
  b[1] = 0xff;
  b.writeUInt16BE(inner.length, 2);
  b.writeUInt32BE(teid, 4);
  return Buffer.concat([b, inner]);
}

/** A minimal inner IPv4/UDP packet of `size` octets for a G-PDU (checksums left zero). */
export function innerIpv4Udp(size: number): Buffer {
  const p = Buffer.alloc(Math.max(size, 28));
  p[0] = 0x45;
  p.writeUInt16BE(p.length, 2);
  p[8] = 64;
  p[9] = 17;
  Buffer.from([10, 45, 0, 2]).copy(p, 12);
  Buffer.from([192, 0, 2, 10]).copy(p, 16);
  p.writeUInt16BE(40000, 20);
  p.writeUInt16BE(443, 22);
  p.writeUInt16BE(p.length - 20, 24);
  return p;
}

/** SCTP common header and chunks, checksum filled in. */
export function sctp(sport: number, dport: number, chunks: Buffer[], vtag = 0x1234abcd): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(vtag, 4);
  const p = Buffer.concat([h, ...chunks]);
  p.writeUInt32LE(crc32c(p), 8);
  return p;
}

export function sctpData(tsn: number, ngap: Buffer): Buffer {
  const len = 16 + ngap.length;
  const c = Buffer.alloc(Math.ceil(len / 4) * 4);
  c[0] = 0;
  c[1] = 0x03; // B and E: one complete message
  c.writeUInt16BE(len, 2);
  c.writeUInt32BE(tsn >>> 0, 4);
  c.writeUInt32BE(60, 12); // PPID NGAP
  ngap.copy(c, 16);
  return c;
}

export function sctpSack(cumTsn: number): Buffer {
  const c = Buffer.alloc(16);
  c[0] = 3;
  c.writeUInt16BE(16, 2);
  c.writeUInt32BE(cumTsn >>> 0, 4);
  c.writeUInt32BE(65536, 8);
  return c;
}

/** NGAP-PDU: CHOICE octet, procedure code, criticality, then an open type of `body` octets. */
export const ngap = (pdu: number, code: number, body = 0): Buffer => Buffer.concat([Buffer.from([pdu, code, 0x00, body]), Buffer.alloc(body, 0x22)]);
