/**
 * The two candidate slots of a request in the kernel's in-flight table, as
 * bpf/latency.bpf.h inflight_index computes them: a mirror for the tests
 * (the slot distribution of many peers, and where the kernel must have put a
 * request). The kernel's table is the truth; test/inflight.test.ts checks
 * this mirror against it.
 */
import { type FlowSeq, INFLIGHT_SLOTS, NfProto } from './layout';

/** Slots of the `inflight` table (nfscope.h INFLIGHT_SLOTS). */
export { INFLIGHT_SLOTS };

const MASK64 = (1n << 64n) - 1n;
const K1 = 0x9e3779b97f4a7c15n;
const K2 = 0xc4ceb9fe1a85ec53n;

/** inflight_absorb: one 64-bit word into the hash, a multiply and a fold. */
function absorb(h: bigint, w: bigint): bigint {
  const x = ((h ^ w) * K1) & MASK64;
  return x ^ (x >> 32n);
}

/**
 * The two candidate slots [i1, i2] of request `f`. The four address words are
 * read in the kernel's native byte order, little-endian on the machines
 * nfscope runs on (x86-64, arm64).
 */
export function inflightIndex(f: Pick<FlowSeq, 'saddr' | 'daddr' | 'sport' | 'dport' | 'seq' | 'proto'>): [number, number] {
  if (f.saddr.length !== 16 || f.daddr.length !== 16) throw new Error(`inflightIndex: addresses must be 16 octets (IPv4-mapped for IPv4), not ${f.saddr.length} and ${f.daddr.length}`);
  const run = f.proto === NfProto.Sbi ? f.seq >>> 1 : f.seq >>> 0;
  let h = (BigInt(f.sport & 0xffff) << 32n) | (BigInt(f.dport & 0xffff) << 16n) | BigInt(f.proto & 0xff);
  for (const w of [f.saddr.readBigUInt64LE(0), f.saddr.readBigUInt64LE(8), f.daddr.readBigUInt64LE(0), f.daddr.readBigUInt64LE(8)]) h = absorb(h, w);
  h = (h * K2) & MASK64;
  h = ((h ^ (h >> 29n)) * K1) & MASK64;
  const slot = (field: bigint) => (Number(field & 0xffffn) + run) % INFLIGHT_SLOTS;
  return [slot(h >> 48n), slot(h >> 32n)];
}
