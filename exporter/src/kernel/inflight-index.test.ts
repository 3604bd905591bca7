import { inflightIndex, INFLIGHT_SLOTS } from './inflight-index';
import { addressBytes, NfProto } from './layout';

/** A PFCP request from `from` to `to`, port 8805 to 8805, as the kernel keys it. */
const pfcp = (from: Buffer, to: Buffer, seq: number) => ({ saddr: from, daddr: to, sport: 8805, dport: 8805, seq, proto: NfProto.Pfcp });
/** A GTP-U Echo Request, port 2152 to 2152. */
const gtpu = (from: Buffer, to: Buffer, seq: number) => ({ saddr: from, daddr: to, sport: 2152, dport: 2152, seq, proto: NfProto.Gtpu });

/** The 16 octets of 198.18.x.y (IPv4-mapped). */
const peer = (i: number) => addressBytes(`198.18.${i >> 8}.${i & 0xff}`);

/** A small deterministic generator (xorshift32), so that a failure can be reproduced. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

describe('in-flight slot index (mirror of bpf/latency.bpf.h inflight_index)', () => {
  const SMF = addressBytes('198.19.0.1');
  const N = 65536; // every address of 198.18.0.0/16
  const slots = Array.from({ length: N }, (_, i) => inflightIndex(pfcp(peer(i), SMF, 4711)));

  test.each([
    ['PFCP, 8805 → 8805', slots],
    ['GTP-U, 2152 → 2152', Array.from({ length: N }, (_, i) => inflightIndex(gtpu(peer(i), SMF, 4711)))],
  ])('a /16 of peers with the same ports and sequence number spreads over the table as a random hash would (%s)', (what, slots) => {
    // N requests into N slots: a uniform hash leaves a fraction e^-1 of the slots empty, with a
    // standard deviation of sqrt(N (e^-1 - 2 e^-2)) ≈ 80 slots; a slot's load is Poisson(1), whose
    // maximum over 65 536 slots exceeds 11 with probability 6e-5.
    const sd = Math.sqrt(N * (Math.exp(-1) - 2 * Math.exp(-2)));
    const report: string[] = [];
    for (const which of [0, 1]) {
      const load = new Uint32Array(INFLIGHT_SLOTS);
      for (const s of slots) load[s[which]]++;
      const empty = load.filter((c) => c === 0).length;
      const max = Math.max(...load);
      // 256 coarse buckets of 256 slots, 256 requests expected in each: chi-square with 255
      // degrees of freedom, mean 255 and standard deviation sqrt(510) ≈ 22.6.
      const coarse = new Array<number>(256).fill(0);
      for (const s of slots) coarse[s[which] >> 8]++;
      const chi2 = coarse.reduce((a, c) => a + (c - 256) ** 2 / 256, 0);
      report.push(`i${which + 1}: ${empty} slots empty (uniform: ${Math.round(N * Math.exp(-1))} ± ${Math.round(sd)}), max load ${max}, chi-square ${chi2.toFixed(1)} (255 ± 22.6)`);
      expect(Math.abs(empty - N * Math.exp(-1))).toBeLessThan(6 * sd);
      expect(max).toBeLessThanOrEqual(11);
      expect(chi2).toBeLessThan(255 + 6 * Math.sqrt(510));
    }
    // The two candidates are independent: a request whose two are one slot, and two peers with
    // the same two, are each expected about once (Poisson(1): more than 8 with probability 1e-6).
    expect(slots.filter(([a, b]) => a === b).length).toBeLessThanOrEqual(8);
    const pairs = new Map<number, number>();
    for (const [a, b] of slots) {
      const k = Math.min(a, b) * INFLIGHT_SLOTS + Math.max(a, b);
      pairs.set(k, (pairs.get(k) ?? 0) + 1);
    }
    expect([...pairs.values()].reduce((a, c) => a + (c * (c - 1)) / 2, 0)).toBeLessThanOrEqual(8);
    process.stdout.write(`198.18.0.0/16 → 198.19.0.1, ${what}, one sequence number:\n  ${report.join('\n  ')}\n`);
  });

  test('the peers of one /24 in lockstep have unrelated slots', () => {
    // 254 peers: the chance that some two share a first slot is 1 − ∏(1 − k/65536) ≈ 39 %, that
    // one peer finds both of its slots among the other peers' 2·253 ≈ 6e-5 · 254: so both of a
    // peer's slots are never all taken, and i1 takes at least 250 distinct values.
    const first = new Set(slots.slice(1, 255).map(([a]) => a));
    expect(first.size).toBeGreaterThanOrEqual(250);
    for (let i = 1; i < 255; i++) {
      const others = new Set(slots.slice(1, 255).flatMap((s, j) => (j + 1 === i ? [] : s)));
      expect(others.has(slots[i][0]) && others.has(slots[i][1])).toBe(false);
    }
  });

  test("a flow's consecutive requests take consecutive slots (HTTP/2 streams go by two)", () => {
    const f = pfcp(peer(77), SMF, 0xfffffe);
    const [a, b] = inflightIndex(f);
    expect(inflightIndex({ ...f, seq: f.seq + 1 })).toEqual([(a + 1) % INFLIGHT_SLOTS, (b + 1) % INFLIGHT_SLOTS]);
    const sbi = { saddr: peer(5), daddr: SMF, sport: 40000, dport: 7777, seq: 1, proto: NfProto.Sbi };
    const [c, d] = inflightIndex(sbi);
    expect(inflightIndex({ ...sbi, seq: 3 })).toEqual([(c + 1) % INFLIGHT_SLOTS, (d + 1) % INFLIGHT_SLOTS]);
  });

  test('every bit of both addresses, both ports and the protocol reaches every bit of both slots', () => {
    // Strict avalanche: flipping one input bit flips each of the 32 slot bits with probability ½.
    // Over T random flows, a bit flips T/2 ± sqrt(T)/2 times; 6 standard deviations over the
    // 296 × 32 pairs of input and output bit leave a false failure at about 2e-5.
    const T = 600;
    const next = rng(0x5eed);
    const flows = Array.from({ length: T }, () => {
      const saddr = Buffer.alloc(16);
      const daddr = Buffer.alloc(16);
      for (let i = 0; i < 16; i++) {
        saddr[i] = next() & 0xff;
        daddr[i] = next() & 0xff;
      }
      return { saddr, daddr, sport: next() & 0xffff, dport: next() & 0xffff, seq: next() & 0xffffff, proto: next() & 0xff };
    });
    const base = flows.map((f) => inflightIndex(f));
    const weak: string[] = [];
    const tol = 6 * Math.sqrt(T / 4);
    for (let bit = 0; bit < 296; bit++) {
      const flips = new Array<number>(32).fill(0);
      flows.forEach((f, t) => {
        const g = { ...f, saddr: Buffer.from(f.saddr), daddr: Buffer.from(f.daddr) };
        if (bit < 128) g.saddr[bit >> 3] ^= 1 << (bit & 7);
        else if (bit < 256) g.daddr[(bit - 128) >> 3] ^= 1 << (bit & 7);
        else if (bit < 272) g.sport ^= 1 << (bit - 256);
        else if (bit < 288) g.dport ^= 1 << (bit - 272);
        else g.proto ^= 1 << (bit - 288);
        const [a, b] = inflightIndex(g);
        const d = ((a ^ base[t][0]) * INFLIGHT_SLOTS + (b ^ base[t][1])) >>> 0;
        for (let o = 0; o < 32; o++) if ((d >>> o) & 1) flips[o]++;
      });
      flips.forEach((c, o) => {
        if (Math.abs(c - T / 2) > tol) weak.push(`input bit ${bit} → slot bit ${o}: ${c} of ${T}`);
      });
    }
    expect(weak).toEqual([]);
  });

  test('addresses of the wrong length are refused, naming their lengths', () => {
    expect(() => inflightIndex({ ...pfcp(peer(1), SMF, 1), saddr: Buffer.alloc(4) })).toThrow('addresses must be 16 octets (IPv4-mapped for IPv4), not 4 and 16');
  });
});
