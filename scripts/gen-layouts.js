#!/usr/bin/env node
'use strict';
/**
 * Generates exporter/src/kernel/layout.gen.ts, the TypeScript side of every
 * struct, enum and constant the exporter shares with the eBPF programs, from
 * the BTF of the compiled objects (bpf/build/*.bpf.o), read with
 * `bpftool btf dump file OBJ format raw -j`. Sizes and offsets are the ones
 * clang gave the programs; a layout that differs between two objects is an
 * error.
 *
 *   node scripts/gen-layouts.js            write the file (npm run gen builds the objects first)
 *   node scripts/gen-layouts.js --check    exit 1 when the committed file differs
 *
 * exporter/src/kernel/layout.test.ts runs the same generation and fails when
 * the committed file is not its output.
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const { parseArgs } = require('node:util');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'exporter/src/kernel/layout.gen.ts');
const OBJECTS = ['drops.bpf.o', 'traffic.bpf.o'].map((o) => path.join(ROOT, 'bpf/build', o));

/** The structs userspace reads or writes (bpf/nfscope.h), in the order they are emitted. */
const STRUCTS = ['addr_key', 'drop_key', 'traffic_key', 'traffic_val', 'lat_key', 'hist', 'outcome_key', 'nf_pair_cached', 'flow_seq', 'inflight_slot', 'h2_dir', 'h2_conn'];

/**
 * Enums emitted as TypeScript enums: enumerators lose their prefix and become
 * PascalCase (PROTO_OTHER → Other). A `limit` enumerator is not a member but a
 * count, emitted as a constant of the given name.
 */
const ENUMS = [
  { c: 'nf_proto', ts: 'NfProto', prefix: 'PROTO_' },
  { c: 'nf_event', ts: 'NfEvent', prefix: 'EV_', limit: ['EV_MAX', 'NF_EVENT_SLOTS'], doc: 'indexes of the per-CPU `events` array' },
  { c: 'nf_outcome', ts: 'NfOutcome', prefix: 'OUTCOME_' },
  { c: 'inflight_state', ts: 'InflightState', prefix: 'INFLIGHT_', doc: 'the state of a slot of the in-flight table' },
  { c: 'sbi_method', ts: 'SbiMethod', prefix: 'SBI_METHOD_', doc: 'lat_key.procedure of SBI series' },
  { c: 'l4_slot', ts: 'L4Slot', prefix: 'L4_', limit: ['L4_SLOTS', 'PORT_TABLE_SLOTS'], doc: 'transport slots of the port table `port_proto` (common.bpf.h)' },
];

/** Enums that only name constants: each enumerator becomes `export const NAME = value`. */
const CONSTANT_ENUMS = ['nf_id', 'nf_proto_slots', 'hist_layout', 'sbi_status', 'inflight_slots'];

/** Members whose C integer holds an enum: their TypeScript type. */
const ENUM_MEMBERS = { proto: 'NfProto', outcome: 'NfOutcome', state: 'InflightState' };

/** Variables whose byte size userspace needs: the constant's name. */
const VARIABLES = [{ c: 'port_proto', ts: 'PORT_TABLE_BYTES', doc: 'bytes of the port table `port_proto` (common.bpf.h): one per (transport slot, port)' }];

const INT_TYPES = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };

/** The BTF of an object as bpftool prints it: { name, types: Map<id, type> }. */
function readBtf(file) {
  if (!fs.existsSync(file)) throw new Error(`${file} not found: build the eBPF objects first (make -C bpf)`);
  let json;
  try {
    json = execFileSync('bpftool', ['btf', 'dump', 'file', file, 'format', 'raw', '-j'], { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`bpftool btf dump file ${file}: ${e.stderr ? String(e.stderr).trim() : e.message}`);
  }
  return btfFromJson(path.basename(file), JSON.parse(json));
}

function btfFromJson(name, json) {
  if (!json || !Array.isArray(json.types)) throw new Error(`${name}: no BTF types in bpftool's output`);
  return { name, types: new Map(json.types.map((t) => [t.id, t])) };
}

function typeOf(btf, id, where) {
  const t = btf.types.get(id);
  if (!t) throw new Error(`${btf.name}: ${where}: BTF type ${id} not found`);
  return t;
}

/** Through typedefs and qualifiers to the type itself. */
function resolve(btf, id, where) {
  let t = typeOf(btf, id, where);
  while (t.kind === 'TYPEDEF' || t.kind === 'CONST' || t.kind === 'VOLATILE' || t.kind === 'RESTRICT') t = typeOf(btf, t.type_id, where);
  return t;
}

function byteSize(btf, id, where) {
  const t = resolve(btf, id, where);
  if (t.kind === 'ARRAY') return t.nr_elems * byteSize(btf, t.type_id, where);
  if (t.kind === 'INT' || t.kind === 'STRUCT' || t.kind === 'UNION' || t.kind === 'ENUM' || t.kind === 'ENUM64') return t.size;
  throw new Error(`${btf.name}: ${where}: no size for BTF kind ${t.kind}`);
}

/** A struct member as a field of struct.ts: integer type, element count, and for arrays of structs the element and dimensions. */
function member(btf, m, where) {
  if (m.bitfield_size) throw new Error(`${btf.name}: ${where}: bit fields are not supported`);
  if (m.bits_offset % 8 !== 0) throw new Error(`${btf.name}: ${where}: not at a byte boundary`);
  const offset = m.bits_offset / 8;
  const dims = [];
  let t = resolve(btf, m.type_id, where);
  while (t.kind === 'ARRAY') {
    dims.push(t.nr_elems);
    t = resolve(btf, t.type_id, where);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (t.kind === 'INT' || t.kind === 'ENUM') {
    const type = INT_TYPES[t.size];
    if (!type) throw new Error(`${btf.name}: ${where}: ${t.size}-byte integers are not supported`);
    if (t.kind === 'INT' && t.encoding === 'SIGNED') throw new Error(`${btf.name}: ${where}: signed integers are not supported (use __u8 … __u64)`);
    return { name: m.name, type, count, offset };
  }
  if (t.kind === 'STRUCT') {
    // An array of structs of one unsigned integer type, without padding, is an array of that
    // integer (struct traffic_val [2][5] → 20 × u64); any other struct array is its bytes.
    const ints = t.members.map((x) => resolve(btf, x.type_id, `${where}.${x.name}`));
    const same = ints.every((x) => x.kind === 'INT' && x.encoding !== 'SIGNED' && x.size === ints[0].size && INT_TYPES[x.size]);
    const packed = same && ints.length > 0 && t.members.every((x, i) => !x.bitfield_size && x.bits_offset === i * ints[0].size * 8) && t.size === ints.length * ints[0].size;
    if (packed) return { name: m.name, type: INT_TYPES[ints[0].size], count: count * ints.length, offset, struct: t.name, dims };
    return { name: m.name, type: 'u8', count: count * t.size, offset, struct: t.name, dims };
  }
  throw new Error(`${btf.name}: ${where}: BTF kind ${t.kind} is not supported`);
}

function findNamed(btf, kinds, name) {
  return [...btf.types.values()].filter((t) => kinds.includes(t.kind) && t.name === name);
}

/**
 * One description of a named struct, enum or variable from every object that
 * has it; they must all agree. Returns undefined when no object has it.
 */
function agreed(btfs, what, describe) {
  let first;
  for (const btf of btfs) {
    for (const d of describe(btf)) {
      if (!first) first = { d, from: btf.name };
      else if (JSON.stringify(d) !== JSON.stringify(first.d)) throw new Error(`${what} differs between ${first.from} and ${btf.name}: ${JSON.stringify(first.d)} vs ${JSON.stringify(d)}`);
    }
  }
  return first && first.d;
}

function structOf(btfs, name) {
  const s = agreed(btfs, `struct ${name}`, (btf) =>
    findNamed(btf, ['STRUCT'], name).map((t) => ({ size: t.size, fields: t.members.map((m) => member(btf, m, `struct ${name}.${m.name}`)) })),
  );
  if (!s) throw new Error(`struct ${name} is in the BTF of none of ${btfs.map((b) => b.name).join(', ')}`);
  return s;
}

function enumOf(btfs, name) {
  const e = agreed(btfs, `enum ${name}`, (btf) => findNamed(btf, ['ENUM', 'ENUM64'], name).map((t) => t.values.map((v) => [v.name, v.val])));
  if (!e) throw new Error(`enum ${name} is in the BTF of none of ${btfs.map((b) => b.name).join(', ')} (is a variable or member of its type declared? see bpf/common.bpf.h)`);
  return e;
}

function variableSize(btfs, name) {
  const size = agreed(btfs, `variable ${name}`, (btf) => findNamed(btf, ['VAR'], name).map((v) => byteSize(btf, v.type_id, `variable ${name}`)));
  if (size === undefined) throw new Error(`variable ${name} is in the BTF of none of ${btfs.map((b) => b.name).join(', ')}`);
  return size;
}

/** PROTO_OTHER → Other */
function pascal(cName, prefix, where) {
  if (!cName.startsWith(prefix)) throw new Error(`${where}: enumerator ${cName} does not start with ${prefix}`);
  return cName
    .slice(prefix.length)
    .toLowerCase()
    .split('_')
    .map((w) => (/^\d/.test(w) ? `_${w}` : w[0].toUpperCase() + w.slice(1)))
    .join('');
}

const upper = (c) => c.toUpperCase();
const typeName = (c) => pascal(c.toUpperCase(), '', c);

function tsType(f) {
  if (f.type === 'u8' && f.count > 1) return 'Buffer';
  const scalar = ENUM_MEMBERS[f.name] && f.count === 1 ? ENUM_MEMBERS[f.name] : f.type === 'u64' ? 'bigint' : 'number';
  return f.count > 1 ? `${scalar}[]` : scalar;
}

function fieldLiteral(f) {
  const extra = f.struct ? `, struct: '${f.struct}', dims: [${f.dims.join(', ')}]` : '';
  return `{ name: '${f.name}', type: '${f.type}', count: ${f.count}, offset: ${f.offset}${extra} }`;
}

/** The text of layout.gen.ts from the BTF of the objects. */
function generate(btfs) {
  const out = [];
  out.push(`// Code generated by scripts/gen-layouts.js from the BTF of ${btfs.map((b) => b.name).join(', ')} (bpf/build). DO NOT EDIT.`);
  out.push('// After changing a shared struct, enum or constant (bpf/nfscope.h, bpf/common.bpf.h), run `npm run gen`;');
  out.push('// exporter/src/kernel/layout.test.ts fails while this file differs from what the objects say.');
  out.push("import { structLayout, type StructLayout } from './struct';");

  for (const e of ENUMS) {
    const values = enumOf(btfs, e.c);
    const where = `enum ${e.c}`;
    const members = values.filter(([n]) => !e.limit || n !== e.limit[0]);
    out.push('', `/** enum ${e.c}${e.doc ? `: ${e.doc}` : ''} */`, `export enum ${e.ts} {`);
    for (const [n, v] of members) out.push(`  ${pascal(n, e.prefix, where)} = ${v},`);
    out.push('}');
    if (e.limit) {
      const lim = values.find(([n]) => n === e.limit[0]);
      if (!lim) throw new Error(`${where}: no enumerator ${e.limit[0]}`);
      if (members.some(([, v]) => v >= lim[1])) throw new Error(`${where}: an enumerator is not below ${e.limit[0]} (${lim[1]})`);
      out.push(`/** ${e.limit[0]} */`, `export const ${e.limit[1]} = ${lim[1]};`);
    }
  }

  for (const c of CONSTANT_ENUMS) {
    out.push('', `/** enum ${c} */`);
    for (const [n, v] of enumOf(btfs, c)) out.push(`export const ${n} = ${v};`);
  }

  // enum fast_outcome: FAST_ACCEPTED_<code> = its index, FAST_OUTCOMES = how many.
  const fast = enumOf(btfs, 'fast_outcome');
  const codes = [];
  for (const [n, v] of fast) {
    if (n === 'FAST_OUTCOMES') continue;
    const m = /^FAST_ACCEPTED_(\d+)$/.exec(n);
    if (!m) throw new Error(`enum fast_outcome: enumerator ${n} is not FAST_ACCEPTED_<code>`);
    codes[v] = Number(m[1]);
  }
  const count = fast.find(([n]) => n === 'FAST_OUTCOMES');
  if (!count || count[1] !== codes.length || codes.includes(undefined)) throw new Error('enum fast_outcome: FAST_ACCEPTED_<code> must number 0 … FAST_OUTCOMES - 1');
  out.push(
    '',
    '/**',
    ' * enum fast_outcome: the accepted outcomes a series counts in its histogram',
    ' * value (struct hist .accepted) instead of the `outcomes` map; index i is',
    ' * "accepted" with code FAST_OUTCOME_CODES[i] (FAST_ACCEPTED_<code> = i).',
    ' */',
    `export const FAST_OUTCOME_CODES: readonly number[] = [${codes.join(', ')}];`,
  );

  for (const v of VARIABLES) out.push('', `/** ${v.doc} */`, `export const ${v.ts} = ${variableSize(btfs, v.c)};`);

  for (const name of STRUCTS) {
    const s = structOf(btfs, name);
    out.push('', `/** struct ${name}: ${s.size} bytes */`, `export interface ${typeName(name)} {`);
    for (const f of s.fields) if (!f.name.startsWith('pad')) out.push(`  ${f.name}: ${tsType(f)};`);
    out.push('}', `export const ${upper(name)} = structLayout<${typeName(name)}, ${s.fields.map((f) => `'${f.name}'`).join(' | ')}>('${name}', ${s.size}, [`);
    for (const f of s.fields) out.push(`  ${fieldLiteral(f)},`);
    out.push(']);');
  }

  out.push('', '/** Every struct shared with the programs. */', 'export const SHARED_LAYOUTS = [');
  for (const name of STRUCTS) out.push(`  ${upper(name)},`);
  out.push('] as StructLayout<object>[];', '');
  return out.join('\n');
}

const USAGE = 'usage: node scripts/gen-layouts.js [--check] [OBJECT.bpf.o ...]  (default: the objects in bpf/build)';

function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`gen-layouts: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const check = parsed.values.check === true;
  const files = parsed.positionals;
  const text = generate((files.length ? files : OBJECTS).map(readBtf));
  const rel = path.relative(process.cwd(), OUT);
  if (check) {
    const now = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
    if (now !== text) {
      process.stderr.write(`${rel} differs from the layouts in the objects' BTF: run \`npm run gen\` and commit it\n`);
      return 1;
    }
    process.stdout.write(`${rel}: up to date\n`);
    return 0;
  }
  fs.writeFileSync(OUT, text);
  process.stdout.write(`${rel}: ${STRUCTS.length} structs, ${ENUMS.length + CONSTANT_ENUMS.length + 1} enums\n`);
  return 0;
}

module.exports = { OBJECTS, OUT, btfFromJson, generate, readBtf };

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`gen-layouts: ${e.message}\n`);
    process.exitCode = 1;
  }
}
