/**
 * Byte layouts shared with the eBPF programs. The C side is bpf/nfscope.h;
 * layout.test.ts compares both against the BTF of the compiled objects and
 * fails when they drift.
 */
import { isIPv4, isIPv6 } from 'net';

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

type Values = Record<string, number | bigint | Buffer>;

/**
 * Declares a C struct as a list of [name, type, count?] in declaration order;
 * offsets follow C's natural alignment, as clang lays them out for BPF.
 * Fields named `pad*` are written as zeros and not decoded. u64 fields decode
 * to bigint, byte arrays (u8 with count > 1) to Buffer, the rest to number.
 */
export function defineStruct<T extends object>(cName: string, spec: [string, FieldType, number?][]): StructLayout<T> {
  let offset = 0;
  let align = 1;
  const fields: FieldSpec[] = spec.map(([name, type, count = 1]) => {
    if (count > 1 && type !== 'u8') throw new TypeError(`${cName}.${name}: arrays are supported only of u8`);
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
        out[f.name] = f.count > 1 ? Buffer.from(buf.subarray(f.offset, f.offset + f.count)) : readField(buf, f);
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

/** enum nf_error: indexes of the `errors` array */
export enum NfError {
  DropsMapFull = 0,
  TrafficMapFull = 1,
}
export const NF_ERROR_SLOTS = 4;

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;

export interface AddrKey {
  addr: Buffer;
}
export const ADDR_KEY = defineStruct<AddrKey>('addr_key', [['addr', 'u8', 16]]);

export interface PortKey {
  l4proto: number;
  port: number;
}
export const PORT_KEY = defineStruct<PortKey>('port_key', [
  ['l4proto', 'u8'],
  ['pad', 'u8'],
  ['port', 'u16'],
]);

export interface DropKey {
  src_nf: number;
  dst_nf: number;
  reason: number;
  proto: NfProto;
}
export const DROP_KEY = defineStruct<DropKey>('drop_key', [
  ['src_nf', 'u32'],
  ['dst_nf', 'u32'],
  ['reason', 'u32'],
  ['proto', 'u8'],
  ['pad', 'u8', 3],
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

/** Every layout shared with C, for the drift test. */
export const SHARED_LAYOUTS: StructLayout<object>[] = [ADDR_KEY, PORT_KEY, DROP_KEY, TRAFFIC_KEY, TRAFFIC_VAL] as StructLayout<object>[];

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
