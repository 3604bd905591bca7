import type { SummaryAnswer } from '@nfscope/api';
import * as os from 'os';
import { Collector, DeltaTracker, dropLabels, VERSION } from './collector';
import type { Datapath, DropSample, HistSample, MapStatus, OutcomeSample, ProgramStatus, RetransSample, TrafficSample } from './datapath';
import { readDropReasons } from './datapath';
import { DropClassifier } from './drop-class';
import { slotBounds, slotOf } from './histogram';
import { FAST_OUTCOME_CODES, HIST_SLOTS, type LatKey, NfEvent, NfOutcome, NfProto } from './kernel/layout';
import { NfTable } from './nfs';
import { HistoryFeed } from './history/feed';
import { HistoryStore } from './history/store';
import { storeSummary } from './query/api';

const REASONS = readDropReasons(
  new Map([
    ['SKB_NOT_DROPPED_YET', 0],
    ['SKB_CONSUMED', 1],
    ['SKB_DROP_REASON_NOT_SPECIFIED', 2],
    ['SKB_DROP_REASON_NO_SOCKET', 3],
    ['SKB_DROP_REASON_UDP_CSUM', 4],
    ['SKB_DROP_REASON_OTHERHOST', 5],
  ]),
);
const CLASSES = new DropClassifier();
// ids: smf-1 1, upf-1 2, gnb-1 3
const NF_LIST = [
  { name: 'smf-1', type: 'SMF', addresses: ['198.18.0.10'] },
  { name: 'upf-1', type: 'UPF', addresses: ['198.18.0.20'] },
  { name: 'gnb-1', type: 'gNB', addresses: ['198.18.0.30'] },
];
const NFS = new NfTable(NF_LIST);

/** The summary as these tests read it: the contract's answer (@nfscope/api). */
type Summary = Pick<SummaryAnswer, 'latency' | 'drops'>;

/**
 * The history a collector feeds, wired as main.ts does, and the summary
 * /api/v1/summary answers from it over windowS seconds at nowMs.
 */
function withHistory(c: Collector): (windowS: number, nowMs: number) => Promise<Summary> {
  const store = new HistoryStore();
  const feed = new HistoryFeed(store, { node: c.node, nfs: NF_LIST });
  c.history = feed;
  return async (windowS, nowMs) => (await storeSummary({ store, node: c.node, hosted: feed.hosted, peers: { peers: [], timeoutMs: 1000 }, now: () => nowMs }, windowS, 'node')) as unknown as Summary;
}

const m = (entries: Record<string, number>) => new Map(Object.entries(entries));

describe('DeltaTracker', () => {
  test('the first reading is all new, then only growth counts', () => {
    const t = new DeltaTracker();
    expect(t.update(m({ a: 5, b: 0 }))).toEqual(m({ a: 5 }));
    expect(t.update(m({ a: 8, b: 2 }))).toEqual(m({ a: 3, b: 2 }));
  });

  test('no change, no delta', () => {
    const t = new DeltaTracker();
    t.update(m({ a: 5 }));
    expect(t.update(m({ a: 5 }))).toEqual(new Map());
  });

  test('a counter that went down restarted: its new total is the delta', () => {
    const t = new DeltaTracker();
    t.update(m({ a: 100 }));
    expect(t.update(m({ a: 7 }))).toEqual(m({ a: 7 }));
    expect(t.update(m({ a: 9 }))).toEqual(m({ a: 2 }));
  });

  test('a key that vanished starts from zero when it comes back', () => {
    const t = new DeltaTracker();
    t.update(m({ a: 4, b: 10 }));
    expect(t.update(m({ b: 11 }))).toEqual(m({ b: 1 }));
    expect(t.update(m({ a: 4, b: 11 }))).toEqual(m({ a: 4 }));
  });
});

describe('dropLabels', () => {
  test('reason names come from the given map, without the prefix', () => {
    expect(dropLabels(NFS, REASONS, { srcNf: 3, dstNf: 2, proto: NfProto.Gtpu, reason: 3 }, CLASSES)).toEqual({
      nf: 'upf-1',
      nf_type: 'UPF',
      peer_nf: 'gnb-1',
      interface: 'N3',
      reason: 'NO_SOCKET',
      class: 'loss',
    });
    expect(dropLabels(NFS, REASONS, { srcNf: 3, dstNf: 2, proto: NfProto.Gtpu, reason: 5 }, CLASSES).class).toBe('benign');
  });

  test('an unspecified reason names the function at its location when one is known; the config may reclassify it', () => {
    const names = new Map([[0xffffffff81a0b0c0n, 'udp_destruct_common']]);
    const at = (location: bigint, c = CLASSES) => dropLabels(NFS, REASONS, { srcNf: 3, dstNf: 2, proto: NfProto.Gtpu, reason: 2, location }, c, (a) => names.get(a));
    expect(at(0xffffffff81a0b0c0n)).toMatchObject({ reason: 'NOT_SPECIFIED@udp_destruct_common', class: 'loss' });
    expect(at(0xffffffff81ffffffn)).toMatchObject({ reason: 'NOT_SPECIFIED', class: 'loss' });
    const benignThere = new DropClassifier({ benignReasons: ['NOT_SPECIFIED@udp_destruct_common'], lossReasons: [] });
    expect(at(0xffffffff81a0b0c0n, benignThere)).toMatchObject({ reason: 'NOT_SPECIFIED@udp_destruct_common', class: 'benign' });
    expect(at(0xffffffff81ffffffn, benignThere).class).toBe('loss');
  });

  test('an unknown destination: the sender owns the drop; unknown reason numbers are reason_<n>', () => {
    expect(dropLabels(NFS, REASONS, { srcNf: 1, dstNf: 0, proto: NfProto.Pfcp, reason: 77 }, CLASSES)).toEqual({
      nf: 'smf-1',
      nf_type: 'SMF',
      peer_nf: 'unknown',
      interface: 'N4',
      reason: 'reason_77',
      class: 'loss',
    });
  });
});

describe('Collector', () => {
  /** What the fake kernel holds; tests change it between ticks. */
  interface FakeState {
    drops: DropSample[];
    traffic: TrafficSample[];
    errors: bigint[];
    programs: ProgramStatus[];
    maps: MapStatus[];
    hists?: HistSample[];
    outcomes?: OutcomeSample[];
    retrans?: RetransSample[];
    timeouts?: LatKey[];
  }

  function fakeDatapath(state: FakeState): Datapath {
    const fake = {
      nfTable: NFS,
      reasons: REASONS,
      readDrops: () => state.drops,
      locationName: () => undefined,
      readTraffic: () => state.traffic,
      readEvents: () => state.errors,
      readHists: () => state.hists ?? [],
      readOutcomes: () => state.outcomes ?? [],
      readRetransmissions: () => state.retrans ?? [],
      sweepTimeouts: () => state.timeouts?.splice(0) ?? [],
      programs: () => state.programs,
      maps: () => state.maps,
    };
    return fake as unknown as Datapath;
  }

  const prog = (name: string, runCount: number, runTimeNs: number): ProgramStatus => ({ name, attachPoints: [], runCount, runTimeNs });

  /** Tick 1 at t=100 s, tick 2 at t=130 s, into a history. */
  function twoTicks(): { c: Collector; summary: (windowS: number, nowMs: number) => Promise<Summary> } {
    const state: FakeState = {
      drops: [
        { srcNf: 3, dstNf: 2, proto: NfProto.Gtpu, reason: 3, location: 0n, count: 5n },
        { srcNf: 0, dstNf: 1, proto: NfProto.Pfcp, reason: 4, location: 0n, count: 2n },
      ],
      traffic: [{ srcNf: 1, dstNf: 2, proto: NfProto.Pfcp, packets: 10n, bytes: 1000n }],
      errors: [0n, 0n, 0n, 0n],
      programs: [prog('count_drop', 100, 5_000_000), prog('traffic_ingress', 50, 1_000_000)],
      maps: [{ name: 'drops', entries: 2, capacity: 10240 }],
    };
    const c = new Collector(fakeDatapath(state), 'worker-1');
    const summary = withHistory(c);
    c.tick(100_000);
    expect(c.lastReadAt).toBe(100);

    state.drops = [
      { srcNf: 3, dstNf: 2, proto: NfProto.Gtpu, reason: 3, location: 0n, count: 8n },
      { srcNf: 0, dstNf: 1, proto: NfProto.Pfcp, reason: 4, location: 0n, count: 2n },
      // two kernel keys with the same labels (both `other`): summed
      { srcNf: 1, dstNf: 0, proto: NfProto.Other, reason: 99, location: 0n, count: 3n },
      { srcNf: 1, dstNf: 0, proto: 7 as NfProto, reason: 99, location: 0n, count: 1n },
    ];
    state.traffic = [{ srcNf: 1, dstNf: 2, proto: NfProto.Pfcp, packets: 25n, bytes: 2600n }];
    state.errors = [1n, 0n, 0n, 0n];
    state.programs = [prog('count_drop', 160, 8_000_000), prog('traffic_ingress', 50, 1_000_000)];
    state.maps = [{ name: 'drops', entries: 3, capacity: 10240 }];
    c.tick(130_400);
    expect(c.lastReadAt).toBe(130);
    return { c, summary };
  }

  test('/metrics carries the kernel totals with 5G labels', async () => {
    const text = await twoTicks().c.registry.metrics();
    const lines = text.split('\n');
    const expected = [
      'nfscope_packet_drops_total{nf="upf-1",nf_type="UPF",peer_nf="gnb-1",interface="N3",reason="NO_SOCKET",class="loss"} 8',
      'nfscope_packet_drops_total{nf="smf-1",nf_type="SMF",peer_nf="unknown",interface="N4",reason="UDP_CSUM",class="loss"} 2',
      'nfscope_packet_drops_total{nf="smf-1",nf_type="SMF",peer_nf="unknown",interface="other",reason="reason_99",class="loss"} 4',
      'nfscope_packets_total{src_nf="smf-1",dst_nf="upf-1",interface="N4"} 25',
      'nfscope_bytes_total{src_nf="smf-1",dst_nf="upf-1",interface="N4"} 2600',
      'nfscope_bpf_program_runs_total{program="count_drop"} 160',
      'nfscope_bpf_program_runs_total{program="traffic_ingress"} 50',
      'nfscope_bpf_program_run_seconds_total{program="count_drop"} 0.008',
      'nfscope_bpf_program_run_seconds_total{program="traffic_ingress"} 0.001',
      'nfscope_bpf_lost_events_total{cause="drops_map_full"} 1',
      'nfscope_bpf_map_entries{map="drops"} 3',
      'nfscope_bpf_map_capacity{map="drops"} 10240',
      `nfscope_build_info{version="${VERSION}",kernel="${os.release()}"} 1`,
    ];
    for (const line of expected) expect(lines).toContain(line);
    expect(lines.filter((l) => l.startsWith('nfscope_packet_drops_total{'))).toHaveLength(3);
    expect(text).not.toContain('traffic_map_full"} ');
  });

  test('requests the in-flight table could not keep are lost events by what happened; evictions also on their own', async () => {
    const events = (full: bigint, evicted: bigint, contended: bigint) => {
      const e = new Array<bigint>(16).fill(0n);
      e[NfEvent.InflightFull] = full;
      e[NfEvent.InflightEvicted] = evicted;
      e[NfEvent.InflightContended] = contended;
      return e;
    };
    const state: FakeState = { drops: [], traffic: [], errors: events(0n, 0n, 0n), programs: [], maps: [] };
    const c = new Collector(fakeDatapath(state), 'worker-1');
    c.tick(100_000);
    state.errors = events(2n, 5n, 1n);
    c.tick(101_000);
    state.errors = events(3n, 5n, 4n);
    c.tick(102_000);
    const lines = (await c.registry.metrics()).split('\n');
    for (const line of [
      'nfscope_bpf_lost_events_total{cause="inflight_map_full"} 3',
      'nfscope_bpf_lost_events_total{cause="inflight_evicted"} 5',
      'nfscope_bpf_lost_events_total{cause="inflight_contended"} 4',
      'nfscope_bpf_inflight_evictions_total 5',
    ])
      expect(lines).toContain(line);
  });

  test('the drops of the summary count the reads inside the window, largest first', async () => {
    const { summary } = twoTicks();
    const row = (nf: string, nf_type: string, peer_nf: string, iface: string, reason: string, count: number) => ({
      nf,
      nf_type,
      peer_nf,
      interface: iface,
      reason,
      class: 'loss',
      count,
    });
    // both ticks (100 and 130 are inside (70, 130])
    expect((await summary(60, 130_900)).drops).toEqual([
      row('upf-1', 'UPF', 'gnb-1', 'N3', 'NO_SOCKET', 8),
      row('smf-1', 'SMF', 'unknown', 'other', 'reason_99', 4),
      row('smf-1', 'SMF', 'unknown', 'N4', 'UDP_CSUM', 2),
    ]);
    // (99, 130] still holds the first tick
    expect((await summary(31, 130_000)).drops).toHaveLength(3);
    // (100, 130]: the first tick is exactly at the edge, out
    expect((await summary(30, 130_000)).drops).toEqual([row('smf-1', 'SMF', 'unknown', 'other', 'reason_99', 4), row('upf-1', 'UPF', 'gnb-1', 'N3', 'NO_SOCKET', 3)]);
    // later: (100, 160]
    expect((await summary(60, 160_000)).drops.map((r) => r.count)).toEqual([4, 3]);
    // (130, 200]: nothing
    expect((await summary(70, 200_000)).drops).toEqual([]);
  });
});

describe('Collector latency', () => {
  // NFS: 1 smf-1 (SMF), 2 upf-1 (UPF) — see the table at the top of this file.
  const ASSOC: LatKey = { client_nf: 1, server_nf: 2, proto: NfProto.Pfcp, procedure: 5 };

  function histOf(latenciesNs: number[]): HistSample {
    const slots = new Array<number>(HIST_SLOTS).fill(0);
    for (const ns of latenciesNs) slots[slotOf(ns)] += 1;
    return { key: ASSOC, slots, sumNs: latenciesNs.reduce((a, b) => a + b, 0) };
  }

  function collector(state: { hists: HistSample[]; outcomes: OutcomeSample[]; retrans: RetransSample[]; timeouts: LatKey[] }): {
    c: Collector;
    summary: (windowS: number, nowMs: number) => Promise<Summary>;
  } {
    const fake = {
      nfTable: NFS,
      reasons: REASONS,
      readDrops: () => [],
      locationName: () => undefined,
      readTraffic: () => [],
      readEvents: () => [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n],
      readHists: () => state.hists,
      readOutcomes: () => state.outcomes,
      readRetransmissions: () => state.retrans,
      sweepTimeouts: () => state.timeouts.splice(0),
      programs: () => [],
      maps: () => [],
    };
    const c = new Collector(fake as unknown as Datapath, 'n1');
    return { c, summary: withHistory(c) };
  }

  test('an entry read again unchanged (the same sample) adds nothing; a grown one adds its growth', async () => {
    const first = histOf([1e6, 2e6]);
    const state = { hists: [first], outcomes: [], retrans: [], timeouts: [] };
    const { c, summary } = collector(state);
    c.tick(100_000);
    c.tick(101_000); // the datapath hands back the very same sample for an unchanged entry
    const labels = 'client_nf="smf-1",client_type="SMF",server_nf="upf-1",server_type="UPF",interface="N4",procedure="AssociationSetup"';
    expect(await c.registry.metrics()).toContain(`nfscope_request_duration_seconds_count{${labels}} 2\n`);
    state.hists = [histOf([1e6, 2e6, 3e6])];
    c.tick(102_000);
    expect(await c.registry.metrics()).toContain(`nfscope_request_duration_seconds_count{${labels}} 3\n`);
    expect((await summary(1, 102_500)).latency[0].count).toBe(1);
    expect((await summary(60, 102_500)).latency[0].count).toBe(3);
  });

  test('accepted outcomes counted in the histogram values and the others in the outcome map make one set of counters', async () => {
    // Two kernel entries of the series (the histogram's, and the map's for what is not in it):
    // accepted with cause 1 is FAST_OUTCOME_CODES index 1.
    const accepted = (n: number) => FAST_OUTCOME_CODES.map((code) => (code === 1 ? n : 0));
    const state = {
      hists: [{ ...histOf([1e6, 2e6, 3e6, 4e6, 5e6]), accepted: accepted(3) }],
      outcomes: [
        { key: ASSOC, outcome: NfOutcome.Rejected, code: 64, count: 1n },
        // an accepted one the map took (the histogram map was full when it came)
        { key: ASSOC, outcome: NfOutcome.Accepted, code: 1, count: 1n },
      ],
      retrans: [],
      timeouts: [],
    };
    const { c, summary } = collector(state);
    c.tick(100_000);
    const labels = 'client_nf="smf-1",client_type="SMF",server_nf="upf-1",server_type="UPF",interface="N4",procedure="AssociationSetup"';
    let m = await c.registry.metrics();
    expect(m).toContain(`nfscope_requests_total{${labels},outcome="accepted",code="1"} 4\n`);
    expect(m).toContain(`nfscope_requests_total{${labels},outcome="rejected",code="64"} 1\n`);
    state.hists = [{ ...histOf([1e6, 2e6, 3e6, 4e6, 5e6, 6e6]), accepted: accepted(4) }];
    c.tick(101_000);
    m = await c.registry.metrics();
    expect(m).toContain(`nfscope_requests_total{${labels},outcome="accepted",code="1"} 5\n`);
    expect((await summary(60, 101_500)).latency[0]).toMatchObject({ count: 6, rejected: 1 });
  });

  test('summary quantiles, outcomes, timeouts and retransmissions over a window, from the history', async () => {
    // 100 latencies of 1..100 ms: p50 ≈ 50 ms, p90 ≈ 90 ms, p99 ≈ 99 ms within a slot's width (≤ 6.25 %).
    const lat = Array.from({ length: 100 }, (_, i) => (i + 1) * 1e6);
    const state = {
      hists: [histOf(lat)],
      outcomes: [
        { key: ASSOC, outcome: NfOutcome.Accepted, code: 1, count: 97n },
        { key: ASSOC, outcome: NfOutcome.Rejected, code: 64, count: 3n },
      ],
      retrans: [{ key: ASSOC, count: 2n }],
      timeouts: [ASSOC, ASSOC],
    };
    const { c, summary } = collector(state);
    c.tick(100_000);
    const [row] = (await summary(60, 100_500)).latency;
    expect(row).toMatchObject({ client: 'smf-1', server: 'upf-1', interface: 'N4', procedure: 'AssociationSetup', count: 100, rejected: 3, timeouts: 2, retransmissions: 2 });
    expect(row.mean_ms).toBeCloseTo(50.5, 3);
    const near = (got: number | null, want: number) => expect(Math.abs(got! - want) / want).toBeLessThan(0.0625);
    near(row.p50_ms, 50);
    near(row.p90_ms, 90);
    near(row.p99_ms, 99);
    const [, maxUpper] = slotBounds(slotOf(100e6));
    expect(row.max_ms).toBeCloseTo(maxUpper / 1e6, 3);

    const metrics = await c.registry.metrics();
    const labels = 'client_nf="smf-1",client_type="SMF",server_nf="upf-1",server_type="UPF",interface="N4",procedure="AssociationSetup"';
    expect(metrics).toContain(`nfscope_request_duration_seconds_count{${labels}} 100\n`);
    expect(metrics).toContain(`nfscope_request_duration_seconds_bucket{${labels},le="+Inf"} 100\n`);
    // Coarse buckets take each slot at its midpoint: all 100 are under 0.1 s; only the 1 ms one
    // (slot [0.983, 1.016) ms, midpoint 0.9994 ms) is under 1 ms; none under 0.5 ms.
    expect(metrics).toContain(`nfscope_request_duration_seconds_bucket{${labels},le="0.1"} 100\n`);
    expect(metrics).toContain(`nfscope_request_duration_seconds_bucket{${labels},le="0.001"} 1\n`);
    expect(metrics).toContain(`nfscope_request_duration_seconds_bucket{${labels},le="0.0005"} 0\n`);
    expect(metrics).toContain(`nfscope_requests_total{${labels},outcome="rejected",code="64"} 3\n`);
    expect(metrics).toContain(`nfscope_requests_total{${labels},outcome="timeout",code=""} 2\n`);
    expect(metrics).toContain(`nfscope_request_retransmissions_total{${labels}} 2\n`);

    // A second tick with 10 more 5 ms responses: the 1 s window after it holds only those.
    state.hists = [histOf([...lat, ...Array(10).fill(5e6)])];
    c.tick(101_000);
    const [recent] = (await summary(1, 101_200)).latency;
    expect(recent.count).toBe(10);
    expect(Math.abs(recent.p50_ms! - 5) / 5).toBeLessThan(0.0625);
    expect(recent.rejected).toBe(0);
    expect((await summary(60, 101_200)).latency[0].count).toBe(110);
  });
});
