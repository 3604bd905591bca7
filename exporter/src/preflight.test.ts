import * as path from 'path';
import { effectiveCapabilities, missingCapabilities, preflight } from './preflight';

const bit = (n: number) => 1n << BigInt(n);
const CAP_NET_ADMIN = bit(12);
const CAP_SYS_ADMIN = bit(21);
const CAP_PERFMON = bit(38);
const CAP_BPF = bit(39);
/** What root has on Linux ≥ 5.9 (capabilities 0..40). */
const ROOT = 0x000001ffffffffffn;

const STATUS = `Name:\tnode
Umask:\t0022
State:\tS (sleeping)
Uid:\t0\t0\t0\t0
CapInh:\t0000000000000000
CapPrm:\t000001ffffffffff
CapEff:\t000000c000001000
CapBnd:\t000001ffffffffff
CapAmb:\t0000000000000000
NoNewPrivs:\t0
`;

describe('effectiveCapabilities', () => {
  test('reads CapEff, not the other sets', () => {
    expect(effectiveCapabilities(STATUS)).toBe(CAP_BPF | CAP_PERFMON | CAP_NET_ADMIN);
  });

  test('a text without CapEff throws', () => {
    expect(() => effectiveCapabilities('Name:\tnode\nCapPrm:\t0000000000000000\n')).toThrow(/effective capabilities/);
  });

  test('this process: a number', () => {
    expect(typeof effectiveCapabilities()).toBe('bigint');
  });
});

describe('missingCapabilities', () => {
  test.each([
    ['root (full set)', ROOT, []],
    ['root on a kernel before CAP_BPF (0..37)', 0x3fffffffffn, []],
    ['CAP_SYS_ADMIN + CAP_NET_ADMIN', CAP_SYS_ADMIN | CAP_NET_ADMIN, []],
    ['CAP_BPF + CAP_PERFMON + CAP_NET_ADMIN', CAP_BPF | CAP_PERFMON | CAP_NET_ADMIN, []],
    ['CAP_BPF + CAP_PERFMON only', CAP_BPF | CAP_PERFMON, ['CAP_NET_ADMIN']],
    ['CAP_BPF + CAP_NET_ADMIN', CAP_BPF | CAP_NET_ADMIN, ['CAP_PERFMON']],
    ['CAP_SYS_ADMIN only', CAP_SYS_ADMIN, ['CAP_NET_ADMIN']],
    ['nothing', 0n, ['CAP_BPF', 'CAP_PERFMON', 'CAP_NET_ADMIN']],
  ])('%s', (_name, caps, missing) => {
    expect(missingCapabilities(caps)).toEqual(missing);
  });
});

describe('preflight', () => {
  const noBtf = path.join(__dirname, 'no-such-dir', 'vmlinux');

  test('no capabilities and no BTF: two clear lines', () => {
    expect(preflight(noBtf, 0n)).toEqual([
      'missing privileges: run as root or with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (missing: CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN)',
      `kernel BTF not found at ${noBtf}: nfscope needs a kernel built with CONFIG_DEBUG_INFO_BTF=y`,
    ]);
  });

  test('only what is missing is named', () => {
    expect(preflight(__filename, CAP_BPF | CAP_PERFMON)).toEqual(['missing privileges: run as root or with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (missing: CAP_NET_ADMIN)']);
  });

  test('everything there: no problems', () => {
    // any existing file stands in for /sys/kernel/btf/vmlinux
    expect(preflight(__filename, ROOT)).toEqual([]);
  });
});
