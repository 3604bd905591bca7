/**
 * Byte layouts shared with the eBPF programs. The C side is bpf/nfscope.h;
 * layout.test.ts compares both against the BTF of the compiled objects and
 * fails when they drift.
 */
import { isIP } from 'net';
import { ipBytes } from '../address';

type FieldType = 'u8' | 'u16' | 'u32' | 'u64';

const SIZES: Record<FieldType, number> = { u8: 1, u16: 2, u32: 4, u64: 8 };

export interface FieldSpec {
  name: string;
  type: FieldType;
  /** array length (padding, byte arrays); 1 for scalars */
  count: number;
  offset: number;
}

export interface StructLayout<T> {
  /** the C struct name in bpf/nfscope.h */
  cName: string;
  size: number;
  fields: FieldSpec[];
  encode(value: T): Buffer;
  decode(buf: Buffer): T;
}

type Values = Record<string, number | bigint | Buffer | (number | bigint)[]>;

/**
 * Declares a C struct as a list of [name, type, count?] in declaration order;
 * offsets follow C's natural alignment, as clang lays them out for BPF.
 * Fields named `pad*` are written as zeros and not decoded. u64 fields decode
 * to bigint, byte arrays (u8 with count > 1) to Buffer, other arrays to
 * arrays of their element, the rest to number.
 */
export function defineStruct<T extends object>(cName: string, spec: [string, FieldType, number?][]): StructLayout<T> {
  let offset = 0;
  let align = 1;
  const fields: FieldSpec[] = spec.map(([name, type, count = 1]) => {
    const a = SIZES[type];
    align = Math.max(align, a);
    offset = Math.ceil(offset / a) * a;
    const f = { name, type, count, offset };
    offset += a * count;
    return f;
  });
  const size = Math.ceil(offset / align) * align;
  return {
    cName,
    size,
    fields,
    encode(value: T): Buffer {
      const v = value as unknown as Values;
      const buf = Buffer.alloc(size);
      for (const f of fields) {
        if (f.name.startsWith('pad')) continue;
        const x = v[f.name];
        if (x === undefined) throw new TypeError(`${cName}.${f.name} is missing`);
        if (f.count > 1 && f.type !== 'u8') {
          const arr = x as (number | bigint)[];
          if (!Array.isArray(arr) || arr.length !== f.count) throw new TypeError(`${cName}.${f.name} must have ${f.count} elements`);
          arr.forEach((e, i) => writeField(buf, { ...f, offset: f.offset + i * SIZES[f.type] }, e));
          continue;
        }
        if (f.count > 1) {
          const b = x as Buffer;
          if (!Buffer.isBuffer(b) || b.length !== f.count) throw new TypeError(`${cName}.${f.name} must be ${f.count} bytes`);
          b.copy(buf, f.offset);
          continue;
        }
        writeField(buf, f, x as number | bigint);
      }
      return buf;
    },
    decode(buf: Buffer): T {
      if (buf.length < size) throw new RangeError(`${cName}: ${buf.length} bytes, expected ${size}`);
      const out: Values = {};
      for (const f of fields) {
        if (f.name.startsWith('pad')) continue;
        if (f.count > 1 && f.type !== 'u8') {
          out[f.name] = Array.from({ length: f.count }, (_, i) => readField(buf, { ...f, offset: f.offset + i * SIZES[f.type] })) as unknown as number;
        } else {
          out[f.name] = f.count > 1 ? Buffer.from(buf.subarray(f.offset, f.offset + f.count)) : readField(buf, f);
        }
      }
      return out as unknown as T;
    },
  };
}

function writeField(buf: Buffer, f: FieldSpec, x: number | bigint): void {
  switch (f.type) {
    case 'u8':
      buf.writeUInt8(Number(x), f.offset);
      break;
    case 'u16':
      buf.writeUInt16LE(Number(x), f.offset);
      break;
    case 'u32':
      buf.writeUInt32LE(Number(x), f.offset);
      break;
    case 'u64':
      buf.writeBigUInt64LE(BigInt(x), f.offset);
      break;
  }
}

function readField(buf: Buffer, f: FieldSpec): number | bigint {
  switch (f.type) {
    case 'u8':
      return buf.readUInt8(f.offset);
    case 'u16':
      return buf.readUInt16LE(f.offset);
    case 'u32':
      return buf.readUInt32LE(f.offset);
    case 'u64':
      return buf.readBigUInt64LE(f.offset);
  }
}

/** NF id of addresses no configured NF owns (nfscope.h NF_UNKNOWN). */
export const NF_UNKNOWN = 0;

/** enum nf_proto */
export enum NfProto {
  Other = 0,
  Pfcp = 1,
  Gtpu = 2,
  Sbi = 3,
  Ngap = 4,
}

/** port_proto[L4_SLOTS][65536] in common.bpf.h: slot order UDP, TCP, SCTP. */
export const PORT_TABLE_SLOTS = 3;
export const PORT_TABLE_BYTES = PORT_TABLE_SLOTS * 65536;

/** enum nf_event: indexes of the `events` array */
export enum NfEvent {
  DropsMapFull = 0,
  TrafficMapFull = 1,
  HistMapFull = 2,
  OutcomeMapFull = 3,
  // 4, 5 and 8 are free (nfscope.h)
  /** requests not stamped: both of their in-flight slots held newer requests */
  InflightFull = 6,
  /** HTTP/2 byte streams that lost their frame boundary */
  SbiResync = 7,
  /** requests in flight overwritten by a newer one */
  InflightEvicted = 9,
  /** requests not stamped: other CPUs held their in-flight slots at every try */
  InflightContended = 10,
}
export const NF_EVENT_SLOTS = 16;

/** enum sbi_method: lat_key.procedure of SBI series */
export enum SbiMethod {
  Other = 0,
  Get = 1,
  Post = 2,
  Put = 3,
  Patch = 4,
  Delete = 5,
  /** not readable on a connection whose start nfscope did not see */
  Unseen = 6,
}

/** SBI_STATUS_UNSEEN: the :status of a response not readable on a connection whose start nfscope did not see. */
export const SBI_STATUS_UNSEEN = 1;

/** enum nf_outcome */
export enum NfOutcome {
  Accepted = 0,
  Rejected = 1,
  Other = 2,
  /** NGAP: a procedure's initiating message */
  Initiated = 3,
}

/** Histogram layout (nfscope.h): log-linear, 2^HIST_SUB_BITS sub-buckets per power of two, in ns. */
export const HIST_SUB_BITS = 4;
export const HIST_MIN_EXP = 10;
export const HIST_MAX_EXP = 36;
export const HIST_SLOTS = 2 + (HIST_MAX_EXP - HIST_MIN_EXP + 1) * (1 << HIST_SUB_BITS);

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;

export interface AddrKey {
  addr: Buffer;
}
export const ADDR_KEY = defineStruct<AddrKey>('addr_key', [['addr', 'u8', 16]]);

export interface DropKey {
  src_nf: number;
  dst_nf: number;
  reason: number;
  proto: NfProto;
  /** freeing address, for SKB_DROP_REASON_NOT_SPECIFIED only (else 0n) */
  location: bigint;
}
export const DROP_KEY = defineStruct<DropKey>('drop_key', [
  ['src_nf', 'u32'],
  ['dst_nf', 'u32'],
  ['reason', 'u32'],
  ['proto', 'u8'],
  ['pad', 'u8', 3],
  ['location', 'u64'],
]);

export interface TrafficKey {
  src_nf: number;
  dst_nf: number;
  proto: NfProto;
}
export const TRAFFIC_KEY = defineStruct<TrafficKey>('traffic_key', [
  ['src_nf', 'u32'],
  ['dst_nf', 'u32'],
  ['proto', 'u8'],
  ['pad', 'u8', 3],
]);

export interface TrafficVal {
  packets: bigint;
  bytes: bigint;
}
export const TRAFFIC_VAL = defineStruct<TrafficVal>('traffic_val', [
  ['packets', 'u64'],
  ['bytes', 'u64'],
]);

/** Slots per enum nf_proto in struct nf_pair_cached (nfscope.h PROTO_SLOTS). */
export const PROTO_SLOTS = 5;

/** Value of the per-CPU `nf_pair_cache` array: an address pair, its NFs and its traffic on one CPU. */
export interface NfPairCached {
  lo: bigint[];
  hi: bigint[];
  nf_lo: number;
  nf_hi: number;
  valid: number;
  pad: number;
  /** packets and bytes: [direction (0: lo → hi, 1: hi → lo)][enum nf_proto] as 2 × PROTO_SLOTS × (packets, bytes) */
  count: bigint[];
}
export const NF_PAIR_CACHED = defineStruct<NfPairCached>('nf_pair_cached', [
  ['lo', 'u64', 2],
  ['hi', 'u64', 2],
  ['nf_lo', 'u32'],
  ['nf_hi', 'u32'],
  ['valid', 'u32'],
  ['pad', 'u32'],
  ['count', 'u64', 2 * PROTO_SLOTS * 2],
]);

export interface LatKey {
  client_nf: number;
  server_nf: number;
  proto: NfProto;
  /** request message type (PFCP, GTP-U) or NGAP procedure code */
  procedure: number;
}
const LAT_KEY_FIELDS: [string, FieldType, number?][] = [
  ['client_nf', 'u32'],
  ['server_nf', 'u32'],
  ['proto', 'u8'],
  ['procedure', 'u8'],
  ['pad', 'u8', 2],
];
export const LAT_KEY = defineStruct<LatKey>('lat_key', LAT_KEY_FIELDS);

/**
 * enum fast_outcome (nfscope.h): the accepted outcomes a series counts in
 * its histogram value (struct hist .accepted) instead of the `outcomes` map;
 * index i is "accepted" with code FAST_OUTCOME_CODES[i].
 */
export const FAST_OUTCOME_CODES: readonly number[] = [0, 1, 200, 201, 204];

export interface Hist {
  slots: bigint[];
  sum_ns: bigint;
  accepted: bigint[];
}
export const HIST = defineStruct<Hist>('hist', [
  ['slots', 'u64', HIST_SLOTS],
  ['sum_ns', 'u64'],
  ['accepted', 'u64', FAST_OUTCOME_CODES.length],
]);

export interface OutcomeKey extends LatKey {
  outcome: NfOutcome;
  code: number;
}
export const OUTCOME_KEY = defineStruct<OutcomeKey>('outcome_key', [
  ['client_nf', 'u32'],
  ['server_nf', 'u32'],
  ['proto', 'u8'],
  ['procedure', 'u8'],
  ['outcome', 'u8'],
  ['pad', 'u8'],
  ['code', 'u32'],
]);

export interface FlowSeq {
  saddr: Buffer;
  daddr: Buffer;
  sport: number;
  dport: number;
  seq: number;
  proto: NfProto;
}
export const FLOW_SEQ = defineStruct<FlowSeq>('flow_seq', [
  ['saddr', 'u8', 16],
  ['daddr', 'u8', 16],
  ['sport', 'u16'],
  ['dport', 'u16'],
  ['seq', 'u32'],
  ['proto', 'u8'],
  ['pad', 'u8', 3],
]);

/** enum inflight_state: a slot of the in-flight table. */
export enum InflightState {
  Free = 0,
  Busy = 1,
  Held = 2,
}
export interface InflightSlot {
  state: InflightState;
  seq: number;
  ts_ns: bigint;
  saddr: Buffer;
  daddr: Buffer;
  sport: number;
  dport: number;
  proto: NfProto;
  procedure: number;
  client_nf: number;
  server_nf: number;
}
/** struct inflight_slot: one slot of the `inflight` table (a request in flight), 64 bytes. */
export const INFLIGHT_SLOT = defineStruct<InflightSlot>('inflight_slot', [
  ['state', 'u32'],
  ['seq', 'u32'],
  ['ts_ns', 'u64'],
  ['saddr', 'u8', 16],
  ['daddr', 'u8', 16],
  ['sport', 'u16'],
  ['dport', 'u16'],
  ['proto', 'u8'],
  ['procedure', 'u8'],
  ['pad', 'u8', 2],
  ['client_nf', 'u32'],
  ['server_nf', 'u32'],
]);

/** struct h2_dir: HTTP/2 parse state of one direction of a connection (decoded only in tests). */
const H2_DIR_FIELDS: [string, FieldType, number?][] = [
  ['pend_ts', 'u64'],
  ['next_seq', 'u32'],
  ['pend_stream', 'u32'],
  ['pend_code', 'u32'],
  ['sync', 'u8'],
  ['have', 'u8'],
  ['pend', 'u8'],
  ['fin', 'u8'],
  ['hdr', 'u8', 9],
  ['hp_lost', 'u8'],
  ['hp_next', 'u8'],
  ['pad', 'u8', 5],
  ['hp_count', 'u32'],
  ['hp_ins', 'u32', 4],
  ['hp_val', 'u32', 4],
];
export const H2_DIR = defineStruct<object>('h2_dir', H2_DIR_FIELDS);

export interface H2Conn {
  /** two struct h2_dir, client→server then server→client, left undecoded */
  dir: Buffer;
  max_stream: number;
  goaway_last: number;
}
/** Value of the `h2_conns` map, keyed by the client→server flow_seq with seq 0. */
export const H2_CONN = defineStruct<H2Conn>('h2_conn', [
  ['dir', 'u8', 2 * H2_DIR.size],
  ['max_stream', 'u32'],
  ['goaway_last', 'u32'],
]);

/** Every layout shared with C, for the drift test. */
export const SHARED_LAYOUTS: StructLayout<object>[] = [
  ADDR_KEY,
  DROP_KEY,
  TRAFFIC_KEY,
  TRAFFIC_VAL,
  LAT_KEY,
  HIST,
  OUTCOME_KEY,
  NF_PAIR_CACHED,
  FLOW_SEQ,
  INFLIGHT_SLOT,
  H2_DIR,
  H2_CONN,
] as StructLayout<object>[];

/**
 * The 16 bytes of an addr_key: IPv6 as is, IPv4 as an IPv4-mapped IPv6
 * address (::ffff:a.b.c.d), both in network byte order. A zone ID is ignored.
 */
export function addressBytes(addr: string): Buffer {
  const bytes = isIP(addr) === 0 ? undefined : ipBytes(addr.split('%')[0]);
  if (bytes === undefined) throw new TypeError(`not an IP address: ${JSON.stringify(addr)}`);
  return bytes;
}
