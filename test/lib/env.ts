/**
 * What the integration tests need from the machine, and how they gate on it:
 * outside CI a test that needs root skips when a prerequisite is missing; with
 * CI=true the same gap fails the run.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const REPO = path.resolve(__dirname, '../..');
/** The `nfscope` command (@nfscope/cli). */
export const NFSCOPE_BIN = path.join(REPO, 'cli/bin/nfscope.js');
/** `nfscope exporter`: what node runs to start the exporter. */
export const EXPORTER_CMD = [NFSCOPE_BIN, 'exporter'];
/** nfscope-exporter, the exporter's older command name, which stays as an alias. */
export const EXPORTER_BIN = path.join(REPO, 'exporter/bin/nfscope-exporter.js');
export const BPF_DIR = path.join(REPO, 'bpf/build');
/** The pinned vmlinux.h of this machine's architecture (bpf/vmlinux/<uname -m>/), which every eBPF object includes. */
export const VMLINUX_DIR = path.join(REPO, 'bpf', 'vmlinux', process.arch === 'arm64' ? 'aarch64' : 'x86_64');
export const SEND_UDP = path.join(REPO, 'test/tools/send-udp.js');

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why root tests cannot run here, or null when they can. */
export function rootTestProblem(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (eBPF, tc, network namespaces)';
  for (const f of [
    path.join(BPF_DIR, 'drops.bpf.o'),
    path.join(BPF_DIR, 'traffic.bpf.o'),
    path.join(REPO, 'exporter/build/Release/nfscope_bpf.node'),
    path.join(REPO, 'exporter/dist/main.js'),
    path.join(REPO, 'cli/dist/main.js'),
    path.join(REPO, 'top/dist/top.js'),
    path.join(REPO, 'sim/dist/cli.js'),
  ]) {
    if (!fs.existsSync(f)) return `${path.relative(REPO, f)} is not built (run scripts/test.sh or npm run build)`;
  }
  if (!fs.existsSync('/sys/kernel/btf/vmlinux')) return 'kernel has no BTF';
  for (const cmd of ['ip', 'tc']) if (!has(cmd)) return `${cmd} (iproute2) is not installed`;
  return null;
}

/** Why tests that only need network namespaces (root and iproute2, no eBPF) cannot run here, or null when they can. */
export function netnsTestProblem(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, veth pairs, a bridge)';
  if (!has('ip')) return 'ip (iproute2) is not installed';
  return null;
}

/**
 * describe() gated on a prerequisite: `problem` is null when the tests can
 * run, else what is missing. Outside CI a missing prerequisite skips the
 * block (its name says why); with CI=true it fails the run instead, with one
 * test named "prerequisites" carrying the reason. The one gate of nfscope's
 * tests: describeRoot below and describeWithTools (tools.ts) are this with
 * their own checks.
 */
export function describeGated(name: string, problem: string | null, fn: () => void): void {
  if (!problem) {
    describe(name, fn);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      test('prerequisites', () => {
        throw new Error(`cannot run in CI: ${problem}`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${problem})`, fn);
  }
}

/**
 * describe() for tests that need root and the built project (rootTestProblem);
 * `needs` names a narrower check, e.g. netnsTestProblem for tests that only
 * make namespaces.
 */
export function describeRoot(name: string, fn: () => void, needs: () => string | null = rootTestProblem): void {
  describeGated(name, needs(), fn);
}

/** Polls fn until it returns a value that is not undefined, or throws after timeoutMs with the last reason. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 10000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
