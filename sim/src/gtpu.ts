/**
 * GTP-U codec (3GPP TS 29.281): header (§5.1), extension headers (§5.2), Echo
 * Request/Response (§7.2) and G-PDUs. Pure functions over Buffers.
 */
import { ipv4UdpPacket, MIN_IPV4_UDP_PACKET } from './inet';

/** GTP-U runs over UDP port 2152 (§4.4.2). */
export const GTPU_PORT = 2152;

/** Message types (§6.1, Table 6.1-1). */
export const GtpuType = {
  EchoRequest: 1,
  EchoResponse: 2,
  ErrorIndication: 26,
  EndMarker: 254,
  GPdu: 255,
} as const;

/** Header flags, octet 1 (§5.1): version in the top 3 bits, then PT, spare, E, S, PN. */
const VERSION_1 = 1 << 5;
const FLAG_PT = 0x10; // protocol type: 1 = GTP (not GTP')
const FLAG_E = 0x04;
const FLAG_S = 0x02;
const FLAG_PN = 0x01;
const MANDATORY_HEADER_LEN = 8;
const MAX_EXTENSION_HEADERS = 16;

/** Recovery IE (§8.2): type 14, TV format, one octet restart counter. */
export const IE_RECOVERY = 14;
/** PDU Session Container extension header type (§5.2.1, TS 38.415). */
export const EXT_PDU_SESSION_CONTAINER = 0x85;

export interface ExtensionHeader {
  type: number;
  /** Content without the length octet and the next-type octet. */
  content: Buffer;
}

export interface GtpuMessage {
  type: number;
  teid: number;
  /** 16-bit sequence number; present when S=1. */
  seq?: number;
  /** N-PDU number; present when PN=1. */
  npdu?: number;
  extensions?: ExtensionHeader[];
  /** Everything after the header: IEs of signalling messages, the T-PDU of a G-PDU. */
  payload: Buffer;
}

export class GtpuDecodeError extends Error {
  constructor(message: string) {
    super(`GTP-U: ${message}`);
    this.name = 'GtpuDecodeError';
  }
}

export function encodeGtpu(m: GtpuMessage): Buffer {
  if (!Number.isInteger(m.teid) || m.teid < 0 || m.teid > 0xffffffff) throw new RangeError(`TEID ${m.teid} is not 32-bit`);
  if (m.seq !== undefined && (!Number.isInteger(m.seq) || m.seq < 0 || m.seq > 0xffff)) throw new RangeError(`sequence number ${m.seq} is not 16-bit`);
  const exts = m.extensions ?? [];
  let flags = VERSION_1 | FLAG_PT;
  if (exts.length > 0) flags |= FLAG_E;
  if (m.seq !== undefined) flags |= FLAG_S;
  if (m.npdu !== undefined) flags |= FLAG_PN;
  // §5.1: when any of E, S, PN is set, the sequence number, N-PDU number and
  // next extension header type octets are all present (unused ones are 0).
  const optional = flags & (FLAG_E | FLAG_S | FLAG_PN) ? 4 : 0;
  const extBufs = exts.map((e, i) => {
    // §5.2.1: length in 4-octet units covers the length octet, content and next-type octet.
    const total = e.content.length + 2;
    if (total % 4 !== 0) throw new RangeError(`extension header 0x${e.type.toString(16)}: content of ${e.content.length} octets does not fill 4-octet units`);
    const b = Buffer.alloc(total);
    b[0] = total / 4;
    e.content.copy(b, 1);
    b[total - 1] = i + 1 < exts.length ? exts[i + 1].type : 0;
    return b;
  });
  const h = Buffer.alloc(MANDATORY_HEADER_LEN + optional);
  h[0] = flags;
  h[1] = m.type;
  const extLen = extBufs.reduce((n, b) => n + b.length, 0);
  // Length: octets after the mandatory 8-octet header (optional fields and extensions included).
  h.writeUInt16BE(optional + extLen + m.payload.length, 2);
  h.writeUInt32BE(m.teid >>> 0, 4);
  if (optional) {
    h.writeUInt16BE(m.seq ?? 0, 8);
    h[10] = m.npdu ?? 0;
    h[11] = exts.length > 0 ? exts[0].type : 0;
  }
  return Buffer.concat([h, ...extBufs, m.payload]);
}

export function decodeGtpu(buf: Buffer): GtpuMessage {
  if (buf.length < MANDATORY_HEADER_LEN) throw new GtpuDecodeError(`${buf.length} octets, shorter than the header`);
  const flags = buf[0];
  if (flags >> 5 !== 1) throw new GtpuDecodeError(`version ${flags >> 5}, expected 1`);
  if (!(flags & FLAG_PT)) throw new GtpuDecodeError("PT=0 (GTP')");
  const end = MANDATORY_HEADER_LEN + buf.readUInt16BE(2);
  if (end > buf.length) throw new GtpuDecodeError(`length says ${end} octets, datagram has ${buf.length}`);
  const m: GtpuMessage = { type: buf[1], teid: buf.readUInt32BE(4), payload: Buffer.alloc(0) };
  let off = MANDATORY_HEADER_LEN;
  if (flags & (FLAG_E | FLAG_S | FLAG_PN)) {
    if (end < off + 4) throw new GtpuDecodeError('optional header fields truncated');
    if (flags & FLAG_S) m.seq = buf.readUInt16BE(8);
    if (flags & FLAG_PN) m.npdu = buf[10];
    let next = flags & FLAG_E ? buf[11] : 0;
    off += 4;
    const exts: ExtensionHeader[] = [];
    while (next !== 0) {
      if (exts.length >= MAX_EXTENSION_HEADERS) throw new GtpuDecodeError(`more than ${MAX_EXTENSION_HEADERS} extension headers`);
      if (off >= end) throw new GtpuDecodeError('extension header truncated');
      const total = buf[off] * 4;
      if (total === 0 || off + total > end) throw new GtpuDecodeError(`extension header 0x${next.toString(16)} with bad length ${buf[off]}`);
      exts.push({ type: next, content: buf.subarray(off + 1, off + total - 1) });
      next = buf[off + total - 1];
      off += total;
    }
    if (exts.length > 0) m.extensions = exts;
  }
  m.payload = buf.subarray(off, end);
  return m;
}

/** Echo Request (§7.2.1): TEID 0, S=1 with a sequence number (§5.1), no mandatory IE. */
export function echoRequest(seq: number): Buffer {
  return encodeGtpu({ type: GtpuType.EchoRequest, teid: 0, seq, payload: Buffer.alloc(0) });
}

/** Echo Response (§7.2.2): copies the request's sequence number; Recovery IE (M) with restart counter 0 (§8.2). */
export function echoResponse(seq: number): Buffer {
  return encodeGtpu({ type: GtpuType.EchoResponse, teid: 0, seq, payload: Buffer.from([IE_RECOVERY, 0]) });
}

/**
 * A G-PDU: TEID of the receiving tunnel endpoint and a T-PDU (the user's IP
 * packet). With `qfi`, a PDU Session Container (TS 38.415 §5.5.2.2, UL PDU
 * Session Information: PDU type 1 in the high nibble, then the QFI) is added,
 * as on N3 and N9.
 */
export function gpdu(teid: number, tpdu: Buffer, opts: { qfi?: number; downlink?: boolean } = {}): Buffer {
  // DL PDU Session Information (§5.5.2.1) is PDU type 0, UL (§5.5.2.2) PDU type 1; both have the QFI in the second octet.
  const extensions = opts.qfi === undefined ? undefined : [{ type: EXT_PDU_SESSION_CONTAINER, content: Buffer.from([opts.downlink ? 0x00 : 0x10, opts.qfi & 0x3f]) }];
  return encodeGtpu({ type: GtpuType.GPdu, teid, extensions, payload: tpdu });
}

/** Size of the GTP-U header `gpdu()` writes (what the UDP payload adds to the T-PDU). */
export function gpduHeaderLength(opts: { qfi?: number } = {}): number {
  return MANDATORY_HEADER_LEN + (opts.qfi === undefined ? 0 : 8);
}

/** Rewrites the TEID of an encoded GTP-U message in place (a UPF forwarding to the next tunnel). */
export function setTeid(buf: Buffer, teid: number): void {
  buf.writeUInt32BE(teid >>> 0, 4);
}

/** The Recovery IE's restart counter in an Echo Response payload, if present. */
export function recoveryOf(payload: Buffer): number | undefined {
  let off = 0;
  while (off < payload.length) {
    const t = payload[off];
    if (t === IE_RECOVERY) return off + 1 < payload.length ? payload[off + 1] : undefined;
    if (t < 128) return undefined; // another TV IE whose length we do not know
    if (off + 3 > payload.length) return undefined;
    off += 3 + payload.readUInt16BE(off + 1); // TLV (§8.1): type, 2-octet length, value
  }
  return undefined;
}

/** Inner packet of the simulated UE: UDP between a UE address and a data-network host (never routed, only carried). */
const UE_ADDRESS = '198.19.0.2';
const DN_ADDRESS = '198.19.255.1';
const UE_PORT = 43000;
const DN_PORT = 43001;

/** An uplink T-PDU of exactly `size` octets (at least 28): IPv4/UDP headers and a filler payload. */
export function uplinkTpdu(size: number): Buffer {
  if (size < MIN_IPV4_UDP_PACKET) throw new RangeError(`a T-PDU of ${size} octets cannot hold IPv4 and UDP headers (${MIN_IPV4_UDP_PACKET})`);
  return ipv4UdpPacket(UE_ADDRESS, DN_ADDRESS, UE_PORT, DN_PORT, Buffer.alloc(size - MIN_IPV4_UDP_PACKET, 0x5a));
}

/** A downlink T-PDU of exactly `size` octets: the data-network host's answer to the UE. */
export function downlinkTpdu(size: number): Buffer {
  if (size < MIN_IPV4_UDP_PACKET) throw new RangeError(`a T-PDU of ${size} octets cannot hold IPv4 and UDP headers (${MIN_IPV4_UDP_PACKET})`);
  return ipv4UdpPacket(DN_ADDRESS, UE_ADDRESS, DN_PORT, UE_PORT, Buffer.alloc(size - MIN_IPV4_UDP_PACKET, 0xa5));
}
