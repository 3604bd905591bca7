/**
 * Encoding and decoding of C structs laid out as the eBPF objects' BTF says.
 * The layouts themselves are generated (layout.gen.ts, scripts/gen-layouts.js);
 * nothing here knows an offset.
 */

export type FieldType = 'u8' | 'u16' | 'u32' | 'u64';

export const FIELD_BYTES: Record<FieldType, number> = { u8: 1, u16: 2, u32: 4, u64: 8 };

export interface FieldSpec {
  name: string;
  type: FieldType;
  /** array length (padding, byte arrays, arrays of integers); 1 for scalars */
  count: number;
  /** byte offset in the struct */
  offset: number;
  /**
   * For a member that is an array of structs: the element struct and the
   * array's dimensions. Such a member is an array of the struct's integer
   * when all its members are one unsigned type, else count bytes.
   */
  struct?: string;
  dims?: number[];
}

export interface StructLayout<T, K extends string = string> {
  /** the C struct name (bpf/nfscope.h) */
  cName: string;
  size: number;
  fields: FieldSpec[];
  /** byte offset of every member by name */
  offset: Readonly<Record<K, number>>;
  encode(value: T): Buffer;
  decode(buf: Buffer): T;
}

type Values = Record<string, number | bigint | Buffer | (number | bigint)[]>;

/**
 * A C struct of `size` bytes with the given members. Members named `pad*` are
 * written as zeros and not decoded. u64 members decode to bigint, byte arrays
 * (u8 with count > 1) to Buffer, other arrays to arrays of their element, the
 * rest to number. Integers are little-endian, as on every architecture
 * nfscope builds for.
 */
export function structLayout<T extends object, K extends string = string>(cName: string, size: number, fields: FieldSpec[]): StructLayout<T, K> {
  const offset: Record<string, number> = {};
  for (const f of fields) {
    const end = f.offset + FIELD_BYTES[f.type] * f.count;
    if (f.offset < 0 || end > size || f.offset % FIELD_BYTES[f.type] !== 0) {
      throw new RangeError(`struct ${cName}: member ${f.name} (${f.type} × ${f.count} at ${f.offset}) does not fit a ${size}-byte struct`);
    }
    if (f.name in offset) throw new RangeError(`struct ${cName}: member ${f.name} appears twice`);
    offset[f.name] = f.offset;
  }
  return {
    cName,
    size,
    fields,
    offset: offset as Record<K, number>,
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
          arr.forEach((e, i) => writeField(buf, f.type, f.offset + i * FIELD_BYTES[f.type], e));
          continue;
        }
        if (f.count > 1) {
          const b = x as Buffer;
          if (!Buffer.isBuffer(b) || b.length !== f.count) throw new TypeError(`${cName}.${f.name} must be ${f.count} bytes`);
          b.copy(buf, f.offset);
          continue;
        }
        writeField(buf, f.type, f.offset, x as number | bigint);
      }
      return buf;
    },
    decode(buf: Buffer): T {
      if (buf.length < size) throw new RangeError(`${cName}: ${buf.length} bytes, expected ${size}`);
      const out: Values = {};
      for (const f of fields) {
        if (f.name.startsWith('pad')) continue;
        if (f.count > 1 && f.type !== 'u8') {
          out[f.name] = Array.from({ length: f.count }, (_, i) => readField(buf, f.type, f.offset + i * FIELD_BYTES[f.type])) as number[];
        } else {
          out[f.name] = f.count > 1 ? Buffer.from(buf.subarray(f.offset, f.offset + f.count)) : readField(buf, f.type, f.offset);
        }
      }
      return out as unknown as T;
    },
  };
}

function writeField(buf: Buffer, type: FieldType, at: number, x: number | bigint): void {
  switch (type) {
    case 'u8':
      buf.writeUInt8(Number(x), at);
      break;
    case 'u16':
      buf.writeUInt16LE(Number(x), at);
      break;
    case 'u32':
      buf.writeUInt32LE(Number(x), at);
      break;
    case 'u64':
      buf.writeBigUInt64LE(BigInt(x), at);
      break;
  }
}

function readField(buf: Buffer, type: FieldType, at: number): number | bigint {
  switch (type) {
    case 'u8':
      return buf.readUInt8(at);
    case 'u16':
      return buf.readUInt16LE(at);
    case 'u32':
      return buf.readUInt32LE(at);
    case 'u64':
      return buf.readBigUInt64LE(at);
  }
}
