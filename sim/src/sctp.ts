/**
 * SCTP packets (RFC 9260) for N2, built byte by byte: the testbed's kernel
 * has no SCTP sockets, so the NGAP agents speak SCTP over raw IP sockets.
 * Only what one single-homed association needs: the common header with its
 * CRC32c, INIT / INIT ACK / COOKIE ECHO / COOKIE ACK for association setup,
 * DATA, SACK, SHUTDOWN / SHUTDOWN ACK / SHUTDOWN COMPLETE, ABORT.
 */

/** NGAP's registered port (TS 38.412 §7) and payload protocol identifier (PPID 60). */
export const NGAP_PORT = 38412;
export const PPID_NGAP = 60;
export const IPPROTO_SCTP = 132;

export const ChunkType = {
  Data: 0,
  Init: 1,
  InitAck: 2,
  Sack: 3,
  Abort: 6,
  Shutdown: 7,
  ShutdownAck: 8,
  CookieEcho: 10,
  CookieAck: 11,
  ShutdownComplete: 14,
} as const;

/** DATA chunk flags (RFC 9260 §3.3.1): B and E = one whole user message. */
const DATA_BEGIN_END = 0x03;
/** INIT / INIT ACK parameter: State Cookie (§3.3.3.1). */
const PARAM_STATE_COOKIE = 7;
/** ABORT / SHUTDOWN COMPLETE flag T: the verification tag is the sender's own (§3.3.7). */
export const FLAG_T = 0x01;

// ---------------------------------------------------------------- CRC32c

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC32c (Castagnoli), as RFC 9260 Appendix A computes it. */
export function crc32c(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC32C_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------- packets

export interface Chunk {
  type: number;
  flags: number;
  /** Chunk value: everything after the 4-octet chunk header, without padding. */
  value: Buffer;
}

export interface SctpPacket {
  srcPort: number;
  dstPort: number;
  vtag: number;
  chunks: Chunk[];
}

function chunkBytes(c: Chunk): Buffer {
  const len = 4 + c.value.length;
  const b = Buffer.alloc((len + 3) & ~3);
  b[0] = c.type;
  b[1] = c.flags;
  b.writeUInt16BE(len, 2); // the length does not count the padding (§3.2)
  c.value.copy(b, 4);
  return b;
}

/** A whole SCTP packet (what follows the IP header), checksum filled in (§6.8: CRC32c stored little-endian as computed). */
export function encodePacket(p: SctpPacket): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(p.srcPort, 0);
  h.writeUInt16BE(p.dstPort, 2);
  h.writeUInt32BE(p.vtag >>> 0, 4);
  const b = Buffer.concat([h, ...p.chunks.map(chunkBytes)]);
  b.writeUInt32LE(crc32c(b), 8);
  return b;
}

export class SctpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SctpError';
  }
}

/** Parses an SCTP packet; throws SctpError naming what is wrong (short, bad checksum, bad chunk length). */
export function decodePacket(b: Buffer): SctpPacket {
  if (b.length < 12) throw new SctpError(`SCTP packet of ${b.length} octets is shorter than the 12-octet common header`);
  const sum = b.readUInt32LE(8);
  const copy = Buffer.from(b);
  copy.writeUInt32LE(0, 8);
  const want = crc32c(copy);
  if (sum !== want) throw new SctpError(`SCTP checksum 0x${sum.toString(16)} is wrong (CRC32c is 0x${want.toString(16)})`);
  const chunks: Chunk[] = [];
  let off = 12;
  while (off < b.length) {
    if (off + 4 > b.length) throw new SctpError(`chunk header at offset ${off} is cut off`);
    const len = b.readUInt16BE(off + 2);
    if (len < 4 || off + len > b.length) throw new SctpError(`chunk at offset ${off} has length ${len}, ${b.length - off} octets left`);
    chunks.push({ type: b[off], flags: b[off + 1], value: b.subarray(off + 4, off + len) });
    off += (len + 3) & ~3;
  }
  return { srcPort: b.readUInt16BE(0), dstPort: b.readUInt16BE(2), vtag: b.readUInt32BE(4), chunks };
}

/** Strips the IPv4 header a raw IPv4 socket delivers (IPv6 raw sockets deliver the payload only). */
export function ipv4Payload(pkt: Buffer): { src: string; payload: Buffer } | undefined {
  if (pkt.length < 20 || pkt[0] >> 4 !== 4) return undefined;
  const ihl = (pkt[0] & 0x0f) * 4;
  const total = pkt.readUInt16BE(2);
  if (ihl < 20 || total < ihl || total > pkt.length) return undefined;
  return { src: `${pkt[12]}.${pkt[13]}.${pkt[14]}.${pkt[15]}`, payload: pkt.subarray(ihl, total) };
}

// ---------------------------------------------------------------- chunks

export interface InitParams {
  /** Initiate Tag: the tag the peer must put in every packet it sends us (non-zero). */
  tag: number;
  /** Advertised receiver window credit. */
  arwnd: number;
  outStreams: number;
  inStreams: number;
  initialTsn: number;
}

function initValue(p: InitParams, params: Buffer[] = []): Buffer {
  const v = Buffer.alloc(16);
  v.writeUInt32BE(p.tag >>> 0, 0);
  v.writeUInt32BE(p.arwnd >>> 0, 4);
  v.writeUInt16BE(p.outStreams, 8);
  v.writeUInt16BE(p.inStreams, 10);
  v.writeUInt32BE(p.initialTsn >>> 0, 12);
  return Buffer.concat([v, ...params]);
}

export function decodeInit(c: Chunk): InitParams & { cookie?: Buffer } {
  if (c.value.length < 16) throw new SctpError(`INIT${c.type === ChunkType.InitAck ? ' ACK' : ''} chunk of ${c.value.length + 4} octets is shorter than 20`);
  const v = c.value;
  const out: InitParams & { cookie?: Buffer } = {
    tag: v.readUInt32BE(0),
    arwnd: v.readUInt32BE(4),
    outStreams: v.readUInt16BE(8),
    inStreams: v.readUInt16BE(10),
    initialTsn: v.readUInt32BE(12),
  };
  // Optional/variable parameters: type, length (with the 4-octet header, without padding), value (§3.2.1).
  for (let off = 16; off + 4 <= v.length;) {
    const type = v.readUInt16BE(off);
    const len = v.readUInt16BE(off + 2);
    if (len < 4 || off + len > v.length) break;
    if (type === PARAM_STATE_COOKIE) out.cookie = v.subarray(off + 4, off + len);
    off += (len + 3) & ~3;
  }
  return out;
}

export const init = (p: InitParams): Chunk => ({ type: ChunkType.Init, flags: 0, value: initValue(p) });

export function initAck(p: InitParams, cookie: Buffer): Chunk {
  const param = Buffer.alloc((4 + cookie.length + 3) & ~3);
  param.writeUInt16BE(PARAM_STATE_COOKIE, 0);
  param.writeUInt16BE(4 + cookie.length, 2);
  cookie.copy(param, 4);
  return { type: ChunkType.InitAck, flags: 0, value: initValue(p, [param]) };
}

export const cookieEcho = (cookie: Buffer): Chunk => ({ type: ChunkType.CookieEcho, flags: 0, value: cookie });
export const cookieAck = (): Chunk => ({ type: ChunkType.CookieAck, flags: 0, value: Buffer.alloc(0) });

export interface DataChunk {
  tsn: number;
  stream: number;
  ssn: number;
  ppid: number;
  payload: Buffer;
}

/** DATA (§3.3.1): one whole, ordered user message. */
export function data(d: DataChunk): Chunk {
  const v = Buffer.alloc(12 + d.payload.length);
  v.writeUInt32BE(d.tsn >>> 0, 0);
  v.writeUInt16BE(d.stream, 4);
  v.writeUInt16BE(d.ssn & 0xffff, 6);
  v.writeUInt32BE(d.ppid >>> 0, 8);
  d.payload.copy(v, 12);
  return { type: ChunkType.Data, flags: DATA_BEGIN_END, value: v };
}

export function decodeData(c: Chunk): DataChunk {
  if (c.value.length < 13) throw new SctpError(`DATA chunk of ${c.value.length + 4} octets carries no user data (at least 17 octets)`);
  const v = c.value;
  return { tsn: v.readUInt32BE(0), stream: v.readUInt16BE(4), ssn: v.readUInt16BE(6), ppid: v.readUInt32BE(8), payload: v.subarray(12) };
}

/** SACK (§3.3.4) without gap blocks or duplicate TSNs: everything up to cumTsnAck arrived in order. */
export function sack(cumTsnAck: number, arwnd: number): Chunk {
  const v = Buffer.alloc(12);
  v.writeUInt32BE(cumTsnAck >>> 0, 0);
  v.writeUInt32BE(arwnd >>> 0, 4);
  return { type: ChunkType.Sack, flags: 0, value: v };
}

export function decodeSack(c: Chunk): { cumTsnAck: number; arwnd: number } {
  if (c.value.length < 12) throw new SctpError(`SACK chunk of ${c.value.length + 4} octets is shorter than 16`);
  return { cumTsnAck: c.value.readUInt32BE(0), arwnd: c.value.readUInt32BE(4) };
}

export function shutdown(cumTsnAck: number): Chunk {
  const v = Buffer.alloc(4);
  v.writeUInt32BE(cumTsnAck >>> 0, 0);
  return { type: ChunkType.Shutdown, flags: 0, value: v };
}
export const shutdownAck = (): Chunk => ({ type: ChunkType.ShutdownAck, flags: 0, value: Buffer.alloc(0) });
export const shutdownComplete = (): Chunk => ({ type: ChunkType.ShutdownComplete, flags: 0, value: Buffer.alloc(0) });

/** a − b in TSN serial arithmetic (RFC 1982, 32 bits): positive when a comes after b. */
export function tsnDiff(a: number, b: number): number {
  return ((a - b) | 0) as number;
}

// ---------------------------------------------------------------- delayed SACK

export interface SackPolicyOptions {
  /** Delayed-SACK timer (RFC 9260 §6.2: at most 500 ms; Linux net.sctp.sack_timeout default 200 ms). 0 = SACK every packet at once. */
  delayMs: number;
  /** SACK at once on every this-many-th packet carrying DATA (Linux sack_freq, default 2; RFC 9260 §6.2: at least every second packet). */
  everyPackets: number;
}

/**
 * When a receiver acknowledges, as Linux does: a SACK goes out at once on
 * every `everyPackets`-th packet with new DATA since the last SACK, else when
 * the delayed-SACK timer, started by the first unacknowledged packet,
 * expires; a SACK still pending rides along (bundled) in the next packet the
 * receiver sends with DATA of its own. Pure: the agent owns the timer.
 */
export class SackPolicy {
  /** Packets with DATA received since the last SACK. */
  private unacked = 0;

  constructor(private readonly o: SackPolicyOptions) {}

  /** A packet with DATA arrived. 'now': send a SACK at once; 'arm': start the timer; 'wait': the timer is already running. */
  onDataPacket(): 'now' | 'arm' | 'wait' {
    this.unacked++;
    if (this.o.delayMs === 0 || this.unacked >= this.o.everyPackets) {
      this.unacked = 0;
      return 'now';
    }
    return this.unacked === 1 ? 'arm' : 'wait';
  }

  /** Whether a SACK is owed (the timer is running). */
  get pending(): boolean {
    return this.unacked > 0;
  }

  /** A SACK was sent (timer expiry or bundled with DATA): nothing is owed any more. */
  sent(): void {
    this.unacked = 0;
  }
}
