import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocationNames, lookupSymbols } from './kallsyms';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-kallsyms-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

const KALLSYMS = [
  'ffffffff81000000 T _stext',
  'ffffffff81a0aff0 t __pfx_udp_destruct_common',
  'ffffffff81a0b000 t udp_destruct_common',
  'ffffffff81a0b400 T udp_destroy_sock',
  'ffffffff81a0b380 d some_data',
  'ffffffff81b00000 T ip6_mc_input',
  'ffffffffc0a01000 t vxlan_rcv\t[vxlan]',
  '',
].join('\n');

describe('lookupSymbols', () => {
  test('the nearest text symbol at or below each address; data symbols, padding and far addresses name nothing', () => {
    const f = file('a', KALLSYMS);
    const { names, hidden } = lookupSymbols(
      [0xffffffff81a0b0c0n, 0xffffffff81a0b3f0n, 0xffffffff81b00000n, 0xffffffffc0a01234n, 0xffffffff80000000n, 0xffffffff81b00000n + (2n << 20n), 0xffffffff81a0aff8n],
      f,
    );
    expect(hidden).toBe(false);
    expect([...names]).toEqual([
      [0xffffffff81a0b0c0n, 'udp_destruct_common'],
      [0xffffffff81a0b3f0n, 'udp_destruct_common'],
      [0xffffffff81b00000n, 'ip6_mc_input'],
      [0xffffffffc0a01234n, 'vxlan_rcv'],
      // in __pfx_udp_destruct_common: the function below it, _stext, is further than a symbol may span
    ]);
  });

  test('a file read in several chunks gives the same answer', () => {
    const filler = Array.from({ length: 60000 }, (_, i) => `ffffffff8${(0x1000000 + i * 16).toString(16).padStart(7, '0')} t filler_${i}`).join('\n');
    const f = file('b', `${filler}\n${KALLSYMS}`);
    expect(fs.statSync(f).size).toBeGreaterThan(1 << 20);
    expect(lookupSymbols([0xffffffff81a0b0c0n], f).names.get(0xffffffff81a0b0c0n)).toBe('udp_destruct_common');
  });

  test('addresses hidden by kptr_restrict (all zero) name nothing and say so', () => {
    const f = file('c', '0000000000000000 T _stext\n0000000000000000 t udp_destruct_common\n');
    expect(lookupSymbols([0xffffffff81a0b0c0n], f)).toEqual({ names: new Map(), hidden: true });
  });
});

describe('LocationNames', () => {
  test('each address is looked up once; the number of names is capped, the rest name nothing', () => {
    const f = file('d', KALLSYMS);
    const logs: string[] = [];
    const names = new LocationNames((m) => logs.push(m), 2, f);
    names.learn([0xffffffff81a0b0c0n, 0n]);
    expect(names.nameOf(0xffffffff81a0b0c0n)).toBe('udp_destruct_common');
    expect(names.nameOf(0n)).toBeUndefined();
    // The file changes: a known address is not looked up again, a new one is.
    fs.writeFileSync(f, KALLSYMS.replace(' t udp_destruct_common', ' t renamed'));
    names.learn([0xffffffff81a0b0c0n, 0xffffffff81a0b100n]);
    expect(names.nameOf(0xffffffff81a0b0c0n)).toBe('udp_destruct_common');
    expect(names.nameOf(0xffffffff81a0b100n)).toBe('renamed');
    // Two names held: a third is over the cap, another address of a held name is not.
    names.learn([0xffffffff81b00010n, 0xffffffff81a0b200n, 0xffffffffc0a01000n]);
    expect(names.nameOf(0xffffffff81b00010n)).toBeUndefined();
    expect(names.nameOf(0xffffffffc0a01000n)).toBeUndefined();
    expect(names.nameOf(0xffffffff81a0b200n)).toBe('renamed');
    expect(logs).toEqual([expect.stringMatching(/^unspecified drops come from more than 2 kernel functions: those beyond \(first ip6_mc_input\) count as plain NOT_SPECIFIED$/)]);
  });

  test('a file that cannot be read is said once and names nothing', () => {
    const logs: string[] = [];
    const names = new LocationNames((m) => logs.push(m), 8, path.join(dir, 'missing'));
    names.learn([1n]);
    names.learn([2n]);
    expect(names.nameOf(1n)).toBeUndefined();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^cannot read .*missing: ENOENT/);
  });
});
