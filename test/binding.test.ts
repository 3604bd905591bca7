/**
 * The native libbpf binding against the real kernel: load, globals, verifier
 * errors, every attach kind, tc (tcx and clsact) next to other programs, maps
 * and run statistics. Fixtures are in test/fixtures.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BpfError, BpfLink, BpfObject, enableStats, kernelEnum, possibleCpus, sumPerCpu, tcxPrograms } from '../exporter/src/kernel/bpf';
import { BPF_DIR, describeRoot, REPO, VMLINUX_DIR } from './lib/env';

const ARCH = process.arch === 'arm64' ? 'arm64' : 'x86';

/** Compiles a fixture the way bpf/Makefile compiles the product's programs. */
function compileFixture(name: string, outDir: string): string {
  const out = path.join(outDir, `${name}.bpf.o`);
  execFileSync('clang', [
    '-g',
    '-O2',
    '-target',
    'bpf',
    `-D__TARGET_ARCH_${ARCH}`,
    `-I${BPF_DIR}`,
    `-I${VMLINUX_DIR}`,
    `-I${path.join(REPO, 'bpf')}`,
    '-c',
    path.join(REPO, 'test/fixtures', `${name}.bpf.c`),
    '-o',
    out,
  ]);
  return out;
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: number | bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};

function errorOf(fn: () => unknown): BpfError {
  try {
    fn();
  } catch (e) {
    return e as BpfError;
  }
  throw new Error('expected an error');
}

const SLOTS = ['tracepoint', 'tp_btf', 'kprobe'] as const;

/** Kernel lockdown mode ("none", "integrity", "confidentiality"), from securityfs. */
function lockdown(): string {
  const f = '/sys/kernel/security/lockdown';
  if (!fs.existsSync(f)) spawnSync('mount', ['-t', 'securityfs', 'none', '/sys/kernel/security']);
  const m = fs.existsSync(f) ? /\[(\w+)\]/.exec(fs.readFileSync(f, 'utf8')) : null;
  return m ? m[1] : 'none';
}

/** Kernels built without CONFIG_KPROBES have no kprobe PMU. */
const HAS_KPROBES = fs.existsSync('/sys/bus/event_source/devices/kprobe');

describeRoot('native libbpf binding', () => {
  let dir: string;
  let probePath: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-binding-'));
    probePath = compileFixture('probe', dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a missing object file is an error with errno', () => {
    const e = errorOf(() => BpfObject.open('/nonexistent/x.bpf.o'));
    expect(e).toBeInstanceOf(BpfError);
    expect(e.code).toBe('ENOENT');
    expect(e.errno).toBe(2);
    expect(e.message).toContain('/nonexistent/x.bpf.o');
  });

  test('a program the verifier rejects fails to load with the verifier log in the error', () => {
    const obj = BpfObject.open(compileFixture('reject', dir));
    try {
      const e = errorOf(() => obj.load());
      expect(e).toBeInstanceOf(BpfError);
      expect(e.code).toBe('EACCES');
      expect(e.libbpfLog).toMatch(/unchecked_read/);
      expect(e.libbpfLog).toMatch(/invalid access to packet/);
      expect(e.message).toContain('invalid access to packet');
    } finally {
      obj.close();
    }
  });

  describe('loaded probe object', () => {
    let obj: BpfObject;
    const links: BpfLink[] = [];

    beforeAll(() => {
      obj = BpfObject.open(probePath);
      obj.setGlobal('target_tgid', process.pid);
      obj.setGlobal('magic', 0xc0ffee123n);
      obj.load();
    });
    afterAll(() => {
      for (const l of links) l.detach();
      obj.close();
    });

    const hits = () => SLOTS.map((_, i) => Number(obj.map('hits').lookup(u32(i))!.readBigUInt64LE(0)));

    test('globals are set before load and checked for size', () => {
      expect(() => obj.setGlobal('magic', 1n)).toThrow(/already loaded/);
      const other = BpfObject.open(probePath);
      try {
        expect(() => other.setGlobal('magic', 5)).toThrow(/8 bytes, value has 4/);
        expect(() => other.setGlobal('no_such_global', 1)).toThrow(/no global variable 'no_such_global'/);
      } finally {
        other.close();
      }
    });

    const callGetpriority = (n: number) => {
      for (let i = 0; i < n; i++) os.getPriority(); // one getpriority() each
    };

    test('tracepoint and tp_btf programs attach, run and detach', () => {
      const stats = enableStats();
      try {
        links.push(obj.program('on_tracepoint').attachTracepoint('syscalls', 'sys_enter_getpriority'));
        links.push(obj.program('on_tp_btf').attach());
        expect(links.map((l) => l.attached)).toEqual([true, true]);
        const before = hits();
        const calls = 25;
        callGetpriority(calls);
        expect(hits().map((h, i) => h - before[i])).toEqual([calls, calls, 0]);
        expect(obj.map('seen_magic').lookup(u32(0))!.readBigUInt64LE(0)).toBe(0xc0ffee123n);
        expect(obj.program('on_tracepoint').stats().runCount).toBeGreaterThanOrEqual(calls);
        expect(obj.program('on_tracepoint').stats().runTimeNs).toBeGreaterThan(0);

        for (const l of links.splice(0)) l.detach();
        const after = hits();
        callGetpriority(10);
        expect(hits()).toEqual(after);
      } finally {
        stats.close();
      }
    });

    test(`kprobe programs ${HAS_KPROBES ? 'attach and run' : 'fail to attach with a clear error on this kernel (no CONFIG_KPROBES)'}`, () => {
      const attach = () => obj.program('on_kprobe').attachKprobe('__do_sys_getpriority');
      if (!HAS_KPROBES) {
        const e = errorOf(attach);
        expect(e).toBeInstanceOf(BpfError);
        expect(e.message).toContain('kprobe __do_sys_getpriority');
        return;
      }
      const link = attach();
      try {
        const before = hits()[2];
        callGetpriority(20);
        expect(hits()[2] - before).toBe(20);
      } finally {
        link.detach();
      }
    });

    const locked = lockdown() !== 'none';
    test(`fentry programs ${locked ? 'are refused with EPERM under kernel lockdown' : 'load, attach and run'}`, () => {
      const f = BpfObject.open(compileFixture('probe_fentry', dir));
      try {
        f.setGlobal('target_tgid', process.pid);
        if (locked) {
          const e = errorOf(() => f.load());
          expect(e.code).toBe('EPERM');
          expect(e.libbpfLog).toContain('on_fentry');
          return;
        }
        f.load();
        const link = f.program('on_fentry').attach();
        try {
          callGetpriority(15);
          expect(f.map('calls').lookup(u32(0))!.readBigUInt64LE(0)).toBe(15n);
        } finally {
          link.detach();
        }
      } finally {
        f.close();
      }
    });

    test('a wrong attach target is an error naming it', () => {
      const e = errorOf(() => obj.program('on_kprobe').attachKprobe('nfscope_no_such_function'));
      expect(e).toBeInstanceOf(BpfError);
      expect(e.message).toContain('nfscope_no_such_function');
    });

    test('hash map: update, lookup, iterate, fill, delete', () => {
      const m = obj.map('plain_hash');
      expect(m.fill()).toEqual({ entries: 0, capacity: 8 });
      for (let k = 1; k <= 5; k++) m.update(u32(k), u64(k * 100));
      expect(m.lookup(u32(3))!.readBigUInt64LE(0)).toBe(300n);
      expect(m.lookup(u32(99))).toBeNull();
      const entries = m.entries().map(([k, v]) => [k.readUInt32LE(0), Number(v.readBigUInt64LE(0))]);
      expect(entries.sort((a, b) => a[0] - b[0])).toEqual([1, 2, 3, 4, 5].map((k) => [k, k * 100]));
      expect(m.fill()).toEqual({ entries: 5, capacity: 8 });
      expect(m.delete(u32(3))).toBe(true);
      expect(m.delete(u32(3))).toBe(false);
      expect(m.keys().length).toBe(4);
      const e = errorOf(() => m.update(u32(1), u64(1), 1 /* BPF_NOEXIST */));
      expect(e.code).toBe('EEXIST');
      for (let k = 10; k < 14; k++) m.update(u32(k), u64(k));
      expect(errorOf(() => m.update(u32(20), u64(1))).code).toBe('E2BIG');
      expect(() => m.update(Buffer.alloc(3), u64(1))).toThrow(RangeError);
    });

    test('maps larger than a batch: every entry read once, with its value; fill counts them', () => {
      const m = obj.map('big_hash');
      for (let k = 0; k < 300; k++) m.update(u32(k), u64(k * 7 + 1));
      const entries = m.entries().map(([k, v]) => [k.readUInt32LE(0), Number(v.readBigUInt64LE(0))]);
      expect(entries.sort((a, b) => a[0] - b[0])).toEqual(Array.from({ length: 300 }, (_, k) => [k, k * 7 + 1]));
      expect(m.fill()).toEqual({ entries: 300, capacity: 1024 });
      for (let k = 0; k < 100; k++) m.delete(u32(k));
      expect(
        m
          .keys()
          .map((k) => k.readUInt32LE(0))
          .sort((a, b) => a - b),
      ).toEqual(Array.from({ length: 200 }, (_, k) => k + 100));
      const p = obj.map('big_percpu_hash');
      const n = possibleCpus();
      for (let k = 0; k < 130; k++)
        p.update(
          u32(k),
          Array.from({ length: n }, (_, c) => Buffer.concat([u64(k + c), u64(1000 * k)])),
        );
      const sums = new Map(p.entries().map(([k, v]) => [k.readUInt32LE(0), [Number(v.readBigUInt64LE(0)), Number(v.readBigUInt64LE(8))]]));
      expect(sums.size).toBe(130);
      for (let k = 0; k < 130; k++) expect(sums.get(k)).toEqual([n * k + (n * (n - 1)) / 2, n * 1000 * k]);
      expect(p.entriesPerCpu()).toHaveLength(130);
    });

    test('per-CPU map: values summed, or one per CPU on request', () => {
      const m = obj.map('percpu_hash');
      expect(m.perCpu).toBe(true);
      const n = possibleCpus();
      const perCpu = Array.from({ length: n }, (_, i) => Buffer.concat([u64(i + 1), u64(10 * (i + 1))]));
      m.update(u32(7), perCpu);
      const sumA = (n * (n + 1)) / 2;
      const summed = m.lookup(u32(7))!;
      expect(summed.readBigUInt64LE(0)).toBe(BigInt(sumA));
      expect(summed.readBigUInt64LE(8)).toBe(BigInt(10 * sumA));
      expect(m.lookupPerCpu(u32(7))!.map((b) => Number(b.readBigUInt64LE(0)))).toEqual(perCpu.map((b) => Number(b.readBigUInt64LE(0))));
      expect(m.entriesPerCpu()).toHaveLength(1);
      // entries() sums in the binding: the same words as sumPerCpu, modulo 2^64.
      const max = 0xffff_ffff_ffff_ffffn;
      const wrap = Array.from({ length: n }, (_, i) => {
        const b = Buffer.alloc(16);
        b.writeBigUInt64LE(max - BigInt(i), 0);
        b.writeBigUInt64LE(BigInt(i) << 32n, 8);
        return b;
      });
      m.update(u32(9), wrap);
      const byKey = new Map(m.entries().map(([k, v]) => [k.readUInt32LE(0), v]));
      expect([...byKey.keys()].sort()).toEqual([7, 9]);
      expect(byKey.get(7)!.equals(sumPerCpu(Buffer.concat(perCpu), 16))).toBe(true);
      expect(byKey.get(9)!.readBigUInt64LE(0)).toBe(
        BigInt.asUintN(
          64,
          wrap.reduce((a, b) => a + b.readBigUInt64LE(0), 0n),
        ),
      );
      expect(byKey.get(9)!.readBigUInt64LE(8)).toBe(wrap.reduce((a, b) => a + b.readBigUInt64LE(8), 0n));
      m.delete(u32(9));
      expect(() => m.update(u32(8), Buffer.alloc(16))).toThrow(/one value for each/);
    });

    describe('tc', () => {
      const ifname = `nfx${crypto.randomBytes(3).toString('hex')}`;
      let ifindex: number;
      const tcFilters = (dir: string) => execFileSync('tc', ['filter', 'show', 'dev', ifname, dir], { encoding: 'utf8' });

      beforeAll(() => {
        execFileSync('ip', ['link', 'add', ifname, 'type', 'veth', 'peer', 'name', `${ifname}p`]);
        execFileSync('ip', ['link', 'set', ifname, 'up']);
        ifindex = Number(fs.readFileSync(`/sys/class/net/${ifname}/ifindex`, 'utf8'));
      });
      afterAll(() => {
        spawnSync('ip', ['link', 'del', ifname]);
      });

      test('tcx links append after programs already there and detach alone', () => {
        const first = obj.program('tc_pass').attachTc(ifindex, 'ingress');
        const second = obj.program('tc_pass2').attachTc(ifindex, 'ingress');
        const egress = obj.program('tc_pass').attachTc(ifindex, 'egress');
        try {
          expect(first.kind).toBe('tcx');
          expect(tcxPrograms(ifindex, 'ingress')).toHaveLength(2);
          expect(tcxPrograms(ifindex, 'egress')).toHaveLength(1);
          first.detach();
          first.detach(); // idempotent
          expect(tcxPrograms(ifindex, 'ingress')).toHaveLength(1);
        } finally {
          second.detach();
          egress.detach();
        }
        expect(tcxPrograms(ifindex, 'ingress')).toEqual([]);
        expect(tcxPrograms(ifindex, 'egress')).toEqual([]);
      });

      test('clsact filters leave other filters alone and replace themselves in place', () => {
        // Someone else's filter on the same hook, at another handle and priority.
        const other = obj.program('tc_pass').attachTc(ifindex, 'ingress', { tcx: false, handle: 1, priority: 1 });
        const a = obj.program('tc_pass').attachTc(ifindex, 'ingress', { tcx: false });
        expect(a.kind).toBe('clsact');
        // A second attach at the same handle and priority (a restart after a crash) replaces, never adds.
        const b = obj.program('tc_pass2').attachTc(ifindex, 'ingress', { tcx: false });
        const bpfFilters = () => tcFilters('ingress').match(/ bpf .* handle .*/g) ?? [];
        expect(bpfFilters()).toHaveLength(2);
        expect(bpfFilters().filter((f) => f.includes('tc_pass2'))).toHaveLength(1);
        b.detach();
        a.detach(); // already replaced: detaching again is not an error
        expect(bpfFilters()).toHaveLength(1);
        expect(bpfFilters()[0]).toContain('handle 0x1 ');
        other.detach();
        expect(bpfFilters()).toEqual([]);
      });
    });
  });

  test('kernel enums come from BTF', () => {
    const reasons = kernelEnum('skb_drop_reason');
    expect(reasons.get('SKB_NOT_DROPPED_YET')).toBe(0);
    expect(reasons.has('SKB_DROP_REASON_NO_SOCKET')).toBe(true);
    expect(reasons.has('SKB_DROP_REASON_UDP_CSUM')).toBe(true);
    expect(errorOf(() => kernelEnum('nfscope_no_such_enum')).code).toBe('ENOENT');
  });
});
