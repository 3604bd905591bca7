/**
 * Every second: read the kernel's counters, turn kernel keys into 5G labels,
 * and feed the deltas to the Prometheus registry and the recent history the
 * summary API answers from.
 */
import * as os from 'os';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Datapath, DropReasons } from './datapath';
import { NfTable } from './nfs';
import { NfError } from './kernel/layout';

export const VERSION: string = (require('../package.json') as { version: string }).version;

export interface DropLabels {
  nf: string;
  nf_type: string;
  peer_nf: string;
  interface: string;
  reason: string;
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

/** Sparse per-second deltas of labelled counters, for sums over a recent window. */
export class DeltaHistory<L extends object> {
  private readonly slots: { t: number; deltas: Map<string, number> }[] = [];
  private readonly labels = new Map<string, L>();

  constructor(readonly retentionSeconds: number) {}

  add(tSeconds: number, deltas: Map<string, number>, labelsOf: (key: string) => L): void {
    for (const k of deltas.keys()) if (!this.labels.has(k)) this.labels.set(k, labelsOf(k));
    if (deltas.size > 0) this.slots.push({ t: tSeconds, deltas });
    let expired = false;
    while (this.slots.length > 0 && this.slots[0].t <= tSeconds - this.retentionSeconds) {
      this.slots.shift();
      expired = true;
    }
    // Forget the labels of series that no longer have any slot.
    if (expired) {
      const live = new Set(this.slots.flatMap((s) => [...s.deltas.keys()]));
      for (const k of this.labels.keys()) if (!live.has(k)) this.labels.delete(k);
    }
  }

  /** Sum of each series over (now - window, now]. */
  sum(nowSeconds: number, windowSeconds: number): { labels: L; count: number }[] {
    const totals = new Map<string, number>();
    for (const s of this.slots) {
      if (s.t <= nowSeconds - windowSeconds) continue;
      for (const [k, d] of s.deltas) totals.set(k, (totals.get(k) ?? 0) + d);
    }
    return [...totals].map(([k, count]) => ({ labels: this.labels.get(k)!, count }));
  }
}

const DROP_LABELS = ['nf', 'nf_type', 'peer_nf', 'interface', 'reason'] as const;
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

/** Labels of a drop: reason names come from the kernel's BTF, never from a table of ours. */
export function dropLabels(nfs: NfTable, reasons: DropReasons, s: { srcNf: number; dstNf: number; proto: number; reason: number }): DropLabels {
  const { nf, peer } = nfs.dropOwner(s.srcNf, s.dstNf);
  return {
    nf: nf.name,
    nf_type: nf.type,
    peer_nf: peer.name,
    interface: nfs.interfaceOf(s.proto, s.srcNf, s.dstNf),
    reason: reasons.names.get(s.reason) ?? `reason_${s.reason}`,
  };
}

export class Collector {
  readonly registry = new Registry();
  readonly dropHistory: DeltaHistory<DropLabels>;
  private readonly dropDeltas = new DeltaTracker();
  private readonly packetDeltas = new DeltaTracker();
  private readonly byteDeltas = new DeltaTracker();
  private readonly runDeltas = new DeltaTracker();
  private readonly runTimeDeltas = new DeltaTracker();
  private readonly errorDeltas = new DeltaTracker();
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

  constructor(
    private readonly dp: Datapath,
    readonly node: string,
    historySeconds = 3600,
  ) {
    const registers = [this.registry];
    this.dropHistory = new DeltaHistory<DropLabels>(historySeconds);
    this.dropsTotal = new Counter({
      name: 'nfscope_packet_drops_total',
      help: 'Packets the kernel dropped, by the NF they were addressed to (else their sender), peer NF, 5G interface and kernel drop reason.',
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
      help: 'Events the eBPF programs could not record, by cause (a full map).',
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

  /** One read of every kernel counter. */
  tick(nowMs = Date.now()): void {
    const nfs = this.dp.nfTable;
    const now = Math.floor(nowMs / 1000);

    // Several kernel keys can share labels (e.g. many unknown senders): sum them.
    const drops = new Map<string, number>();
    for (const s of this.dp.readDrops()) addTo(drops, keyOf(dropLabels(nfs, this.dp.reasons, s), DROP_LABELS), Number(s.count));
    const dropDeltas = this.dropDeltas.update(drops);
    for (const [k, d] of dropDeltas) this.dropsTotal.inc(labelsFromKey(k, DROP_LABELS), d);
    this.dropHistory.add(now, dropDeltas, (k) => labelsFromKey<DropLabels>(k, DROP_LABELS));

    const packets = new Map<string, number>();
    const bytes = new Map<string, number>();
    for (const s of this.dp.readTraffic()) {
      const k = keyOf(
        { src_nf: nfs.identity(s.srcNf).name, dst_nf: nfs.identity(s.dstNf).name, interface: nfs.interfaceOf(s.proto, s.srcNf, s.dstNf) },
        TRAFFIC_LABELS,
      );
      addTo(packets, k, Number(s.packets));
      addTo(bytes, k, Number(s.bytes));
    }
    for (const [k, d] of this.packetDeltas.update(packets)) this.packetsTotal.inc(labelsFromKey(k, TRAFFIC_LABELS), d);
    for (const [k, d] of this.byteDeltas.update(bytes)) this.bytesTotal.inc(labelsFromKey(k, TRAFFIC_LABELS), d);

    const runs = new Map<string, number>();
    const runNs = new Map<string, number>();
    for (const p of this.dp.programs()) {
      runs.set(p.name, p.runCount);
      runNs.set(p.name, p.runTimeNs);
    }
    for (const [p, d] of this.runDeltas.update(runs)) this.programRuns.inc({ program: p }, d);
    for (const [p, d] of this.runTimeDeltas.update(runNs)) this.programSeconds.inc({ program: p }, d / 1e9);

    const errors = this.dp.readErrors();
    const lost = new Map<string, number>([
      ['drops_map_full', Number(errors[NfError.DropsMapFull])],
      ['traffic_map_full', Number(errors[NfError.TrafficMapFull])],
    ]);
    for (const [cause, d] of this.errorDeltas.update(lost)) this.lostEvents.inc({ cause }, d);

    for (const m of this.dp.maps()) {
      this.mapEntries.set({ map: m.name }, m.entries);
      this.mapCapacity.set({ map: m.name }, m.capacity);
    }
    this.lastReadAt = now;
  }

  /** The drops part of /api/v1/summary: counts over the last window, largest first. */
  dropSummary(windowSeconds: number, nowMs = Date.now()): (DropLabels & { count: number })[] {
    return this.dropHistory
      .sum(Math.floor(nowMs / 1000), windowSeconds)
      .map(({ labels, count }) => ({ ...labels, count }))
      .sort(
        (a, b) =>
          b.count - a.count ||
          a.nf.localeCompare(b.nf) ||
          a.peer_nf.localeCompare(b.peer_nf) ||
          a.interface.localeCompare(b.interface) ||
          a.reason.localeCompare(b.reason),
      );
  }
}
