import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  addressBytes,
  DROP_KEY,
  FAST_OUTCOME_CODES,
  type FieldSpec,
  HIST,
  HIST_MAX_EXP,
  HIST_MIN_EXP,
  HIST_SLOTS,
  HIST_SUB_BITS,
  INFLIGHT_SLOTS,
  InflightState,
  L4Slot,
  NF_EVENT_SLOTS,
  NF_UNKNOWN,
  NfEvent,
  NfOutcome,
  NfProto,
  PORT_TABLE_BYTES,
  PORT_TABLE_SLOTS,
  PROTO_SLOTS,
  SBI_STATUS_UNSEEN,
  SbiMethod,
  SHARED_LAYOUTS,
  structLayout,
} from './layout';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const gen = require('../../../scripts/gen-layouts.js') as {
  OBJECTS: string[];
  OUT: string;
  btfFromJson(name: string, json: unknown): unknown;
  generate(btfs: unknown[]): string;
  readBtf(file: string): unknown;
};

/** [name, type, count?] in order, at C's natural alignment: test layouts written the short way. */
function packed<T extends object>(cName: string, spec: [string, FieldSpec['type'], number?][]) {
  const bytes = { u8: 1, u16: 2, u32: 4, u64: 8 };
  let offset = 0;
  let align = 1;
  const fields = spec.map(([name, type, count = 1]) => {
    align = Math.max(align, bytes[type]);
    offset = Math.ceil(offset / bytes[type]) * bytes[type];
    const f = { name, type, count, offset };
    offset += bytes[type] * count;
    return f;
  });
  return structLayout<T>(cName, Math.ceil(offset / align) * align, fields);
}

describe('structLayout', () => {
  interface Mixed {
    a: number;
    b: bigint;
  }
  const MIXED = structLayout<Mixed, 'a' | 'b'>('mixed', 16, [
    { name: 'a', type: 'u8', count: 1, offset: 0 },
    { name: 'b', type: 'u64', count: 1, offset: 8 },
  ]);

  test('offsets by name', () => {
    expect(MIXED.offset).toEqual({ a: 0, b: 8 });
    expect(MIXED.size).toBe(16);
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
    const arr = packed<{ id: number; bytes: Buffer }>('arr', [
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
    const k = packed<{ addr: Buffer }>('k', [['addr', 'u8', 16]]);
    expect(() => k.encode({ addr: Buffer.alloc(15) })).toThrow('k.addr must be 16 bytes');
    expect(() => k.encode({ addr: Buffer.alloc(17) })).toThrow('k.addr must be 16 bytes');
  });

  test('decoding a short buffer throws', () => {
    expect(() => MIXED.decode(Buffer.alloc(15))).toThrow(RangeError);
  });

  test('a member outside the struct, misaligned or twice is refused', () => {
    expect(() => structLayout('s', 8, [{ name: 'x', type: 'u64', count: 2, offset: 0 }])).toThrow('struct s: member x (u64 × 2 at 0) does not fit a 8-byte struct');
    expect(() => structLayout('s', 8, [{ name: 'x', type: 'u32', count: 1, offset: 2 }])).toThrow('struct s: member x (u32 × 1 at 2)');
    expect(() =>
      structLayout('s', 8, [
        { name: 'x', type: 'u8', count: 1, offset: 0 },
        { name: 'x', type: 'u8', count: 1, offset: 1 },
      ]),
    ).toThrow('member x appears twice');
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
// layout.gen.ts against the compiled objects' BTF.

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

function btfJson(file: string): { types: BtfType[] } {
  const full = path.join(BPF_DIR, file);
  if (!fs.existsSync(full)) {
    throw new Error(`${full} not found: build the eBPF objects first (run \`make -C bpf\`)`);
  }
  return JSON.parse(execFileSync('bpftool', ['btf', 'dump', 'file', full, '-j'], { encoding: 'utf8', maxBuffer: 64 << 20 })) as { types: BtfType[] };
}

function readBtf(file: string): Map<number, BtfType> {
  return new Map(btfJson(file).types.map((t) => [t.id, t]));
}

describe('layout.gen.ts is generated from the objects', () => {
  test('regenerating from bpf/build gives the committed file', () => {
    const fresh = gen.generate(gen.OBJECTS.map((o) => gen.readBtf(o)));
    const committed = fs.readFileSync(gen.OUT, 'utf8');
    if (fresh !== committed) {
      const a = fresh.split('\n');
      const b = committed.split('\n');
      const i = a.findIndex((l, n) => l !== b[n]);
      throw new Error(
        `${path.relative(process.cwd(), gen.OUT)} differs from the objects' BTF at line ${i + 1}: generated ${JSON.stringify(a[i])}, committed ${JSON.stringify(b[i])}; run \`npm run gen\` and commit it`,
      );
    }
    expect(committed.split('\n')[0]).toMatch(/^\/\/ Code generated by scripts\/gen-layouts\.js .* DO NOT EDIT\.$/);
  });

  describe('the generator refuses BTF it cannot mirror', () => {
    let drops: { types: BtfType[] };
    let traffic: { types: BtfType[] };
    beforeAll(() => {
      drops = btfJson('drops.bpf.o');
      traffic = btfJson('traffic.bpf.o');
    });
    const copy = (j: { types: BtfType[] }) => JSON.parse(JSON.stringify(j)) as { types: BtfType[] };
    const run = (d: { types: BtfType[] }, t: { types: BtfType[] }) => gen.generate([gen.btfFromJson('drops.bpf.o', d), gen.btfFromJson('traffic.bpf.o', t)]);

    test('the unmodified BTF generates', () => {
      expect(run(drops, traffic)).toContain('export const DROP_KEY = structLayout<DropKey');
    });

    test('a struct laid out differently in two objects', () => {
      const t = copy(traffic);
      const key = t.types.find((x) => x.kind === 'STRUCT' && x.name === 'addr_key')!;
      key.size = 20;
      expect(() => run(drops, t)).toThrow(/^struct addr_key differs between drops\.bpf\.o and traffic\.bpf\.o/);
    });

    test('a shared struct missing from every object', () => {
      const rename = (j: { types: BtfType[] }) => {
        const c = copy(j);
        for (const x of c.types) if (x.kind === 'STRUCT' && x.name === 'lat_key') x.name = 'lat_key_v2';
        return c;
      };
      expect(() => run(rename(drops), rename(traffic))).toThrow('struct lat_key is in the BTF of none of drops.bpf.o, traffic.bpf.o');
    });

    test('an enum no variable keeps', () => {
      const drop = (j: { types: BtfType[] }) => ({ types: copy(j).types.filter((x) => !(x.kind === 'ENUM' && x.name === 'sbi_method')) });
      expect(() => run(drop(drops), drop(traffic))).toThrow(/enum sbi_method is in the BTF of none of .*bpf\/common\.bpf\.h/);
    });

    test('an enumerator without its prefix', () => {
      const bad = (j: { types: BtfType[] }) => {
        const c = copy(j);
        c.types.find((x) => x.kind === 'ENUM' && x.name === 'nf_outcome')!.values![1].name = 'REJECTED';
        return c;
      };
      expect(() => run(bad(drops), bad(traffic))).toThrow('enum nf_outcome: enumerator REJECTED does not start with OUTCOME_');
    });

    test('a bit field', () => {
      const t = copy(traffic);
      t.types.find((x) => x.kind === 'STRUCT' && x.name === 'flow_seq')!.members![4].bitfield_size = 3;
      expect(() => run(drops, t)).toThrow('traffic.bpf.o: struct flow_seq.seq: bit fields are not supported');
    });
  });
});

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

/** PROTO_OTHER → Other, ERR_DROPS_MAP_FULL → DropsMapFull */
function pascal(cName: string, prefix: string): string {
  return cName
    .slice(prefix.length)
    .toLowerCase()
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

/** Numeric members of a TypeScript enum by name. */
const tsEnum = (e: object) => Object.fromEntries(Object.entries(e).filter(([, v]) => typeof v === 'number'));

// The generated file is checked against a second reading of the same BTF, written independently of
// scripts/gen-layouts.js: a generator bug that misplaces a member fails here.
describe('layouts match the BTF of the compiled eBPF objects', () => {
  let btfs: Map<string, Map<number, BtfType>>;
  beforeAll(() => {
    btfs = new Map(OBJECTS.map((o) => [o, readBtf(o)]));
  });

  /** enum `name` from the BTF of every object, which must all have it (common.bpf.h keeps it). */
  function btfEnum(name: string): Map<string, number> {
    let out: Map<string, number> | undefined;
    for (const [obj, btf] of btfs) {
      const e = [...btf.values()].find((t) => t.kind === 'ENUM' && t.name === name);
      if (!e) throw new Error(`enum ${name} is not in the BTF of ${obj}`);
      const m = new Map(e.values!.map((v) => [v.name, v.val]));
      if (out) expect(Object.fromEntries(m)).toEqual(Object.fromEntries(out));
      out = m;
    }
    return out!;
  }

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
          // byte size and offset of every member, padding included
          expect({ where, member: m.name, size: sizeOf(btf, m.type_id), offset: m.bits_offset / 8 }).toEqual({
            where,
            member: m.name,
            size: FIELD_BYTES[f.type] * f.count,
            offset: f.offset,
          });
        }
        const cMembers = new Set(s.members!.map((m) => m.name));
        const extra = layout.fields.filter((f) => !cMembers.has(f.name)).map((f) => f.name);
        expect({ where, notInC: extra }).toEqual({ where, notInC: [] });
      }
    }
    if (found === 0) throw new Error(`struct ${cName} is in the BTF of none of ${OBJECTS.join(', ')}`);
  });

  test('enum nf_proto matches NfProto', () => {
    const fromC = Object.fromEntries([...btfEnum('nf_proto')].map(([k, v]) => [pascal(k, 'PROTO_'), v]));
    expect(fromC).toEqual(tsEnum(NfProto));
    expect(Object.keys(fromC)).toHaveLength(5);
    expect(btfEnum('nf_proto_slots').get('PROTO_SLOTS')).toBe(PROTO_SLOTS);
    expect(PROTO_SLOTS).toBe(Object.keys(fromC).length);
  });

  test('enum nf_event matches NfEvent and NF_EVENT_SLOTS', () => {
    const c = btfEnum('nf_event');
    expect(c.get('EV_MAX')).toBe(NF_EVENT_SLOTS);
    c.delete('EV_MAX');
    const fromC = Object.fromEntries([...c].map(([k, v]) => [pascal(k, 'EV_'), v]));
    expect(fromC).toEqual(tsEnum(NfEvent));
  });

  test('enum inflight_state matches InflightState', () => {
    const fromC = Object.fromEntries([...btfEnum('inflight_state')].map(([k, v]) => [pascal(k, 'INFLIGHT_'), v]));
    expect(fromC).toEqual(tsEnum(InflightState));
    expect(Object.keys(fromC)).toHaveLength(3);
  });

  test('enum nf_outcome matches NfOutcome', () => {
    const fromC = Object.fromEntries([...btfEnum('nf_outcome')].map(([k, v]) => [pascal(k, 'OUTCOME_'), v]));
    expect(fromC).toEqual(tsEnum(NfOutcome));
  });

  test('enum sbi_method matches SbiMethod, and SBI_STATUS_UNSEEN its C value', () => {
    const fromC = Object.fromEntries([...btfEnum('sbi_method')].map(([k, v]) => [pascal(k, 'SBI_METHOD_'), v]));
    expect(fromC).toEqual(tsEnum(SbiMethod));
    expect(btfEnum('sbi_status').get('SBI_STATUS_UNSEEN')).toBe(SBI_STATUS_UNSEEN);
  });

  test('enum fast_outcome matches FAST_OUTCOME_CODES', () => {
    const c = btfEnum('fast_outcome');
    expect(c.get('FAST_OUTCOMES')).toBe(FAST_OUTCOME_CODES.length);
    c.delete('FAST_OUTCOMES');
    // FAST_ACCEPTED_<code> = its index
    expect([...c].map(([k, v]) => [v, Number(/^FAST_ACCEPTED_(\d+)$/.exec(k)?.[1])])).toEqual(FAST_OUTCOME_CODES.map((code, i) => [i, code]));
  });

  test('histogram constants match nfscope.h', () => {
    const c = btfEnum('hist_layout');
    expect([c.get('HIST_SUB_BITS'), c.get('HIST_MIN_EXP'), c.get('HIST_MAX_EXP'), c.get('HIST_SLOTS')]).toEqual([HIST_SUB_BITS, HIST_MIN_EXP, HIST_MAX_EXP, HIST_SLOTS]);
    expect(HIST_SLOTS).toBe(2 + (HIST_MAX_EXP - HIST_MIN_EXP + 1) * (1 << HIST_SUB_BITS));
    expect(HIST_SLOTS).toBe(434);
    expect(HIST.fields.find((f) => f.name === 'slots')!.count).toBe(HIST_SLOTS);
  });

  test('NF_UNKNOWN, the port table and its transport slots match common.bpf.h', () => {
    expect(btfEnum('nf_id').get('NF_UNKNOWN')).toBe(NF_UNKNOWN);
    const l4 = btfEnum('l4_slot');
    expect(l4.get('L4_SLOTS')).toBe(PORT_TABLE_SLOTS);
    l4.delete('L4_SLOTS');
    expect(Object.fromEntries([...l4].map(([k, v]) => [pascal(k, 'L4_'), v]))).toEqual(tsEnum(L4Slot));
    for (const [obj, btf] of btfs) {
      const v = [...btf.values()].find((t) => t.kind === 'VAR' && t.name === 'port_proto');
      expect({ obj, bytes: v && sizeOf(btf, v.type_id!) }).toEqual({ obj, bytes: PORT_TABLE_BYTES });
    }
    expect(PORT_TABLE_BYTES).toBe(PORT_TABLE_SLOTS * 65536);
  });

  test('INFLIGHT_SLOTS is the size of the inflight table', () => {
    expect(btfEnum('inflight_slots').get('INFLIGHT_SLOTS')).toBe(INFLIGHT_SLOTS);
    // The map definition's max_entries member: a pointer to an array of that many elements.
    const btf = btfs.get('traffic.bpf.o')!;
    const v = [...btf.values()].find((t) => t.kind === 'VAR' && t.name === 'inflight')!;
    const def = btf.get(v.type_id!)!;
    const ptr = btf.get(def.members!.find((m) => m.name === 'max_entries')!.type_id)!;
    expect(btf.get(ptr.type_id!)!.nr_elems).toBe(INFLIGHT_SLOTS);
  });
});

test('arrays of wider types take their element size and decode to arrays', () => {
  const l = packed<{ a: number; x: number[] }>('arr', [
    ['a', 'u8'],
    ['x', 'u32', 2],
  ]);
  expect(l.size).toBe(12);
  expect(l.fields[1].offset).toBe(4);
  const buf = l.encode({ a: 7, x: [1, 0x01020304] });
  expect([...buf]).toEqual([7, 0, 0, 0, 1, 0, 0, 0, 4, 3, 2, 1]);
  expect(l.decode(buf)).toEqual({ a: 7, x: [1, 0x01020304] });
  expect(() => l.encode({ a: 1, x: [1] })).toThrow('arr.x must have 2 elements');
});
