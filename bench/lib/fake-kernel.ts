/**
 * A stand-in for the kernel's maps for the history benchmarks (history.ts,
 * history-state.ts): cumulative counters that grow as the eBPF maps do, and
 * the fill of 24 hours of history through the exporter's own HistoryFeed.
 * Not used by the exporter.
 */
import type { NfConfig } from '@nfscope/exporter/dist/config';
import type { Datapath } from '@nfscope/exporter/dist/datapath';
import { slotOf } from '@nfscope/exporter/dist/histogram';
import type { HistorySink, LatencySeriesLabels } from '@nfscope/exporter/dist/history/feed';
import { HIST_SLOTS, NfOutcome, NfProto, type LatKey } from '@nfscope/exporter/dist/kernel/layout';
import { NfTable } from '@nfscope/exporter/dist/nfs';

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type TrafficLabels = { src_nf: string; dst_nf: string; interface: string };

export interface FakePair {
  key: LatKey;
  median: number;
  probs: Array<[number, number]>;
  slots: number[];
  sumNs: number;
  accepted: number;
  rejected: number;
  packets: number;
  bytes: number;
  /** the series' labels, set by the benchmark before the feed is used */
  labels?: LatencySeriesLabels;
  /** requests (and, without reply, responses too) */
  traffic?: TrafficLabels;
  /** responses in a series of their own */
  reply?: TrafficLabels;
}

export interface FakeKernelOptions {
  /** SMFs and UPFs the pairs are made of (default: about twice as many SMFs as UPFs) */
  smfs?: number;
  upfs?: number;
  /** cause code of accepted requests ('1') */
  acceptedCode?: string;
  /** share of requests rejected (0.01) */
  rejectedShare?: number;
}

/**
 * Cumulative counters as the eBPF maps hold them: per pair a latency
 * histogram (log-normal latencies, a median per pair from 0.2 to 5 ms), its
 * sum, accepted/rejected outcomes, and packets/bytes per pair.
 */
export class FakeKernel {
  readonly nfs: NfConfig[] = [];
  readonly nfTable: NfTable;
  readonly reasons = { names: new Map([[2, 'NOT_SPECIFIED']]), notDropped: 0, consumed: 0, notSpecified: 2, enumerators: ['SKB_NOT_DROPPED_YET', 'SKB_DROP_REASON_NOT_SPECIFIED'] };
  readonly pairs: FakePair[] = [];
  readonly ready = true;
  private readonly acceptedCode: string;
  private readonly rejectedShare: number;
  private readonly rand = rng(7);

  constructor(
    pairs: number,
    readonly rate: number,
    opts: FakeKernelOptions = {},
  ) {
    this.acceptedCode = opts.acceptedCode ?? '1';
    this.rejectedShare = opts.rejectedShare ?? 0.01;
    const nSmf = opts.smfs ?? Math.ceil(Math.sqrt(pairs * 2));
    const nUpf = opts.upfs ?? Math.ceil(pairs / nSmf);
    for (let i = 0; i < nSmf; i++) this.nfs.push({ name: `smf-${i + 1}`, type: 'SMF', addresses: [`198.18.2.${i + 1}`] });
    for (let i = 0; i < nUpf; i++) this.nfs.push({ name: `upf-${i + 1}`, type: 'UPF', addresses: [`198.18.3.${i + 1}`] });
    this.nfTable = new NfTable(this.nfs);
    for (let c = 0; c < nSmf && this.pairs.length < pairs; c++) {
      for (let s = 0; s < nUpf && this.pairs.length < pairs; s++) {
        const median = 0.2e6 * 25 ** this.rand(); // 0.2 to 5 ms
        this.pairs.push({
          key: { client_nf: c + 1, server_nf: nSmf + s + 1, proto: NfProto.Pfcp, procedure: 1 },
          median,
          probs: this.slotProbs(median, 0.6),
          slots: new Array<number>(HIST_SLOTS).fill(0),
          sumNs: 0,
          accepted: 0,
          rejected: 0,
          packets: 0,
          bytes: 0,
        });
      }
    }
  }

  /** This stand-in where the collector and the HTTP app want the datapath (they call only the read methods below). */
  asDatapath(): Datapath {
    return this as unknown as Datapath;
  }

  /** Probability of each histogram slot under a log-normal (median, sigma), from 20 000 draws. */
  private slotProbs(median: number, sigma: number): Array<[number, number]> {
    const m = new Map<number, number>();
    for (let i = 0; i < 20000; i++) {
      const z = Math.sqrt(-2 * Math.log(1 - this.rand())) * Math.cos(2 * Math.PI * this.rand());
      const s = slotOf(median * Math.exp(sigma * z));
      m.set(s, (m.get(s) ?? 0) + 1 / 20000);
    }
    return [...m];
  }

  /** Counts of `seconds` of traffic: per slot the expected count with Poisson-like noise; fed to `feed` when given. */
  advance(seconds: number, feed?: HistorySink): void {
    for (const p of this.pairs) {
      const n = this.rate * seconds;
      let got = 0;
      const labels = p.labels!;
      for (const [slot, prob] of p.probs) {
        const mean = n * prob;
        const c = Math.max(0, Math.round(mean + Math.sqrt(mean) * (this.rand() * 2 - 1) * 1.7));
        if (c === 0) continue;
        p.slots[slot] += c;
        got += c;
        if (feed) feed.histogram(labels, slot, c);
      }
      const rej = Math.round(got * this.rejectedShare);
      p.sumNs += got * p.median;
      p.rejected += rej;
      p.accepted += got - rej;
      p.packets += 2 * got;
      p.bytes += 2 * got * 60;
      if (feed) {
        feed.latencySum(labels, got * p.median);
        feed.outcome(labels, 'accepted', this.acceptedCode, got - rej);
        if (rej > 0) feed.outcome(labels, 'rejected', '64', rej);
        // Requests and responses in one series, or (p.reply set) each direction its own.
        if (p.reply) {
          feed.traffic(p.traffic!, got, got * 60);
          feed.traffic(p.reply, got, got * 60);
        } else feed.traffic(p.traffic!, 2 * got, 2 * got * 60);
      }
    }
  }

  readHists(): Array<{ key: LatKey; slots: number[]; sumNs: number }> {
    // A copy, as the datapath makes one per read (the collector may keep what it is given).
    return this.pairs.map((p) => ({ key: p.key, slots: p.slots.slice(), sumNs: p.sumNs }));
  }
  readOutcomes(): Array<{ key: LatKey; outcome: NfOutcome; code: number; count: bigint }> {
    return this.pairs.flatMap((p) => [
      { key: p.key, outcome: NfOutcome.Accepted, code: 1, count: BigInt(p.accepted) },
      { key: p.key, outcome: NfOutcome.Rejected, code: 64, count: BigInt(p.rejected) },
    ]);
  }
  readTraffic(): Array<{ srcNf: number; dstNf: number; proto: NfProto; packets: bigint; bytes: bigint }> {
    return this.pairs.map((p) => ({ srcNf: p.key.client_nf, dstNf: p.key.server_nf, proto: NfProto.Pfcp, packets: BigInt(p.packets), bytes: BigInt(p.bytes) }));
  }
  readDrops(): never[] {
    return [];
  }
  locationName(): undefined {
    return undefined;
  }
  readRetransmissions(): never[] {
    return [];
  }
  sweepTimeouts(): never[] {
    return [];
  }
  readEvents(): bigint[] {
    return new Array<bigint>(8).fill(0n);
  }
  programs(): never[] {
    return [];
  }
  maps(): never[] {
    return [];
  }
  programStats(): string {
    return 'off';
  }
  attachedInterfaces(): never[] {
    return [];
  }
}

/**
 * 24 h of history ending at `end` (unix s), through the feed, reading less
 * often where only a coarse tier keeps the data: every 60 s for the oldest
 * 18 h (only the 1-minute tier reaches back that far), every 10 s until the
 * last 15 minutes, then every second. Each tier then holds exactly what
 * per-second reads would have left in it (a point of resolution r sums the
 * deltas of its r seconds either way). Returns the last second filled.
 */
export function fillHistory(kernel: { advance(seconds: number, feed?: HistorySink): void }, feed: HistorySink, end: number): number {
  const start = end - 86400;
  let t = start;
  const fill = (until: number, every: number): void => {
    for (; t + every <= until; t += every) {
      kernel.advance(every, feed);
      feed.commit(t + every);
    }
  };
  fill(start + 18 * 3600, 60);
  fill(end - 15 * 60, 10);
  fill(end, 1);
  return t;
}
