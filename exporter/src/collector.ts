/**
 * Every second: read the kernel's counters, turn kernel keys into 5G labels,
 * and feed the deltas to the Prometheus registry and to the history the query
 * and summary API answer from (history/feed.ts).
 */
import * as os from 'os';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Datapath, DropReasons } from './datapath';
import { DropClassifier, type DropClass } from './drop-class';
import { DEFAULT_DURATION_BUCKETS } from './config';
import { FAST_OUTCOME_CODES, HIST_SLOTS, type LatKey, NfEvent, NfOutcome, NfProto } from './kernel/layout';
import { NfTable } from './nfs';
import { codeLabel, OUTCOME_LABELS, procedureName } from './procedures';
import { BucketHistogram } from './prom-histogram';
import type { HistorySink } from './history/feed';

// The package's own version: package.json sits outside the compiled tree, so it is read at run time.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION: string = (require('../package.json') as { version: string }).version;

export interface DropLabels {
  nf: string;
  nf_type: string;
  peer_nf: string;
  interface: string;
  reason: string;
  /** `loss`, or `benign` for drops of packets nobody was waiting for (drop-reasons.ts) */
  class: DropClass;
}

export interface LatencyLabels {
  client_nf: string;
  client_type: string;
  server_nf: string;
  server_type: string;
  interface: string;
  procedure: string;
}

export interface TrafficLabels {
  src_nf: string;
  dst_nf: string;
  interface: string;
}

/**
 * Turns cumulative totals (kernel counters) into non-negative deltas. A total
 * that went down means its counter restarted (map entry re-created): the new
 * total is all new.
 */
export class DeltaTracker {
  private last = new Map<string, number>();

  /** Feeds one complete reading; returns the delta of every key that grew. */
  update(totals: Map<string, number>): Map<string, number> {
    const deltas = new Map<string, number>();
    for (const [k, total] of totals) {
      const prev = this.last.get(k) ?? 0;
      const d = total >= prev ? total - prev : total;
      if (d > 0) deltas.set(k, d);
    }
    this.last = totals;
    return deltas;
  }
}

const DROP_LABELS = ['nf', 'nf_type', 'peer_nf', 'interface', 'reason', 'class'] as const;
const LATENCY_LABELS = ['client_nf', 'client_type', 'server_nf', 'server_type', 'interface', 'procedure'] as const;
const TRAFFIC_LABELS = ['src_nf', 'dst_nf', 'interface'] as const;

/** Series key: label values in a fixed order. */
function keyOf(labels: object, names: readonly string[]): string {
  const l = labels as Record<string, string>;
  return JSON.stringify(names.map((n) => l[n]));
}

function labelsFromKey<L>(key: string, names: readonly string[]): L {
  const values = JSON.parse(key) as string[];
  return Object.fromEntries(names.map((n, i) => [n, values[i]])) as L;
}

function addTo(m: Map<string, number>, k: string, v: number): void {
  m.set(k, (m.get(k) ?? 0) + v);
}

/**
 * Labels of a drop: reason names come from the kernel's BTF, never from a
 * table of ours; an unspecified reason names the kernel function that freed
 * the packet when it is known (`NOT_SPECIFIED@function`). The class comes from
 * the classifier.
 */
export function dropLabels(
  nfs: NfTable,
  reasons: DropReasons,
  s: { srcNf: number; dstNf: number; proto: number; reason: number; location?: bigint },
  classifier: DropClassifier,
  locationName: (addr: bigint) => string | undefined = () => undefined,
): DropLabels {
  const { nf, peer } = nfs.dropOwner(s.srcNf, s.dstNf);
  let reason = reasons.names.get(s.reason) ?? `reason_${s.reason}`;
  const fn = s.location ? locationName(s.location) : undefined;
  if (fn !== undefined) reason = `${reason}@${fn}`;
  return {
    nf: nf.name,
    nf_type: nf.type,
    peer_nf: peer.name,
    interface: nfs.interfaceOf(s.proto, s.srcNf, s.dstNf),
    reason,
    class: classifier.classOf(reason),
  };
}

export function latencyLabels(nfs: NfTable, k: LatKey): LatencyLabels {
  const c = nfs.identity(k.client_nf);
  const s = nfs.identity(k.server_nf);
  return {
    client_nf: c.name,
    client_type: c.type,
    server_nf: s.name,
    server_type: s.type,
    interface: nfs.interfaceOf(k.proto, k.client_nf, k.server_nf),
    procedure: procedureName(k.proto, k.procedure),
  };
}

/*
 * Keys of the latency deltas of a read, each starting with what it is:
 *   O|series|outcome|code   completed      T|series   timeouts
 *   R|series                retransmissions
 */
export class Collector {
  readonly registry = new Registry();
  private readonly dropDeltas = new DeltaTracker();
  private readonly packetDeltas = new DeltaTracker();
  private readonly byteDeltas = new DeltaTracker();
  private readonly runDeltas = new DeltaTracker();
  private readonly runTimeDeltas = new DeltaTracker();
  private readonly eventDeltas = new DeltaTracker();
  private lastHists = new Map<string, { slots: ArrayLike<number>; sum: number }>();
  private readonly outcomeDeltas = new DeltaTracker();
  private readonly retransDeltas = new DeltaTracker();
  private readonly duration: BucketHistogram;
  private readonly requestsTotal: Counter<string>;
  private readonly retransTotal: Counter<string>;
  private readonly inflightEvicted: Counter<string>;
  private readonly proceduresTotal: Counter<string>;
  private evictedReported = 0;
  private readonly dropsTotal: Counter<string>;
  private readonly packetsTotal: Counter<string>;
  private readonly bytesTotal: Counter<string>;
  private readonly programRuns: Counter<string>;
  private readonly programSeconds: Counter<string>;
  private readonly lostEvents: Counter<string>;
  private readonly mapEntries: Gauge<string>;
  private readonly mapCapacity: Gauge<string>;
  /** unix seconds of the last completed read */
  lastReadAt = 0;
  /** Where every tick's deltas also go: the query API's history (history/feed.ts). */
  history?: HistorySink;

  constructor(
    private readonly dp: Datapath,
    readonly node: string,
    private readonly requestTimeoutSeconds = 10,
    promBuckets = DEFAULT_DURATION_BUCKETS,
    private readonly classifier = new DropClassifier(),
  ) {
    const registers = [this.registry];
    this.duration = new BucketHistogram(
      'nfscope_request_duration_seconds',
      'Request/response latency between NFs, measured on the wire at the first hook of this node that saw each.',
      LATENCY_LABELS,
      promBuckets,
      this.registry,
    );
    this.requestsTotal = new Counter({
      name: 'nfscope_requests_total',
      help: 'Transactions between NFs by outcome (accepted, rejected, other, timeout) and cause code.',
      labelNames: [...LATENCY_LABELS, 'outcome', 'code'],
      registers,
    });
    this.retransTotal = new Counter({
      name: 'nfscope_request_retransmissions_total',
      help: 'Copies of a request sent while the first was still waiting for its response.',
      labelNames: LATENCY_LABELS,
      registers,
    });
    this.proceduresTotal = new Counter({
      name: 'nfscope_procedures_total',
      help: 'Procedures initiated between NFs (NGAP initiating messages on N2), by procedure.',
      labelNames: LATENCY_LABELS,
      registers,
    });
    this.inflightEvicted = new Counter({
      name: 'nfscope_bpf_inflight_evictions_total',
      help: 'In-flight requests overwritten by a newer one (both of its slots in the in-flight table taken) before a response or timeout.',
      registers,
    });
    this.dropsTotal = new Counter({
      name: 'nfscope_packet_drops_total',
      help: 'Packets the kernel dropped, by the NF they were addressed to (else their sender), peer NF, 5G interface, kernel drop reason and class (loss, or benign: nobody was waiting for the packet).',
      labelNames: DROP_LABELS,
      registers,
    });
    this.packetsTotal = new Counter({
      name: 'nfscope_packets_total',
      help: 'Packets on the 5G ports between NFs, counted once per node at the first attached hook.',
      labelNames: TRAFFIC_LABELS,
      registers,
    });
    this.bytesTotal = new Counter({
      name: 'nfscope_bytes_total',
      help: 'Bytes (including link-layer headers) on the 5G ports between NFs, counted once per node.',
      labelNames: TRAFFIC_LABELS,
      registers,
    });
    this.programRuns = new Counter({
      name: 'nfscope_bpf_program_runs_total',
      help: "Runs of each of nfscope's eBPF programs (kernel bpf_stats).",
      labelNames: ['program'],
      registers,
    });
    this.programSeconds = new Counter({
      name: 'nfscope_bpf_program_run_seconds_total',
      help: "Time spent in each of nfscope's eBPF programs (kernel bpf_stats).",
      labelNames: ['program'],
      registers,
    });
    this.lostEvents = new Counter({
      name: 'nfscope_bpf_lost_events_total',
      help: 'Events the eBPF programs could not record, by cause: a full map; requests in flight not kept (inflight_map_full, inflight_contended) or overwritten (inflight_evicted).',
      labelNames: ['cause'],
      registers,
    });
    this.mapEntries = new Gauge({ name: 'nfscope_bpf_map_entries', help: 'Entries in each eBPF map.', labelNames: ['map'], registers });
    this.mapCapacity = new Gauge({ name: 'nfscope_bpf_map_capacity', help: 'Capacity (max_entries) of each eBPF map.', labelNames: ['map'], registers });
    new Gauge({
      name: 'nfscope_build_info',
      help: 'nfscope version and the kernel it runs on.',
      labelNames: ['version', 'kernel'],
      registers,
    }).set({ version: VERSION, kernel: os.release() }, 1);
  }

  /**
   * prom-client's child of a counter for one label set, by our series key:
   * `inc(labels, n)` hashes the label object on every call, for every series
   * every second. A child stays valid as long as its counter (never reset here).
   */
  private readonly children = new Map<Counter<string>, Map<string, ReturnType<Counter<string>['labels']>>>();

  private child(c: Counter<string>, key: string, labels: () => Record<string, string>): ReturnType<Counter<string>['labels']> {
    let m = this.children.get(c);
    if (!m) this.children.set(c, (m = new Map()));
    let ch = m.get(key);
    if (!ch) m.set(key, (ch = c.labels(labels())));
    return ch;
  }

  /**
   * The first read of a datapath an earlier exporter left running returns
   * everything its maps counted since they were made: /metrics carries it on
   * (the counters go on from where they were), the history does not take it
   * as one second's worth.
   */
  private firstRead = true;

  /** One read of every kernel counter. */
  tick(nowMs = Date.now()): void {
    const baseline = this.firstRead && this.dp.origin === 'adopted';
    this.firstRead = false;
    if (!baseline) return this.read(nowMs);
    const history = this.history;
    this.history = undefined;
    try {
      this.read(nowMs);
    } finally {
      this.history = history;
    }
  }

  private read(nowMs: number): void {
    const nfs = this.dp.nfTable;
    const now = Math.floor(nowMs / 1000);

    // Several kernel keys can share labels (e.g. many unknown senders): sum them.
    const drops = new Map<string, number>();
    const locationName = (a: bigint) => this.dp.locationName(a);
    for (const s of this.dp.readDrops()) addTo(drops, keyOf(dropLabels(nfs, this.dp.reasons, s, this.classifier, locationName), DROP_LABELS), Number(s.count));
    const dropDeltas = this.dropDeltas.update(drops);
    for (const [k, d] of dropDeltas) {
      const l = labelsFromKey<DropLabels>(k, DROP_LABELS);
      this.child(this.dropsTotal, k, () => ({ ...l })).inc(d);
      this.history?.drops(l, d);
    }

    const packets = new Map<string, number>();
    const bytes = new Map<string, number>();
    for (const s of this.dp.readTraffic()) {
      const k = keyOf({ src_nf: nfs.identity(s.srcNf).name, dst_nf: nfs.identity(s.dstNf).name, interface: nfs.interfaceOf(s.proto, s.srcNf, s.dstNf) }, TRAFFIC_LABELS);
      addTo(packets, k, Number(s.packets));
      addTo(bytes, k, Number(s.bytes));
    }
    const packetDeltas = this.packetDeltas.update(packets);
    const byteDeltas = this.byteDeltas.update(bytes);
    for (const [k, d] of packetDeltas) this.child(this.packetsTotal, k, () => labelsFromKey(k, TRAFFIC_LABELS)).inc(d);
    for (const [k, d] of byteDeltas) this.child(this.bytesTotal, k, () => labelsFromKey(k, TRAFFIC_LABELS)).inc(d);
    if (this.history) {
      // One label object per series while it is read, so the history's lookup of it is kept too.
      const labels = new Map<string, TrafficLabels>();
      for (const k of new Set([...packetDeltas.keys(), ...byteDeltas.keys()])) {
        const l = this.trafficLabels.get(k) ?? labelsFromKey<TrafficLabels>(k, TRAFFIC_LABELS);
        labels.set(k, l);
        this.history.traffic(l, packetDeltas.get(k) ?? 0, byteDeltas.get(k) ?? 0);
      }
      for (const k of packets.keys()) if (!labels.has(k) && this.trafficLabels.has(k)) labels.set(k, this.trafficLabels.get(k)!);
      this.trafficLabels = labels;
    }

    const runs = new Map<string, number>();
    const runNs = new Map<string, number>();
    for (const p of this.dp.programs()) {
      runs.set(p.name, p.runCount);
      runNs.set(p.name, p.runTimeNs);
    }
    for (const [p, d] of this.runDeltas.update(runs)) this.programRuns.inc({ program: p }, d);
    for (const [p, d] of this.runTimeDeltas.update(runNs)) this.programSeconds.inc({ program: p }, d / 1e9);

    this.readLatency();

    const events = this.dp.readEvents();
    const ev = (i: NfEvent) => events[i] ?? 0n;
    const lost = new Map<string, number>([
      ['drops_map_full', Number(ev(NfEvent.DropsMapFull))],
      ['traffic_map_full', Number(ev(NfEvent.TrafficMapFull))],
      ['histogram_map_full', Number(ev(NfEvent.HistMapFull))],
      ['outcome_map_full', Number(ev(NfEvent.OutcomeMapFull))],
      ['inflight_map_full', Number(ev(NfEvent.InflightFull))],
      ['inflight_contended', Number(ev(NfEvent.InflightContended))],
      ['inflight_evicted', Number(ev(NfEvent.InflightEvicted))],
      ['sbi_out_of_sync', Number(ev(NfEvent.SbiResync))],
    ]);
    for (const [cause, d] of this.eventDeltas.update(lost)) this.lostEvents.inc({ cause }, d);
    // Requests in flight overwritten by newer ones: the programs count them.
    const evicted = Number(ev(NfEvent.InflightEvicted));
    if (evicted > this.evictedReported) {
      this.inflightEvicted.inc(evicted - this.evictedReported);
      this.evictedReported = evicted;
    }

    for (const m of this.dp.maps()) {
      this.mapEntries.set({ map: m.name }, m.entries);
      this.mapCapacity.set({ map: m.name }, m.capacity);
    }
    this.history?.commit(now);
    this.lastReadAt = now;
  }

  /**
   * Series key and labels of each kernel latency key: the NF table is fixed
   * for the datapath's life, so the mapping is too; kept to the keys read in
   * the last read (a key the kernel no longer has is forgotten).
   */
  private latKeys = new Map<string, { key: string; labels: LatencyLabels }>();
  /** Traffic labels by series key, of the series the kernel still has. */
  private trafficLabels = new Map<string, TrafficLabels>();
  private latKeysNext = new Map<string, { key: string; labels: LatencyLabels }>();
  private latKeysTable?: NfTable;

  private latencySeries(nfs: NfTable, k: LatKey): { key: string; labels: LatencyLabels } {
    const ck = `${k.client_nf},${k.server_nf},${k.proto},${k.procedure}`;
    let e = this.latKeysNext.get(ck);
    if (e) return e;
    e = this.latKeysTable === nfs ? this.latKeys.get(ck) : undefined;
    if (!e) {
      const labels = latencyLabels(nfs, k);
      e = { key: keyOf(labels, LATENCY_LABELS), labels };
    }
    this.latKeysNext.set(ck, e);
    return e;
  }

  /** Histograms, outcomes, retransmissions and timeouts of the latency series. */
  private readLatency(): void {
    const nfs = this.dp.nfTable;
    const labelsOf = new Map<string, LatencyLabels>();
    const series = (k: LatKey): string => {
      const e = this.latencySeries(nfs, k);
      labelsOf.set(e.key, e.labels);
      return e.key;
    };

    // Histograms: slot totals per series in an array, deltas slot by slot. A series has up to
    // HIST_SLOTS slots; a string key per slot and second cost more than the rest of the read.
    // A series is usually one kernel entry: its slots are used as read (and are the very
    // array of the last read when the entry did not change), copied only to sum several.
    const totals = new Map<string, { slots: ArrayLike<number>; sum: number; own?: Float64Array }>();
    // Outcomes: the common accepted ones are counted in the histogram values, the rest in their own map.
    const outcomes = new Map<string, number>();
    for (const h of this.dp.readHists()) {
      const s = series(h.key);
      if (h.accepted)
        for (let i = 0; i < h.accepted.length; i++)
          if (h.accepted[i] > 0) addTo(outcomes, `O|${s}|${OUTCOME_LABELS[NfOutcome.Accepted]}|${codeLabel(h.key.proto, FAST_OUTCOME_CODES[i])}`, h.accepted[i]);
      const t = totals.get(s);
      if (!t) {
        totals.set(s, { slots: h.slots, sum: h.sumNs });
        continue;
      }
      if (!t.own) t.slots = t.own = Float64Array.from(t.slots);
      for (let i = 0; i < h.slots.length; i++) if (h.slots[i] > 0) t.own[i] += h.slots[i];
      t.sum += h.sumNs;
    }
    for (const [s, t] of totals) {
      const prev = this.lastHists.get(s);
      if (prev && prev.slots === t.slots && prev.sum === t.sum) continue; // the same entry, unchanged since the last read
      const slots = new Map<number, number>();
      for (let i = 0; i < HIST_SLOTS; i++) {
        const cur = t.slots[i];
        const was = prev ? prev.slots[i] : 0;
        // As DeltaTracker: a total that went down restarted, and all of it is new.
        const d = cur >= was ? cur - was : cur;
        if (d > 0) slots.set(i, d);
      }
      const was = prev?.sum ?? 0;
      const sum = t.sum >= was ? t.sum - was : t.sum;
      if (slots.size === 0 && sum <= 0) continue;
      const l = labelsOf.get(s)!;
      this.duration.add(s, l, slots, sum, HIST_SLOTS);
      if (this.history) {
        for (const [i, d] of slots) this.history.histogram(l, i, d);
        if (sum > 0) this.history.latencySum(l, sum);
      }
    }
    this.lastHists = totals;

    for (const o of this.dp.readOutcomes()) addTo(outcomes, `O|${series(o.key)}|${OUTCOME_LABELS[o.outcome]}|${codeLabel(o.key.proto, o.code)}`, Number(o.count));
    const outcomeDeltas = this.outcomeDeltas.update(outcomes);
    for (const [k, d] of outcomeDeltas) {
      const [, s, outcome, code] = k.split('|');
      if (outcome === OUTCOME_LABELS[NfOutcome.Initiated]) this.child(this.proceduresTotal, s, () => ({ ...labelsOf.get(s)! })).inc(d);
      else this.child(this.requestsTotal, k, () => ({ ...labelsOf.get(s)!, outcome, code })).inc(d);
    }

    const retrans = new Map<string, number>();
    for (const r of this.dp.readRetransmissions()) addTo(retrans, `R|${series(r.key)}`, Number(r.count));
    const retransDeltas = this.retransDeltas.update(retrans);
    for (const [k, d] of retransDeltas) this.child(this.retransTotal, k, () => ({ ...labelsOf.get(k.slice(2))! })).inc(d);

    const timeouts = new Map<string, number>();
    for (const k of this.dp.sweepTimeouts(BigInt(Math.round(this.requestTimeoutSeconds * 1e9)))) {
      // An SCTP SACK acknowledges every TSN up to its cumulative ack, but only the
      // TSN equal to it is paired: the others are not timeouts, just unsampled.
      if (k.proto !== NfProto.Ngap) addTo(timeouts, `T|${series(k)}`, 1);
    }
    for (const [k, d] of timeouts) this.child(this.requestsTotal, k, () => ({ ...labelsOf.get(k.slice(2))!, outcome: 'timeout', code: '' })).inc(d);

    this.latKeys = this.latKeysNext;
    this.latKeysNext = new Map();
    this.latKeysTable = nfs;

    if (this.history) for (const deltas of [outcomeDeltas, retransDeltas, timeouts]) this.feedLatency(deltas, labelsOf);
  }

  /** Hands latency deltas of a read (keys as described above the class) to the history sink. */
  private feedLatency(deltas: Map<string, number>, labelsOf: Map<string, LatencyLabels>): void {
    const h = this.history!;
    for (const [k, d] of deltas) {
      const [kind, s, a, b] = k.split('|');
      const l = labelsOf.get(s)!;
      if (kind === 'T') h.timeouts(l, d);
      else if (kind === 'R') h.retransmissions(l, d);
      // NGAP initiating messages count procedures, not transactions.
      else if (kind === 'O' && a !== OUTCOME_LABELS[NfOutcome.Initiated]) h.outcome(l, a, b, d);
    }
  }
}
