/**
 * Loads nfscope's eBPF objects, attaches them, keeps the kernel's NF table in
 * step with the config and reads the counters. Owns every kernel resource the
 * exporter holds; close() releases them all.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Config } from './config';
import { matchInterface } from './config';
import { atomicCas32, BpfLink, BpfMap, BpfObject, enableStats, kernelEnum, possibleCpus } from './kernel/bpf';
import { ensureBpffs, type DatapathRecord, dropsLinkPin, mapPin, mapsAbi, newRecord, readRecord, removeDatapath, tcLinkPin, writeRecord } from './pinned';
import {
  ADDR_KEY,
  addressBytes,
  DROP_KEY,
  FAST_OUTCOME_CODES,
  FLOW_SEQ,
  H2_CONN,
  HIST,
  HIST_SLOTS,
  INFLIGHT_SLOT,
  type InflightSlot,
  InflightState,
  LAT_KEY,
  type LatKey,
  NF_EVENT_SLOTS,
  NF_PAIR_CACHED,
  NfOutcome,
  NfProto,
  OUTCOME_KEY,
  PROTO_SLOTS,
  TRAFFIC_KEY,
  TRAFFIC_VAL,
} from './kernel/layout';
import { LocationNames } from './kernel/kallsyms';
import { NfTable, portTable } from './nfs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const EXPORTER_VERSION: string = (require('../package.json') as { version: string }).version;

export const DEFAULT_BPF_DIR = path.resolve(__dirname, '../../bpf/build');
const SYS_NET = '/sys/class/net';

export interface DropSample {
  srcNf: number;
  dstNf: number;
  proto: NfProto;
  reason: number;
  /** where the kernel freed the packet, for SKB_DROP_REASON_NOT_SPECIFIED only (else 0n) */
  location: bigint;
  count: bigint;
}

export interface TrafficSample {
  srcNf: number;
  dstNf: number;
  proto: NfProto;
  packets: bigint;
  bytes: bigint;
}

export interface HistSample {
  key: LatKey;
  /**
   * count per slot (layout in histogram.ts), summed over CPUs. Valid until the
   * read after next: an unchanged entry returns the same array again, a changed
   * one is written into the array of the read before the last.
   */
  slots: ArrayLike<number>;
  sumNs: number;
  /** transactions with each accepted outcome of FAST_OUTCOME_CODES, summed over CPUs (the rest are in readOutcomes) */
  accepted?: readonly number[];
}

interface HistEntry {
  sample: HistSample;
  spare: Float64Array | undefined;
}

export interface OutcomeSample {
  key: LatKey;
  outcome: NfOutcome;
  code: number;
  count: bigint;
}

export interface RetransSample {
  key: LatKey;
  count: bigint;
}

export interface ProgramStatus {
  name: string;
  attachPoints: string[];
  runCount: number;
  runTimeNs: number;
}

export interface MapStatus {
  name: string;
  entries: number;
  capacity: number;
}

interface AttachedInterface {
  ifindex: number;
  links: BpfLink[];
}

/** How this exporter came by its datapath (see pinned.ts). */
export type DatapathOrigin =
  /** loaded anew: nothing was pinned */
  | 'created'
  /** the maps and links an earlier exporter pinned, with this build's programs swapped in */
  | 'adopted'
  /** something was pinned, from a build whose maps differ: removed, then loaded anew */
  | 'replaced';

export type Logger = (msg: string) => void;

/** Names of enum skb_drop_reason without the SKB_DROP_REASON_ prefix, by value. */
export interface DropReasons {
  names: Map<number, string>;
  notDropped: number;
  consumed: number;
  /** SKB_DROP_REASON_NOT_SPECIFIED (~0 where absent) */
  notSpecified: number;
  /** every enumerator's full name (SKB_DROP_REASON_NO_SOCKET …) */
  enumerators: string[];
}

export function readDropReasons(enumerators: Map<string, number>): DropReasons {
  const names = new Map<number, string>();
  for (const [name, value] of enumerators) names.set(value, name.replace(/^SKB_DROP_REASON_/, ''));
  const notDropped = enumerators.get('SKB_NOT_DROPPED_YET');
  if (notDropped === undefined) throw new Error('kernel BTF: enum skb_drop_reason has no SKB_NOT_DROPPED_YET');
  // SKB_CONSUMED appeared in Linux 6.2; ~0 never matches a reason.
  return {
    names,
    notDropped,
    consumed: enumerators.get('SKB_CONSUMED') ?? 0xffffffff,
    notSpecified: enumerators.get('SKB_DROP_REASON_NOT_SPECIFIED') ?? 0xffffffff,
    enumerators: [...enumerators.keys()],
  };
}

/**
 * Where readTraffic finds the members of struct nf_pair_cached: its count
 * member is struct traffic_val [direction][enum nf_proto].
 */
const NF_PAIR_AT = (() => {
  const count = NF_PAIR_CACHED.fields.find((f) => f.name === 'count')!;
  if (count.struct !== TRAFFIC_VAL.cName || count.dims?.join() !== `2,${PROTO_SLOTS}`) {
    throw new Error(`struct nf_pair_cached .count is ${count.struct} [${count.dims}], expected struct traffic_val [2][PROTO_SLOTS]`);
  }
  const o = NF_PAIR_CACHED.offset;
  return { nfLoAt: o.nf_lo, nfHiAt: o.nf_hi, validAt: o.valid, countAt: o.count, stride: TRAFFIC_VAL.size, packetsAt: TRAFFIC_VAL.offset.packets, bytesAt: TRAFFIC_VAL.offset.bytes };
})();

/**
 * struct inflight_slot in 32-bit words, as the sweep reads the shared table:
 * the slot's stride, its state word and the two words of ts_ns (low first).
 */
const INFLIGHT_WORDS = (() => {
  const o = INFLIGHT_SLOT.offset;
  if (INFLIGHT_SLOT.size % 4 || o.state % 4 || o.ts_ns % 4) throw new Error('struct inflight_slot: size, state and ts_ns must be word aligned');
  return { stride: INFLIGHT_SLOT.size / 4, state: o.state / 4, tsLo: o.ts_ns / 4, tsHi: o.ts_ns / 4 + 1, protoByte: o.proto };
})();

export class Datapath {
  private readonly objects: BpfObject[] = [];
  private readonly tracingLinks: BpfLink[] = [];
  private readonly interfaces = new Map<string, AttachedInterface>();
  private stats: { close(): void } | undefined;
  private drops!: BpfMap;
  private traffic!: BpfMap;
  private nfPairCache!: BpfMap;
  private events!: BpfMap;
  private attachedIfs!: BpfMap;
  private hists!: BpfMap;
  private outcomes!: BpfMap;
  private retrans!: BpfMap;
  private inflight!: BpfMap;
  /** the in-flight table's memory, shared with the programs (mmap) */
  private inflightMem!: ArrayBuffer;
  private inflightWords!: Uint32Array;
  private inflightBytes!: Uint8Array;
  /** requests the last timeout sweep left in the table (its fill, without a second pass over it) */
  private inflightHeld = 0;
  /** slots of nf_pair_cache that address pairs held at the last readTraffic, summed over CPUs */
  private nfPairHeld = 0;
  private h2Conns!: BpfMap;
  private trafficObj!: BpfObject;
  private meta!: BpfMap;
  private record!: DatapathRecord;
  /** the record found pinned at start, when it was adopted */
  private previous: DatapathRecord | undefined;
  origin: DatapathOrigin;
  readonly pinDir: string;
  readonly reasons: DropReasons;
  readonly nfTable: NfTable;
  /** function names of the locations of unspecified drops */
  readonly locations: LocationNames;

  private constructor(
    private readonly config: Config,
    private readonly log: Logger,
    bpfDir: string,
  ) {
    this.pinDir = config.datapath.pinDir;
    ensureBpffs(this.pinDir, log);
    const found = readRecord(this.pinDir);
    this.previous = found;
    this.origin = found ? 'adopted' : 'created';
    this.locations = new LocationNames(log);
    let enumerators: Map<string, number>;
    try {
      enumerators = kernelEnum('skb_drop_reason');
    } catch (e) {
      throw new Error(`kernel has no enum skb_drop_reason in its BTF (drop reasons need Linux 5.17 or later): ${(e as Error).message}`);
    }
    this.reasons = readDropReasons(enumerators);
    const abi = mapsAbi(this.open(bpfDir));
    if (this.previous && this.previous.abi !== abi) {
      this.log(
        `the datapath pinned in ${this.pinDir} is from a build whose maps differ (${this.previous.createdBy}, ${this.previous.createdAt}): replacing it; SBI connections and requests in flight are followed anew`,
      );
      removeDatapath(this.pinDir, this.log);
      this.previous = undefined;
      this.origin = 'replaced';
    }
    this.nfTable = new NfTable(config.nfs, this.previous?.nfs ?? []);
    this.record = this.previous ? { ...this.previous, lastBy: EXPORTER_VERSION } : newRecord(abi, EXPORTER_VERSION);
  }

  /**
   * Loads and attaches everything. On any failure, whatever was attached is
   * detached again before the error propagates.
   */
  static start(config: Config, log: Logger, bpfDir = process.env.NFSCOPE_BPF_DIR ?? DEFAULT_BPF_DIR): Datapath {
    let dp: Datapath | undefined;
    try {
      dp = new Datapath(config, log, bpfDir);
      dp.load(dp.objects);
      if (config.programStats) dp.stats = enableStats();
      dp.pushTables();
      dp.attachDrops();
      dp.rescanInterfaces(true);
      dp.forgetStaleLinks();
      dp.saveRecord();
      return dp;
    } catch (e) {
      // A datapath this exporter created goes; one it was adopting stays as it was found, running.
      if (dp && dp.origin === 'adopted') dp.leave();
      else if (dp) dp.close();
      else removeIfEmpty(config.datapath.pinDir);
      throw e;
    }
  }

  /**
   * The skb:kfree_skb program's link, pinned. An earlier exporter's link is
   * let go once this one runs: a drop in between may be counted by both, none
   * by neither.
   */
  private attachDrops(): void {
    const link = this.objects[0].program('count_drop').attach();
    this.tracingLinks.push(link);
    const file = dropsLinkPin(this.pinDir);
    fs.rmSync(file, { force: true });
    link.pin(file);
  }

  /** Pinned links of interfaces that are gone or no longer configured: removed (the kernel has detached those of deleted interfaces already). */
  private forgetStaleLinks(): void {
    const mine = new Set<string>();
    for (const att of this.interfaces.values()) for (const d of ['ingress', 'egress']) mine.add(path.basename(tcLinkPin(this.pinDir, att.ifindex, d)));
    for (const f of fs.readdirSync(this.pinDir)) {
      if (f.startsWith('link_tc_') && !mine.has(f)) fs.rmSync(path.join(this.pinDir, f), { force: true });
    }
  }

  /** Writes what the next exporter needs to know into the pinned record. */
  private saveRecord(): void {
    this.record.nfs = this.nfTable.idEntries();
    this.record.clsact = [...this.interfaces].filter(([, a]) => a.links[0]?.kind === 'clsact').map(([name, a]) => ({ name, ifindex: a.ifindex }));
    writeRecord(this.meta, this.record);
  }

  /** Opens both objects (nothing reaches the kernel yet). */
  private open(bpfDir: string): BpfObject[] {
    for (const name of ['drops.bpf.o', 'traffic.bpf.o']) {
      const file = path.join(bpfDir, name);
      if (!fs.existsSync(file)) throw new Error(`eBPF object ${file} not found: build it with \`npm run build\``);
      this.objects.push(BpfObject.open(file));
    }
    return this.objects;
  }

  /**
   * Loads the programs. Their maps are those pinned in pin_dir when a
   * datapath is adopted (every table as the last exporter left it), new ones
   * otherwise, pinned there at once.
   */
  private load([dropsObj, trafficObj]: BpfObject[]): void {
    const ports = portTable(this.config.protocols);
    dropsObj.setGlobal('port_proto', ports);
    dropsObj.setGlobal('reason_not_dropped', this.reasons.notDropped);
    dropsObj.setGlobal('reason_consumed', this.reasons.consumed);
    dropsObj.setGlobal('reason_not_specified', this.reasons.notSpecified);
    trafficObj.setGlobal('port_proto', ports);
    fs.mkdirSync(this.pinDir, { recursive: true, mode: 0o700 });
    if (this.previous) {
      for (const obj of [dropsObj, trafficObj]) {
        for (const m of obj.maps()) {
          const pinned = BpfMap.openPinned(mapPin(this.pinDir, m.name));
          if (!pinned) throw new Error(`the datapath pinned in ${this.pinDir} has no map ${m.name}; remove it with \`nfscope remove-datapath\``);
          obj.reuseMap(m.name, pinned); // libbpf keeps a copy of the fd: ours goes
          pinned.close();
        }
      }
      dropsObj.load();
      trafficObj.load();
    } else {
      dropsObj.load();
      // The tc object shares the NF table, the event counters and the record of the first.
      for (const shared of ['nf_addrs', 'events', 'meta']) if (trafficObj.maps().some((m) => m.name === shared)) trafficObj.reuseMap(shared, dropsObj.map(shared));
      trafficObj.load();
      const seen = new Set<string>();
      for (const obj of [dropsObj, trafficObj]) {
        for (const m of obj.maps()) {
          if (seen.has(m.name)) continue;
          seen.add(m.name);
          fs.rmSync(mapPin(this.pinDir, m.name), { force: true });
          m.pin(mapPin(this.pinDir, m.name));
        }
      }
    }
    this.trafficObj = trafficObj;
    this.meta = dropsObj.map('meta');
    this.drops = dropsObj.map('drops');
    this.events = dropsObj.map('events');
    this.traffic = this.trafficObj.map('traffic');
    this.nfPairCache = this.trafficObj.map('nf_pair_cache');
    this.attachedIfs = this.trafficObj.map('attached_ifs');
    this.hists = this.trafficObj.map('hists');
    this.outcomes = this.trafficObj.map('outcomes');
    this.retrans = this.trafficObj.map('retrans');
    this.inflight = this.trafficObj.map('inflight');
    if (this.inflight.valueSize !== INFLIGHT_SLOT.size) throw new Error(`map inflight: values of ${this.inflight.valueSize} bytes, expected struct inflight_slot (${INFLIGHT_SLOT.size})`);
    this.inflightMem = this.inflight.mmap();
    this.inflightWords = new Uint32Array(this.inflightMem, 0, (this.inflight.maxEntries * INFLIGHT_SLOT.size) / 4);
    this.inflightBytes = new Uint8Array(this.inflightMem, 0, this.inflight.maxEntries * INFLIGHT_SLOT.size);
    this.h2Conns = this.trafficObj.map('h2_conns');
  }

  /** Fills the kernel's NF address table from the config. */
  private pushTables(): void {
    const nfAddrs = this.objects[0].map('nf_addrs');
    const want = new Set<string>();
    for (const [addr, id] of this.nfTable.addressEntries()) {
      const v = Buffer.alloc(4);
      v.writeUInt32LE(id);
      const k = ADDR_KEY.encode({ addr: addressBytes(addr) });
      want.add(k.toString('hex'));
      nfAddrs.update(k, v);
    }
    // An adopted table may hold addresses the config no longer gives any NF.
    for (const k of nfAddrs.keys()) if (!want.has(k.toString('hex'))) nfAddrs.delete(k);
  }

  /**
   * Attaches the tc programs to interfaces matching the config that are not
   * attached yet (new, or re-created with a new ifindex) and forgets those that
   * are gone. At start (strict) a failure is fatal; later it is logged.
   */
  rescanInterfaces(strict = false): void {
    const present = new Map<string, number>();
    for (const name of fs.readdirSync(SYS_NET)) {
      if (!matchInterface(this.config.interfaces, name)) continue;
      const ifindex = readIfindex(name);
      if (ifindex !== undefined) present.set(name, ifindex);
    }
    for (const [name, att] of this.interfaces) {
      if (present.get(name) === att.ifindex) continue;
      this.detachInterface(name, att);
      this.log(`interface ${name} is gone; detached`);
    }
    for (const [name, ifindex] of present) {
      if (this.interfaces.has(name)) continue;
      try {
        this.attachInterface(name, ifindex);
        this.log(`attached to ${name} (ifindex ${ifindex}, ${this.interfaces.get(name)!.links[0].kind})`);
      } catch (e) {
        if (strict) throw new Error(`cannot attach to interface ${name}: ${(e as Error).message}`);
        this.log(`cannot attach to interface ${name}: ${(e as Error).message}`);
      }
    }
  }

  /**
   * Marks an ifindex in the kernel's attached_ifs array, so that egress skips
   * packets an attached ingress already counted. The array covers ifindexes
   * below its size; beyond, packets bridged between two such interfaces would
   * be counted at both hooks, so say so.
   */
  private markAttached(name: string, ifindex: number, on: boolean): void {
    if (ifindex >= this.attachedIfs.maxEntries) {
      if (on) this.log(`interface ${name} has ifindex ${ifindex}, beyond ${this.attachedIfs.maxEntries - 1}: packets it forwards to another attached interface are counted at both`);
      return;
    }
    const key = Buffer.alloc(4);
    key.writeUInt32LE(ifindex);
    this.attachedIfs.update(key, Buffer.from([on ? 1 : 0]));
  }

  private attachInterface(name: string, ifindex: number): void {
    const links: BpfLink[] = [];
    try {
      // Mark the interface before its egress hook runs, so packets that came in
      // through another attached interface are not counted twice.
      this.markAttached(name, ifindex, true);
      for (const dir of ['ingress', 'egress'] as const) links.push(this.attachHook(name, ifindex, dir));
    } catch (e) {
      for (const l of links) l.detach();
      this.markAttached(name, ifindex, false);
      throw e;
    }
    this.interfaces.set(name, { ifindex, links });
  }

  /**
   * One hook of an interface. A tcx link an earlier exporter pinned there is
   * kept and runs this exporter's program from now on (swapped in place, not
   * a packet missed); otherwise a new link is attached and pinned. A clsact
   * filter (kernels without tcx) is replaced in place and stays on its hook
   * by itself.
   */
  private attachHook(name: string, ifindex: number, dir: 'ingress' | 'egress'): BpfLink {
    const prog = this.trafficObj.program(`traffic_${dir}`);
    const file = tcLinkPin(this.pinDir, ifindex, dir);
    const pinned = BpfLink.openPinned(file, `tc ${dir} ${name}`);
    if (pinned) {
      try {
        pinned.update(prog);
        return pinned;
      } catch (e) {
        // Defunct: its interface was deleted (ENOLINK). A new link takes its place.
        this.log(`pinned link ${file} cannot be reused (${(e as Error).message}); attaching anew`);
        pinned.detach();
        fs.rmSync(file, { force: true });
      }
    }
    const link = prog.attachTc(ifindex, dir, {}, name);
    if (link.fd >= 0) {
      try {
        link.pin(file);
      } catch (e) {
        link.detach();
        throw e;
      }
    }
    return link;
  }

  private detachInterface(name: string, att: AttachedInterface): void {
    for (const d of ['ingress', 'egress']) fs.rmSync(tcLinkPin(this.pinDir, att.ifindex, d), { force: true });
    for (const l of att.links) {
      try {
        l.detach();
      } catch (e) {
        this.log(`detach from ${name}: ${(e as Error).message}`);
      }
    }
    this.markAttached(name, att.ifindex, false);
    this.interfaces.delete(name);
  }

  attachedInterfaces(): { name: string; ifindex: number; mode: string }[] {
    return [...this.interfaces].map(([name, a]) => ({ name, ifindex: a.ifindex, mode: a.links[0]?.kind ?? '' }));
  }

  /** Drop counts by key; the locations of unspecified drops first seen here are looked up (locationName). */
  readDrops(): DropSample[] {
    const out = this.drops.entries().map(([k, v]): DropSample => {
      const key = DROP_KEY.decode(k);
      return { srcNf: key.src_nf, dstNf: key.dst_nf, proto: key.proto, reason: key.reason, location: key.location, count: v.readBigUInt64LE(0) };
    });
    this.locations.learn(out.map((s) => s.location));
    return out;
  }

  /** The kernel function at a drop location, when known (within the cap on distinct names). */
  locationName(addr: bigint): string | undefined {
    return this.locations.nameOf(addr);
  }

  /**
   * Packets and bytes per NF pair and protocol, one sample per key: the
   * `traffic` map's, plus what the address pairs that hold a slot of
   * nf_pair_cache counted there on each CPU. A pair's packets on one CPU are
   * always counted in the same one of the two, so a key's sum only grows.
   */
  readTraffic(): TrafficSample[] {
    const byKey = new Map<number, TrafficSample>();
    const add = (srcNf: number, dstNf: number, proto: NfProto, packets: bigint, bytes: bigint) => {
      const id = (srcNf * 0x200000 + dstNf) * 8 + proto; // exact for NF ids below 2^21
      const e = byKey.get(id);
      if (e) {
        e.packets += packets;
        e.bytes += bytes;
      } else byKey.set(id, { srcNf, dstNf, proto, packets, bytes });
    };
    for (const [k, v] of this.traffic.entries()) {
      const key = TRAFFIC_KEY.decode(k);
      const val = TRAFFIC_VAL.decode(v);
      add(key.src_nf, key.dst_nf, key.proto, val.packets, val.bytes);
    }
    const { nfLoAt, nfHiAt, validAt, countAt, stride, packetsAt, bytesAt } = NF_PAIR_AT;
    let held = 0;
    for (const [, cpus] of this.nfPairCache.entriesPerCpu()) {
      for (const c of cpus) {
        if (c.readUInt32LE(validAt) === 0) continue;
        held++;
        const lo = c.readUInt32LE(nfLoAt);
        const hi = c.readUInt32LE(nfHiAt);
        for (let dir = 0; dir < 2; dir++) {
          for (let proto = 1; proto < PROTO_SLOTS; proto++) {
            const o = countAt + (dir * PROTO_SLOTS + proto) * stride;
            const packets = c.readBigUInt64LE(o + packetsAt);
            if (packets === 0n) continue;
            add(dir ? hi : lo, dir ? lo : hi, proto, packets, c.readBigUInt64LE(o + bytesAt));
          }
        }
      }
    }
    this.nfPairHeld = held;
    return [...byKey.values()];
  }

  /** The programs' own event counters, by enum nf_event slot. */
  readEvents(): bigint[] {
    const out: bigint[] = [];
    for (let i = 0; i < NF_EVENT_SLOTS; i++) {
      const k = Buffer.alloc(4);
      k.writeUInt32LE(i);
      out.push(this.events.lookup(k)?.readBigUInt64LE(0) ?? 0n);
    }
    return out;
  }

  /** Latency histograms of every series, cumulative since load. */
  readHists(): HistSample[] {
    // Straight to numbers (exact below 2^53): HIST.decode makes a BigInt of every slot of
    // every entry, each second, which costs more than the rest of the read.
    const { slots: slotsAt, sum_ns: sumAt, accepted: acceptedAt } = HIST.offset;
    const u64 = (b: Buffer, at: number) => b.readUInt32LE(at) + b.readUInt32LE(at + 4) * 0x1_0000_0000;
    const sameAccepted = (was: readonly number[], v: Buffer) => {
      for (let i = 0; i < was.length; i++) if (was[i] !== u64(v, acceptedAt + 8 * i)) return false;
      return true;
    };
    const next = new Map<string, HistEntry>();
    const out = this.hists.entries().map(([k, v]): HistSample => {
      // Every request adds its latency (> 0) to sum_ns: an unchanged sum is an unchanged
      // histogram, whose slots need not be decoded again. Its outcome is counted a moment
      // later, so a read may see the one without the other: the counts are compared too.
      const sumNs = u64(v, sumAt);
      const id = k.toString('latin1');
      const was = this.lastHists.get(id);
      if (was && was.sample.sumNs === sumNs && sameAccepted(was.sample.accepted!, v)) {
        next.set(id, was);
        return was.sample;
      }
      const accepted = FAST_OUTCOME_CODES.map((_, i) => u64(v, acceptedAt + 8 * i));
      // Two arrays per entry, taking turns: the one of the last read stays as it was
      // (the collector takes its deltas against it), the other is written. A read
      // makes no garbage of 434 numbers per entry.
      const slots = was?.spare ?? new Float64Array(HIST_SLOTS);
      if (v.byteOffset % 4 === 0) {
        const w = new Uint32Array(v.buffer, v.byteOffset + slotsAt, 2 * HIST_SLOTS);
        for (let i = 0; i < HIST_SLOTS; i++) slots[i] = w[2 * i] + w[2 * i + 1] * 0x1_0000_0000;
      } else {
        for (let i = 0; i < HIST_SLOTS; i++) slots[i] = u64(v, slotsAt + 8 * i);
      }
      const sample = { key: was?.sample.key ?? LAT_KEY.decode(k), slots, sumNs, accepted };
      next.set(id, { sample, spare: was ? (was.sample.slots as Float64Array) : undefined });
      return sample;
    });
    this.lastHists = next;
    return out;
  }

  /** The last read's samples by key bytes (readHists reuses those whose sum did not change), each with the array its next change is written into. */
  private lastHists = new Map<string, HistEntry>();

  readOutcomes(): OutcomeSample[] {
    return this.outcomes.entries().map(([k, v]) => {
      const o = OUTCOME_KEY.decode(k);
      return {
        key: { client_nf: o.client_nf, server_nf: o.server_nf, proto: o.proto, procedure: o.procedure },
        outcome: o.outcome,
        code: o.code,
        count: v.readBigUInt64LE(0),
      };
    });
  }

  readRetransmissions(): RetransSample[] {
    return this.retrans.entries().map(([k, v]) => ({ key: LAT_KEY.decode(k), count: v.readBigUInt64LE(0) }));
  }

  /**
   * Removes requests that have waited longer than the timeout and returns
   * them: each is a timeout of its series. The kernel stamps with
   * bpf_ktime_get_ns(), CLOCK_MONOTONIC, the clock of process.hrtime. Reads
   * the in-flight table through its shared memory and takes a slot out the
   * way the programs do (compare-and-swap of its state), so a response that
   * completes a request at the same moment counts it once, as one or the other.
   */
  sweepTimeouts(timeoutNs: bigint, nowNs = process.hrtime.bigint()): LatKey[] {
    const out: LatKey[] = [];
    const words = this.inflightWords;
    const { stride, state, tsLo, tsHi, protoByte } = INFLIGHT_WORDS;
    const now = Number(nowNs);
    const timeout = Number(timeoutNs);
    let held = 0;
    for (let o = 0; o < words.length; o += stride) {
      if (words[o + state] !== InflightState.Held) continue;
      held++;
      const ts = words[o + tsHi] * 4294967296 + words[o + tsLo];
      const sbi = this.inflightBytes[o * 4 + protoByte] === NfProto.Sbi;
      if (now - ts < timeout && !sbi) continue;
      const slot = this.slotAt(o);
      if (sbi && this.sbiStreamReleased(slot)) {
        // Released, not a timeout: the stream can get no response any more.
        if (this.takeSlot(o, slot.ts_ns)) held--;
        continue;
      }
      if (now - ts < timeout) continue;
      // A response may have taken it in the meantime: only a successful take is a timeout.
      if (!this.takeSlot(o, slot.ts_ns)) continue;
      out.push({ client_nf: slot.client_nf, server_nf: slot.server_nf, proto: slot.proto, procedure: slot.procedure });
    }
    // The requests this pass saw held and did not take out: the table's fill, without a second pass.
    this.inflightHeld = held - out.length;
    return out;
  }

  /** The requests in flight and their slots, read the way the sweep reads them (for tests and diagnostics). */
  inflightSlots(): { index: number; slot: InflightSlot }[] {
    const { stride, state } = INFLIGHT_WORDS;
    const out: { index: number; slot: InflightSlot }[] = [];
    for (let o = 0; o < this.inflightWords.length; o += stride) if (this.inflightWords[o + state] === InflightState.Held) out.push({ index: o / stride, slot: this.slotAt(o) });
    return out;
  }

  private slotAt(wordOffset: number) {
    return INFLIGHT_SLOT.decode(Buffer.from(this.inflightMem, wordOffset * 4, INFLIGHT_SLOT.size));
  }

  /**
   * Takes the slot at wordOffset out of the table if it still holds the
   * request stamped at tsNs: claims it (held → busy), checks that it was not
   * taken and filled again since it was read, and frees it.
   */
  private takeSlot(wordOffset: number, tsNs: bigint): boolean {
    const at = wordOffset * 4 + INFLIGHT_SLOT.offset.state;
    if (atomicCas32(this.inflightMem, at, InflightState.Held, InflightState.Busy) !== InflightState.Held) return false;
    if (this.slotAt(wordOffset).ts_ns !== tsNs) {
      atomicCas32(this.inflightMem, at, InflightState.Busy, InflightState.Held);
      return false;
    }
    atomicCas32(this.inflightMem, at, InflightState.Busy, InflightState.Free);
    return true;
  }

  /**
   * An SBI stream in flight whose connection is gone (FIN both ways, RST) or
   * above the last stream id of the server's GOAWAY gets no response: it is
   * released, not a timeout. The datapath cannot list a connection's
   * streams, so the sweep does this.
   */
  private sbiStreamReleased(slot: { saddr: Buffer; daddr: Buffer; sport: number; dport: number; proto: NfProto; seq: number }): boolean {
    const conn = this.h2Conns.lookup(FLOW_SEQ.encode({ saddr: slot.saddr, daddr: slot.daddr, sport: slot.sport, dport: slot.dport, proto: slot.proto, seq: 0 }));
    if (!conn) return true;
    return slot.seq > H2_CONN.decode(conn).goaway_last;
  }

  programs(): ProgramStatus[] {
    const points = new Map<string, string[]>();
    const add = (prog: string, target: string) => points.set(prog, [...(points.get(prog) ?? []), target]);
    add('count_drop', this.tracingLinks[0]?.target ?? 'not attached');
    for (const [, att] of this.interfaces) {
      add('traffic_ingress', att.links[0].target);
      add('traffic_egress', att.links[1].target);
    }
    return this.objects.flatMap((o) =>
      o.programs().map((p) => {
        const s = p.stats();
        return { name: p.name, attachPoints: points.get(p.name) ?? [], runCount: s.runCount, runTimeNs: s.runTimeNs };
      }),
    );
  }

  maps(): MapStatus[] {
    // Shared maps appear in both objects; report each once.
    const seen = new Set<string>();
    return this.objects
      .flatMap((o) => o.maps())
      .filter((m) => !seen.has(m.name) && seen.add(m.name))
      .map((m) => {
        // Arrays are always full: what matters is how many of their slots are in use.
        if (m.name === 'inflight') return { name: m.name, entries: this.inflightHeld, capacity: m.maxEntries };
        if (m.name === 'nf_pair_cache') return { name: m.name, entries: this.nfPairHeld, capacity: m.maxEntries * possibleCpus() };
        return { name: m.name, ...m.fill() };
      });
  }

  /** Whether BPF run-time statistics are on: held by this exporter, or by the kernel.bpf_stats_enabled sysctl. */
  programStats(): 'exporter' | 'sysctl' | 'off' {
    if (this.stats) return 'exporter';
    try {
      return fs.readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim() === '1' ? 'sysctl' : 'off';
    } catch {
      return 'off';
    }
  }

  get ready(): boolean {
    return this.tracingLinks.length > 0 && this.tracingLinks.every((l) => l.attached);
  }

  /**
   * Detaches every program, unloads everything and removes the pinned
   * datapath; safe to call twice.
   */
  close(): void {
    for (const [name, att] of [...this.interfaces]) this.detachInterface(name, att);
    for (const l of this.tracingLinks.splice(0)) {
      try {
        l.detach();
      } catch (e) {
        this.log(`detach ${l.target}: ${(e as Error).message}`);
      }
    }
    for (const o of this.objects.splice(0)) o.close();
    this.stats?.close();
    this.stats = undefined;
    try {
      removeDatapath(this.pinDir);
    } catch (e) {
      this.log(`cannot remove the datapath pinned in ${this.pinDir}: ${(e as Error).message}`);
    }
  }

  /**
   * Lets go of the datapath without stopping it: the programs go on counting
   * in the kernel, held by their pins, for the next exporter to adopt. Safe
   * to call twice.
   */
  leave(): void {
    try {
      if (this.objects.length > 0 && this.meta) this.saveRecord();
    } catch (e) {
      this.log(`cannot update the record of the pinned datapath: ${(e as Error).message}`);
    }
    for (const att of this.interfaces.values()) for (const l of att.links) l.disown();
    this.interfaces.clear();
    for (const l of this.tracingLinks.splice(0)) l.disown();
    for (const o of this.objects.splice(0)) o.close();
    this.stats?.close();
    this.stats = undefined;
  }
}

/** A pin_dir that start() made but left nothing in is removed again. */
function removeIfEmpty(dir: string): void {
  try {
    if (fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
  } catch {
    // not there, or not empty: nothing of this start's
  }
}

function readIfindex(name: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(SYS_NET, name, 'ifindex'), 'utf8').trim());
  } catch {
    return undefined; // vanished between readdir and read
  }
}
