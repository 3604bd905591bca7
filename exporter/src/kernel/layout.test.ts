import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { addressBytes, defineStruct, DROP_KEY, FAST_OUTCOME_CODES, InflightState, NF_EVENT_SLOTS, NfEvent, HIST_MAX_EXP, HIST_MIN_EXP, HIST_SLOTS, HIST_SUB_BITS, NfOutcome, NfProto, SBI_STATUS_UNSEEN, SbiMethod, SHARED_LAYOUTS } from './layout';

describe('defineStruct', () => {
  interface Mixed {
    a: number;
    b: bigint;
  }
  const MIXED = defineStruct<Mixed>('mixed', [
    ['a', 'u8'],
    ['b', 'u64'],
  ]);

  test('offsets and size follow C natural alignment', () => {
    expect(MIXED.fields.map((f) => [f.name, f.offset])).toEqual([
      ['a', 0],
      ['b', 8],
    ]);
    expect(MIXED.size).toBe(16);

    const s = defineStruct('s', [
      ['x', 'u32'],
      ['y', 'u8'],
      ['z', 'u16'],
      ['w', 'u8'],
    ]);
    // x 0..3, y 4, z aligned to 6, w 8, size rounded up to 4 → 12
    expect(s.fields.map((f) => f.offset)).toEqual([0, 4, 6, 8]);
    expect(s.size).toBe(12);
  });

  test('encodes little-endian and decodes back', () => {
    const buf = MIXED.encode({ a: 0xab, b: 0x0102030405060708n });
    expect(buf.toString('hex')).toBe('ab00000000000000' + '0807060504030201');
    expect(MIXED.decode(buf)).toEqual({ a: 0xab, b: 0x0102030405060708n });
  });

  test('round trip of the shared drop_key, pad written as zero and not decoded', () => {
    const key = { src_nf: 1, dst_nf: 0x01020304, reason: 77, proto: NfProto.Gtpu, location: 0xffffffff81a0b0c0n };
    const buf = DROP_KEY.encode({ ...key, pad: Buffer.from([9, 9, 9]) } as typeof key);
    expect(buf.length).toBe(24);
    expect(buf.toString('hex')).toBe('01000000' + '04030201' + '4d000000' + '02' + '000000' + 'c0b0a081ffffffff');
    expect(DROP_KEY.decode(buf)).toEqual(key);
  });

  test('byte arrays decode to a copy', () => {
    const arr = defineStruct<{ id: number; bytes: Buffer }>('arr', [
      ['id', 'u16'],
      ['bytes', 'u8', 3],
    ]);
    expect(arr.size).toBe(6);
    const buf = arr.encode({ id: 513, bytes: Buffer.from([1, 2, 3]) });
    expect(buf.toString('hex')).toBe('010201020300');
    const out = arr.decode(buf);
    buf[2] = 99;
    expect([...out.bytes]).toEqual([1, 2, 3]);
  });

  test('a missing field throws', () => {
    expect(() => MIXED.encode({ a: 1 } as Mixed)).toThrow('mixed.b is missing');
  });

  test('a byte array of the wrong length throws', () => {
    const k = defineStruct<{ addr: Buffer }>('k', [['addr', 'u8', 16]]);
    expect(() => k.encode({ addr: Buffer.alloc(15) })).toThrow('k.addr must be 16 bytes');
    expect(() => k.encode({ addr: Buffer.alloc(17) })).toThrow('k.addr must be 16 bytes');
  });

  test('decoding a short buffer throws', () => {
    expect(() => MIXED.decode(Buffer.alloc(15))).toThrow(RangeError);
  });
});

describe('addressBytes', () => {
  const hex = (a: string) => addressBytes(a).toString('hex');

  test('IPv4 becomes IPv4-mapped IPv6', () => {
    expect(hex('198.18.0.1')).toBe('00000000000000000000ffff' + 'c6120001');
  });

  test('full IPv6', () => {
    expect(hex('2001:0db8:0001:0002:0003:0004:0005:0010')).toBe('20010db8000100020003000400050010');
    expect(hex('fe80:0:0:0:abcd:EF01:2:3')).toBe('fe80000000000000abcdef0100020003');
  });

  test('compressed IPv6', () => {
    expect(hex('2001:db8::10')).toBe('20010db8' + '0'.repeat(20) + '0010');
    expect(hex('::1')).toBe('0'.repeat(30) + '01');
    expect(hex('::')).toBe('0'.repeat(32));
    expect(hex('2001:db8::')).toBe('20010db8' + '0'.repeat(24));
    expect(hex('1:2:3::7:8')).toBe('00010002000300000000000000070008');
  });

  test('a trailing dotted quad', () => {
    expect(addressBytes('::ffff:198.18.0.1')).toEqual(addressBytes('198.18.0.1'));
    expect(hex('64:ff9b::10.0.0.255')).toBe('0064ff9b' + '0'.repeat(16) + '0a0000ff');
  });

  test.each(['', 'abc', '1.2.3', '256.1.1.1', '1::2::3', '12345::', 'fe80:::1'])('%j throws', (a) => {
    expect(() => addressBytes(a)).toThrow(/not an IP address/);
  });
});

// ---------------------------------------------------------------------------
// Drift between layout.ts and bpf/nfscope.h, read from the compiled objects' BTF.

const BPF_DIR = path.resolve(__dirname, '../../../bpf/build');
const OBJECTS = ['drops.bpf.o', 'traffic.bpf.o'];
const FIELD_BYTES = { u8: 1, u16: 2, u32: 4, u64: 8 } as const;

interface BtfMember {
  name: string;
  type_id: number;
  bits_offset: number;
  bitfield_size?: number;
}
interface BtfType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  members?: BtfMember[];
  values?: { name: string; val: number }[];
}

function readBtf(file: string): Map<number, BtfType> {
  const full = path.join(BPF_DIR, file);
  if (!fs.existsSync(full)) {
    throw new Error(`${full} not found: build the eBPF objects first (run \`make -C bpf\`)`);
  }
  const json = execFileSync('bpftool', ['btf', 'dump', 'file', full, '-j'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const types = (JSON.parse(json) as { types: BtfType[] }).types;
  return new Map(types.map((t) => [t.id, t]));
}

/** Byte size of a BTF type, through typedefs, const/volatile and arrays. */
function sizeOf(btf: Map<number, BtfType>, id: number): number {
  const t = btf.get(id);
  if (!t) throw new Error(`BTF type ${id} not found`);
  switch (t.kind) {
    case 'INT':
    case 'STRUCT':
    case 'UNION':
    case 'ENUM':
      return t.size!;
    case 'ARRAY':
      return t.nr_elems! * sizeOf(btf, t.type_id!);
    case 'TYPEDEF':
    case 'CONST':
    case 'VOLATILE':
      return sizeOf(btf, t.type_id!);
    default:
      throw new Error(`unexpected BTF kind ${t.kind} (type ${id})`);
  }
}

/** Parses `NAME = n,` enumerators of one enum in a C header. */
function headerEnum(text: string, name: string): Map<string, number> {
  const body = new RegExp(`enum\\s+${name}\\s*\\{([^}]*)\\}`).exec(text);
  if (!body) throw new Error(`enum ${name} not found in bpf/nfscope.h`);
  const out = new Map<string, number>();
  for (const m of body[1].matchAll(/([A-Z_][A-Z0-9_]*)\s*=\s*(\d+)/g)) out.set(m[1], Number(m[2]));
  return out;
}

/** PROTO_OTHER → Other, ERR_DROPS_MAP_FULL → DropsMapFull */
function pascal(cName: string, prefix: string): string {
  return cName
    .slice(prefix.length)
    .toLowerCase()
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

describe('layouts match the BTF of the compiled eBPF objects', () => {
  let btfs: Map<string, Map<number, BtfType>>;
  beforeAll(() => {
    btfs = new Map(OBJECTS.map((o) => [o, readBtf(o)]));
  });

  test.each(SHARED_LAYOUTS.map((l) => [l.cName, l] as const))('struct %s', (cName, layout) => {
    let found = 0;
    for (const [obj, btf] of btfs) {
      const structs = [...btf.values()].filter((t) => t.kind === 'STRUCT' && t.name === cName);
      for (const s of structs) {
        found++;
        const where = `struct ${cName} in ${obj}`;
        expect({ where, size: s.size }).toEqual({ where, size: layout.size });
        const ts = new Map(layout.fields.map((f) => [f.name, f]));
        for (const m of s.members!) {
          const f = ts.get(m.name);
          if (!f) throw new Error(`${where}: member ${m.name} is missing from the TypeScript layout`);
          expect(m.bitfield_size ?? 0).toBe(0);
          // byte size of every member; offset of every member but padding
          const pad = f.name.startsWith('pad');
          expect({ where, member: m.name, size: sizeOf(btf, m.type_id), offset: pad ? 'pad' : m.bits_offset / 8 }).toEqual({
            where,
            member: m.name,
            size: FIELD_BYTES[f.type] * f.count,
            offset: pad ? 'pad' : f.offset,
          });
        }
        const cMembers = new Set(s.members!.map((m) => m.name));
        const extra = layout.fields.filter((f) => !f.name.startsWith('pad') && !cMembers.has(f.name)).map((f) => f.name);
        expect({ where, notInC: extra }).toEqual({ where, notInC: [] });
      }
    }
    if (found === 0) throw new Error(`struct ${cName} is in the BTF of none of ${OBJECTS.join(', ')}`);
  });

  test('enum nf_proto matches NfProto', () => {
    let c: Map<string, number> | undefined;
    for (const btf of btfs.values()) {
      const e = [...btf.values()].find((t) => t.kind === 'ENUM' && t.name === 'nf_proto');
      if (e) c = new Map(e.values!.map((v) => [v.name, v.val]));
    }
    // clang leaves enums out of BTF when no BTF-described type uses them: read the header then.
    c ??= headerEnum(fs.readFileSync(path.resolve(BPF_DIR, '../nfscope.h'), 'utf8'), 'nf_proto');
    const fromC = Object.fromEntries([...c].map(([k, v]) => [pascal(k, 'PROTO_'), v]));
    const fromTs = Object.fromEntries(Object.entries(NfProto).filter(([, v]) => typeof v === 'number'));
    expect(fromC).toEqual(fromTs);
    expect(Object.keys(fromC)).toHaveLength(5);
  });

  test('enum nf_event matches NfEvent and NF_EVENT_SLOTS', () => {
    const c = headerEnum(fs.readFileSync(path.resolve(BPF_DIR, '../nfscope.h'), 'utf8'), 'nf_event');
    expect(c.get('EV_MAX')).toBe(NF_EVENT_SLOTS);
    c.delete('EV_MAX');
    const fromC = Object.fromEntries([...c].map(([k, v]) => [pascal(k, 'EV_'), v]));
    const fromTs = Object.fromEntries(Object.entries(NfEvent).filter(([, v]) => typeof v === 'number'));
    expect(fromC).toEqual(fromTs);
  });

  test('enum inflight_state matches InflightState', () => {
    const c = headerEnum(fs.readFileSync(path.resolve(BPF_DIR, '../nfscope.h'), 'utf8'), 'inflight_state');
    const fromC = Object.fromEntries([...c].map(([k, v]) => [pascal(k, 'INFLIGHT_'), v]));
    const fromTs = Object.fromEntries(Object.entries(InflightState).filter(([, v]) => typeof v === 'number'));
    expect(fromC).toEqual(fromTs);
    expect(Object.keys(fromC)).toHaveLength(3);
  });

  test('enum nf_outcome matches NfOutcome', () => {
    const c = headerEnum(fs.readFileSync(path.resolve(BPF_DIR, '../nfscope.h'), 'utf8'), 'nf_outcome');
    const fromC = Object.fromEntries([...c].map(([k, v]) => [pascal(k, 'OUTCOME_'), v]));
    const fromTs = Object.fromEntries(Object.entries(NfOutcome).filter(([, v]) => typeof v === 'number'));
    expect(fromC).toEqual(fromTs);
  });

  test('enum sbi_method matches SbiMethod, and SBI_STATUS_UNSEEN its C value', () => {
    const header = fs.readFileSync(path.resolve(BPF_DIR, '../nfscope.h'), 'utf8');
    const c = headerEnum(header, 'sbi_method');
    const fromC = Object.fromEntries([...c].map(([k, v]) => [pascal(k, 'SBI_METHOD_'), v]));
    const fromTs = Object.fromEntries(Object.entries(SbiMethod).filter(([, v]) => typeof v === 'number'));
    expect(fromC).toEqual(fromTs);
    expect(Number(/#define SBI_STATUS_UNSEEN (\d+)/.exec(header)?.[1])).toBe(SBI_STATUS_UNSEEN);
  });

  test('enum fast_outcome matches FAST_OUTCOME_CODES', () => {
    const c = headerEnum(fs.readFileSync(path.resolve(BPF_DIR, '../nfscope.h'), 'utf8'), 'fast_outcome');
    expect(c.get('FAST_OUTCOMES')).toBe(FAST_OUTCOME_CODES.length);
    c.delete('FAST_OUTCOMES');
    // FAST_ACCEPTED_<code> = its index
    expect([...c].map(([k, v]) => [v, Number(/^FAST_ACCEPTED_(\d+)$/.exec(k)?.[1])])).toEqual(FAST_OUTCOME_CODES.map((code, i) => [i, code]));
  });

  test('histogram constants match nfscope.h', () => {
    const text = fs.readFileSync(path.resolve(BPF_DIR, '../nfscope.h'), 'utf8');
    const define = (n: string) => Number(new RegExp(`#define ${n} (\\d+)`).exec(text)?.[1]);
    expect([define('HIST_SUB_BITS'), define('HIST_MIN_EXP'), define('HIST_MAX_EXP')]).toEqual([HIST_SUB_BITS, HIST_MIN_EXP, HIST_MAX_EXP]);
    expect(HIST_SLOTS).toBe(434);
  });
});

test('arrays of wider types take their element size and decode to arrays', () => {
  const l = defineStruct<{ a: number; x: number[] }>('arr', [['a', 'u8'], ['x', 'u32', 2]]);
  expect(l.size).toBe(12);
  expect(l.fields[1].offset).toBe(4);
  const buf = l.encode({ a: 7, x: [1, 0x01020304] });
  expect([...buf]).toEqual([7, 0, 0, 0, 1, 0, 0, 0, 4, 3, 2, 1]);
  expect(l.decode(buf)).toEqual({ a: 7, x: [1, 0x01020304] });
  expect(() => l.encode({ a: 1, x: [1] })).toThrow('arr.x must have 2 elements');
});
