/**
 * What the exporter needs from the kernel and the process before it touches
 * anything: BTF, and the capabilities to load eBPF programs and attach tc.
 */
import * as fs from 'fs';

export const KERNEL_BTF = '/sys/kernel/btf/vmlinux';

const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

/** Effective capability set of this process, from /proc/self/status. */
export function effectiveCapabilities(status = fs.readFileSync('/proc/self/status', 'utf8')): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  if (!m) throw new Error('cannot read the effective capabilities from /proc/self/status');
  return BigInt(`0x${m[1]}`);
}

/** Names of the capabilities missing from `caps`; CAP_SYS_ADMIN stands in for CAP_BPF + CAP_PERFMON (kernels before 5.8). */
export function missingCapabilities(caps: bigint): string[] {
  const has = (bit: bigint) => (caps >> bit) & 1n;
  const missing: string[] = [];
  if (!has(CAP_SYS_ADMIN)) {
    if (!has(CAP_BPF)) missing.push('CAP_BPF');
    if (!has(CAP_PERFMON)) missing.push('CAP_PERFMON');
  }
  if (!has(CAP_NET_ADMIN)) missing.push('CAP_NET_ADMIN');
  return missing;
}

/** One line per missing prerequisite; empty when the exporter can start. */
export function preflight(btfPath = KERNEL_BTF, caps = effectiveCapabilities()): string[] {
  const problems: string[] = [];
  const missing = missingCapabilities(caps);
  if (missing.length > 0) {
    problems.push(`missing privileges: run as root or with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (missing: ${missing.join(', ')})`);
  }
  if (!fs.existsSync(btfPath)) {
    problems.push(`kernel BTF not found at ${btfPath}: nfscope needs a kernel built with CONFIG_DEBUG_INFO_BTF=y`);
  }
  return problems;
}
