/**
 * The only module that touches the kernel's BPF: a typed wrapper over the
 * native libbpf binding (exporter/native/binding.cc, loaded by addon.ts).
 * Everything above it works with BpfObject, BpfProgram, BpfMap and BpfLink
 * and can be tested without root. The binding's raw sockets are typed in
 * raw-socket.ts.
 */
import { loadAddon } from './addon';

/** A failure reported by libbpf or a bpf() system call. */
export class BpfError extends Error {
  constructor(
    message: string,
    /** errno of the failing call (EPERM = 1, ENOENT = 2, EINVAL = 22, …) */
    readonly errno: number,
    /** symbolic errno, e.g. "EPERM" */
    readonly code: string,
    /** what libbpf printed during the call: the verifier log when a load was rejected */
    readonly libbpfLog: string,
  ) {
    super(libbpfLog.trim() ? `${message}\n${libbpfLog.trimEnd()}` : message);
    this.name = 'BpfError';
  }
}

interface NativeError extends Error {
  errno?: number;
  code?: string;
  libbpfLog?: string;
}

interface NativeLink {
  readonly kind: 'libbpf' | 'tcx' | 'clsact';
  readonly attached: boolean;
  /** the link's fd (-1 for a clsact filter) */
  readonly fd: number;
  detach(): void;
  disown(): void;
}

interface NativeProgramInfo {
  name: string;
  section: string;
  type: string;
  fd: number;
}

interface NativeMapInfo {
  name: string;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  internal: boolean;
  fd: number;
}

interface NativeObject {
  setGlobal(name: string, value: Buffer): void;
  reuseMap(name: string, fd: number): void;
  load(): void;
  programs(): NativeProgramInfo[];
  maps(): NativeMapInfo[];
  attach(program: string): NativeLink;
  attachTracepoint(program: string, category: string, name: string): NativeLink;
  attachKprobe(program: string, func: string, retprobe: boolean): NativeLink;
  close(): void;
}

export interface NativeBinding {
  BpfObject: new (path: string) => NativeObject;
  tcAttach(progFd: number, ifindex: number, dir: TcDirection, opts?: TcAttachOptions): NativeLink;
  tcxQuery(ifindex: number, dir: TcDirection): number[];
  tcDetach(ifindex: number, dir: TcDirection, handle: number, priority: number): void;
  objPin(fd: number, path: string): void;
  objGet(path: string): number;
  mapInfo(fd: number): NativeMapInfo;
  linkUpdate(linkFd: number, progFd: number): void;
  linkFromFd(fd: number): NativeLink;
  mapLookup(fd: number, key: Buffer, valueBytes: number): Buffer | null;
  mapUpdate(fd: number, key: Buffer, value: Buffer, flags?: number): void;
  mapDelete(fd: number, key: Buffer): boolean;
  mapMmap(fd: number, bytes: number): ArrayBuffer;
  atomicCas32(buf: ArrayBuffer, byteOffset: number, expected: number, desired: number): number;
  mapDump(fd: number, keySize: number, valueBytes: number, withValues: boolean, sumValueSize: number, batch: boolean): { n: number; keys: Buffer; values: Buffer | null; batched: boolean };
  progInfo(fd: number): ProgramStats & { id: number; name: string };
  testRun(progFd: number, packet: Buffer): { retval: number; durationNs: number };
  enableStats(): number;
  closeFd(fd: number): void;
  numPossibleCpus(): number;
  btfEnum(name: string): Record<string, number>;
  releaseFreeMemory(): boolean;
}

/** The native addon's libbpf calls, loaded on first use (so modules that import this one load without it). */
export function native(): NativeBinding {
  return loadAddon<NativeBinding>();
}

/** Runs a native call, turning its errors into BpfError. */
function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const n = e as NativeError;
    if (typeof n.errno === 'number') {
      throw new BpfError(n.message, n.errno, n.code ?? 'E?', n.libbpfLog ?? '');
    }
    throw e;
  }
}

export type TcDirection = 'ingress' | 'egress';

export interface TcAttachOptions {
  /** classic tc filter handle and priority, used where the kernel has no tcx */
  handle?: number;
  priority?: number;
  /** false forces the classic clsact path (for tests of older kernels' behaviour) */
  tcx?: boolean;
}

export interface ProgramStats {
  /** times the program ran since load (counted only while statistics are enabled) */
  runCount: number;
  /** total run time in nanoseconds */
  runTimeNs: number;
  /** runs skipped because the program was already running on that CPU */
  recursionMisses: number;
}

/** An attachment of a program; detach() is idempotent. */
export class BpfLink {
  constructor(
    private readonly link: NativeLink,
    /** what it is attached to, e.g. "tp_btf/kfree_skb" or "tc ingress eth0" */
    readonly target: string,
  ) {}

  get kind(): string {
    return this.link.kind;
  }

  get attached(): boolean {
    return this.link.attached;
  }

  detach(): void {
    call(() => this.link.detach());
  }

  /** The link's file descriptor, -1 for a clsact filter (which is not a link). */
  get fd(): number {
    return this.link.fd;
  }

  /** Pins the link at `file` (a bpf file system): it stays attached after this process ends, until the pin is removed. */
  pin(file: string): void {
    const fd = this.fd;
    if (fd < 0) throw new Error(`${this.target}: a ${this.kind} attachment cannot be pinned`);
    call(() => native().objPin(fd, file));
  }

  /** From now on the link runs `program` instead, without a moment in between. */
  update(program: BpfProgram): void {
    const fd = this.fd;
    const progFd = program.fd;
    call(() => native().linkUpdate(fd, progFd));
  }

  /** Lets go of the attachment without ending it (a pinned link or a clsact filter stays where it is). */
  disown(): void {
    this.link.disown();
  }

  /** A tcx link pinned at `file` by an earlier process, or undefined when nothing is pinned there. */
  static openPinned(file: string, target: string): BpfLink | undefined {
    const fd = openPinnedFd(file);
    return fd === undefined ? undefined : new BpfLink(native().linkFromFd(fd), target);
  }
}

/** The fd of what is pinned at `file`, or undefined when nothing is. */
export function openPinnedFd(file: string): number | undefined {
  try {
    return call(() => native().objGet(file));
  } catch (e) {
    if (e instanceof BpfError && e.code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Pins a program, map or link (by fd) at `file` on a bpf file system. */
export function pinFd(fd: number, file: string): void {
  call(() => native().objPin(fd, file));
}

/** Removes nfscope's clsact filter (handle, priority) from an interface's hook; false when it was not there. */
export function tcDetach(ifindex: number, direction: TcDirection, handle: number, priority: number): boolean {
  try {
    call(() => native().tcDetach(ifindex, direction, handle, priority));
    return true;
  } catch (e) {
    if (e instanceof BpfError && ['ENOENT', 'ENODEV', 'EINVAL'].includes(e.code)) return false;
    throw e;
  }
}

export class BpfProgram {
  constructor(
    private readonly obj: BpfObject,
    readonly name: string,
    readonly section: string,
    readonly type: string,
  ) {}

  /** File descriptor of the loaded program (-1 before load). */
  get fd(): number {
    return this.obj.programInfo(this.name).fd;
  }

  /** Attaches where the section name says (tp_btf/…, fentry/…, kprobe/…, tracepoint/…). */
  attach(): BpfLink {
    return new BpfLink(
      call(() => this.obj.handle().attach(this.name)),
      this.section,
    );
  }

  attachTracepoint(category: string, name: string): BpfLink {
    const link = call(() => this.obj.handle().attachTracepoint(this.name, category, name));
    return new BpfLink(link, `tracepoint/${category}/${name}`);
  }

  attachKprobe(func: string, retprobe = false): BpfLink {
    const link = call(() => this.obj.handle().attachKprobe(this.name, func, retprobe));
    return new BpfLink(link, `${retprobe ? 'kretprobe' : 'kprobe'}/${func}`);
  }

  /**
   * Attaches a tc program to an interface's ingress or egress: a tcx link
   * where the kernel has tcx (after the programs already there), a clsact
   * filter otherwise. Other tc programs on the interface are left alone.
   */
  attachTc(ifindex: number, direction: TcDirection, opts: TcAttachOptions = {}, label = `ifindex ${ifindex}`): BpfLink {
    const fd = this.fd;
    const link = call(() => native().tcAttach(fd, ifindex, direction, opts));
    return new BpfLink(link, `tc ${direction} ${label}`);
  }

  /**
   * Runs the loaded program once on `packet` (BPF_PROG_TEST_RUN; an Ethernet
   * frame for tc programs), with no interface or namespace: its return value
   * and the kernel's run time. Maps see the run as they would a real packet.
   */
  testRun(packet: Buffer): { retval: number; durationNs: number } {
    const fd = this.fd;
    return call(() => native().testRun(fd, packet));
  }

  /** Run count and run time; non-zero only while statistics are enabled (see enableStats). */
  stats(): ProgramStats {
    const fd = this.fd;
    const { runCount, runTimeNs, recursionMisses } = call(() => native().progInfo(fd));
    return { runCount, runTimeNs, recursionMisses };
  }
}

export interface MapFill {
  entries: number;
  capacity: number;
}

/** Entry counts of the last full read of each map (by fd), and how long fill() takes them as current. */
const lastCounts = new Map<number, { n: number; atMs: number }>();
const FILL_REUSE_MS = 1500;

const PER_CPU_TYPES = new Set(['percpu_hash', 'percpu_array', 'lru_percpu_hash', 'percpu_cgroup_storage']);

export class BpfMap {
  readonly perCpu: boolean;

  /** A map pinned at `file` by an earlier process, or undefined; close() lets go of its fd. */
  static openPinned(file: string): BpfMap | undefined {
    const fd = openPinnedFd(file);
    if (fd === undefined) return undefined;
    const info = call(() => native().mapInfo(fd));
    return new BpfMap({ ...info, internal: false, fd }, () => fd);
  }

  /** Closes the fd of a map from openPinned (an object's maps close with the object). */
  close(): void {
    const fd = this.fd;
    call(() => native().closeFd(fd));
  }

  /** Pins the map at `file` on a bpf file system. */
  pin(file: string): void {
    pinFd(this.fd, file);
  }

  constructor(
    private readonly info: NativeMapInfo,
    private readonly fdOf: () => number,
  ) {
    this.perCpu = PER_CPU_TYPES.has(info.type);
  }

  get name(): string {
    return this.info.name;
  }
  get type(): string {
    return this.info.type;
  }
  get keySize(): number {
    return this.info.keySize;
  }
  get valueSize(): number {
    return this.info.valueSize;
  }
  get maxEntries(): number {
    return this.info.maxEntries;
  }
  get fd(): number {
    return this.fdOf();
  }

  /** Bytes the kernel reads or writes for one value: per-CPU maps carry one 8-byte-aligned slot per possible CPU. */
  private get valueBytes(): number {
    return this.perCpu ? perCpuStride(this.valueSize) * possibleCpus() : this.valueSize;
  }

  private checkKey(key: Buffer): void {
    if (key.length !== this.keySize) {
      throw new RangeError(`map ${this.name}: key has ${key.length} bytes, the map's keys have ${this.keySize}`);
    }
  }

  /** The value under key (per-CPU values summed as little-endian u64 words), or null. */
  lookup(key: Buffer): Buffer | null {
    const raw = this.lookupRaw(key);
    return raw && this.perCpu ? sumPerCpu(raw, this.valueSize) : raw;
  }

  /** Per-CPU map: the value of each possible CPU. */
  lookupPerCpu(key: Buffer): Buffer[] | null {
    this.requirePerCpu('lookupPerCpu');
    const raw = this.lookupRaw(key);
    return raw && splitPerCpu(raw, this.valueSize);
  }

  private lookupRaw(key: Buffer): Buffer | null {
    this.checkKey(key);
    const fd = this.fd;
    return call(() => native().mapLookup(fd, key, this.valueBytes));
  }

  /**
   * Sets key to value. A per-CPU map takes one value per possible CPU.
   * flags: BPF_ANY (0), BPF_NOEXIST (1), BPF_EXIST (2).
   */
  update(key: Buffer, value: Buffer | Buffer[], flags = 0): void {
    this.checkKey(key);
    let raw: Buffer;
    if (this.perCpu) {
      if (!Array.isArray(value) || value.length !== possibleCpus()) {
        throw new RangeError(`map ${this.name} is per-CPU: give one value for each of the ${possibleCpus()} possible CPUs`);
      }
      raw = joinPerCpu(value, this.valueSize);
    } else {
      if (Array.isArray(value)) throw new RangeError(`map ${this.name} is not per-CPU: give one value`);
      raw = value;
    }
    if (!this.perCpu && raw.length !== this.valueSize) {
      throw new RangeError(`map ${this.name}: value has ${raw.length} bytes, the map's values have ${this.valueSize}`);
    }
    const fd = this.fd;
    call(() => native().mapUpdate(fd, key, raw, flags));
  }

  /** Deletes key; false when it was not there. */
  delete(key: Buffer): boolean {
    this.checkKey(key);
    const fd = this.fd;
    return call(() => native().mapDelete(fd, key));
  }

  keys(): Buffer[] {
    return this.dump(false, 0).keys;
  }

  /** Every entry, per-CPU values summed. */
  entries(): [Buffer, Buffer][] {
    if (this.perCpu && this.valueSize % 8 === 0) {
      // u64 counters: the binding sums the CPUs' copies (as sumPerCpu does) while it reads them.
      const { keys, values } = this.dump(true, this.valueSize);
      return keys.map((k, i) => [k, values[i]]);
    }
    const raw = this.entriesRaw();
    return this.perCpu ? raw.map(([k, v]) => [k, sumPerCpu(v, this.valueSize)]) : raw;
  }

  /**
   * Every key (and value) in one read: batches of entries where the kernel
   * has batch lookups, and one buffer of keys and one of values from the
   * binding, here cut into views (no copy). Remembers the count for fill().
   */
  private dump(withValues: boolean, sumValueSize: number): { keys: Buffer[]; values: Buffer[] } {
    const fd = this.fd;
    const r = call(() => native().mapDump(fd, this.keySize, this.valueBytes, withValues, sumValueSize, withValues));
    const vsz = sumValueSize || this.valueBytes;
    const keys: Buffer[] = new Array(r.n);
    const values: Buffer[] = withValues ? new Array(r.n) : [];
    for (let i = 0; i < r.n; i++) {
      keys[i] = r.keys.subarray(i * this.keySize, (i + 1) * this.keySize);
      if (r.values) values[i] = r.values.subarray(i * vsz, (i + 1) * vsz);
    }
    lastCounts.set(fd, { n: r.n, atMs: Date.now() });
    return { keys, values };
  }

  /** Per-CPU map: every entry with the value of each possible CPU. */
  entriesPerCpu(): [Buffer, Buffer[]][] {
    this.requirePerCpu('entriesPerCpu');
    return this.entriesRaw().map(([k, v]) => [k, splitPerCpu(v, this.valueSize)]);
  }

  private entriesRaw(): [Buffer, Buffer][] {
    const { keys, values } = this.dump(true, 0);
    return keys.map((k, i) => [k, values[i]]);
  }

  /**
   * The memory of a BPF_F_MMAPABLE array, shared with the programs: value i
   * at byte i × valueSize (rounded up to 8). Unmapped when the ArrayBuffer is
   * garbage collected.
   */
  mmap(): ArrayBuffer {
    if (this.type !== 'array') throw new TypeError(`mmap: map ${this.name} is a ${this.type}, not an array`);
    const bytes = Math.ceil((perCpuStride(this.valueSize) * this.maxEntries) / 4096) * 4096;
    const fd = this.fd;
    return call(() => native().mapMmap(fd, bytes));
  }

  /**
   * How full the map is. Arrays are always full; hash maps count their keys,
   * or, when the map was read in full within the last FILL_REUSE_MS (the
   * exporter reads most of its maps every second), the count of that read.
   */
  fill(): MapFill {
    const isArray = this.type.endsWith('array');
    if (isArray) return { entries: this.maxEntries, capacity: this.maxEntries };
    const last = lastCounts.get(this.fd);
    const entries = last && Date.now() - last.atMs < FILL_REUSE_MS ? last.n : this.dump(false, 0).keys.length;
    return { entries, capacity: this.maxEntries };
  }

  private requirePerCpu(what: string): void {
    if (!this.perCpu) throw new TypeError(`${what}: map ${this.name} is not per-CPU`);
  }
}

/**
 * Compare-and-swap of the u32 at byteOffset of memory from BpfMap.mmap(), the
 * same atomic operation as the programs' __sync_val_compare_and_swap: returns
 * the value found (the swap happened when it equals `expected`).
 */
export function atomicCas32(buf: ArrayBuffer, byteOffset: number, expected: number, desired: number): number {
  return call(() => native().atomicCas32(buf, byteOffset, expected, desired));
}

export class BpfObject {
  private obj: NativeObject | undefined;
  private loaded = false;

  private constructor(
    obj: NativeObject,
    /** the ELF file it came from */
    readonly path: string,
  ) {
    this.obj = obj;
  }

  /** Opens an eBPF ELF object; nothing reaches the kernel until load(). */
  static open(file: string): BpfObject {
    const Ctor = native().BpfObject;
    return new BpfObject(
      call(() => new Ctor(file)),
      file,
    );
  }

  /** @internal */
  handle(): NativeObject {
    if (!this.obj) throw new Error(`BPF object ${this.path} is closed`);
    return this.obj;
  }

  /**
   * Sets a load-time global (`const volatile` in .rodata, or .data/.bss) before load.
   * Numbers are written as little-endian u32, bigints as u64, booleans as one byte.
   */
  setGlobal(name: string, value: Buffer | number | bigint | boolean): void {
    if (this.loaded) throw new Error(`setGlobal ${name}: ${this.path} is already loaded`);
    let buf: Buffer;
    if (Buffer.isBuffer(value)) buf = value;
    else if (typeof value === 'boolean') buf = Buffer.from([value ? 1 : 0]);
    else if (typeof value === 'bigint') {
      buf = Buffer.alloc(8);
      buf.writeBigUInt64LE(value);
    } else {
      buf = Buffer.alloc(4);
      buf.writeUInt32LE(value >>> 0);
    }
    call(() => this.handle().setGlobal(name, buf));
  }

  /** Makes the map `name` of this object share another loaded object's map. */
  reuseMap(name: string, map: BpfMap): void {
    if (this.loaded) throw new Error(`reuseMap ${name}: ${this.path} is already loaded`);
    const fd = map.fd;
    call(() => this.handle().reuseMap(name, fd));
  }

  /** Creates the maps and loads the programs; a rejected program's verifier log is in the BpfError. */
  load(): void {
    call(() => this.handle().load());
    this.loaded = true;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** @internal */
  programInfo(name: string): NativeProgramInfo {
    const p = this.handle()
      .programs()
      .find((x) => x.name === name);
    if (!p) throw new Error(`no program ${name} in ${this.path}`);
    return p;
  }

  programs(): BpfProgram[] {
    return this.handle()
      .programs()
      .map((p) => new BpfProgram(this, p.name, p.section, p.type));
  }

  program(name: string): BpfProgram {
    const p = this.programInfo(name);
    return new BpfProgram(this, p.name, p.section, p.type);
  }

  /** The object's maps, without libbpf's internal .rodata/.data/.bss maps. */
  maps(): BpfMap[] {
    return this.handle()
      .maps()
      .filter((m) => !m.internal)
      .map((m) => new BpfMap(m, () => this.mapFd(m.name)));
  }

  map(name: string): BpfMap {
    const m = this.handle()
      .maps()
      .find((x) => x.name === name);
    if (!m) throw new Error(`no map ${name} in ${this.path}`);
    return new BpfMap(m, () => this.mapFd(name));
  }

  private readonly fds = new Map<string, number>();

  private mapFd(name: string): number {
    // A loaded map keeps its fd until the object is closed: looked up once.
    const known = this.fds.get(name);
    if (known !== undefined && this.obj) return known;
    const m = this.handle()
      .maps()
      .find((x) => x.name === name);
    if (!m || m.fd < 0) throw new Error(`map ${name} of ${this.path} is not loaded`);
    this.fds.set(name, m.fd);
    return m.fd;
  }

  /** Unloads programs and maps that nothing else holds. Links stay until detached. */
  close(): void {
    for (const fd of this.fds.values()) lastCounts.delete(fd);
    this.fds.clear();
    this.obj?.close();
    this.obj = undefined;
  }
}

/**
 * Hands the free pages of the C heap (glibc's malloc arenas) back to the
 * kernel; returns whether there were any. Not about eBPF, but the binding is
 * the exporter's one native module.
 */
export function releaseFreeMemory(): boolean {
  return native().releaseFreeMemory();
}

let cpus: number | undefined;

/** Number of possible CPUs: the number of slots in a per-CPU map value. */
export function possibleCpus(): number {
  if (cpus === undefined) cpus = call(() => native().numPossibleCpus());
  return cpus;
}

/** Per-CPU values are laid out one per CPU, each rounded up to 8 bytes. */
export function perCpuStride(valueSize: number): number {
  return Math.ceil(valueSize / 8) * 8;
}

export function splitPerCpu(raw: Buffer, valueSize: number): Buffer[] {
  const stride = perCpuStride(valueSize);
  const out: Buffer[] = [];
  for (let off = 0; off + stride <= raw.length; off += stride) out.push(raw.subarray(off, off + valueSize));
  return out;
}

export function joinPerCpu(values: Buffer[], valueSize: number): Buffer {
  const stride = perCpuStride(valueSize);
  const raw = Buffer.alloc(stride * values.length);
  values.forEach((v, i) => {
    if (v.length !== valueSize) throw new RangeError(`per-CPU value ${i} has ${v.length} bytes, expected ${valueSize}`);
    v.copy(raw, i * stride);
  });
  return raw;
}

/** Sums per-CPU values word by word; values must be made of u64 counters. */
export function sumPerCpu(raw: Buffer, valueSize: number): Buffer {
  if (valueSize % 8 !== 0) throw new RangeError(`cannot sum per-CPU values of ${valueSize} bytes: not u64 counters`);
  const out = Buffer.alloc(valueSize);
  // In 32-bit halves with a carry, modulo 2^64: BigInt arithmetic here cost more than the
  // rest of a read of a histogram map (435 words per entry and CPU, every second).
  const acc = new Uint32Array(valueSize / 4);
  const stride = perCpuStride(valueSize);
  const aligned = raw.byteOffset % 4 === 0;
  const all = aligned ? new Uint32Array(raw.buffer, raw.byteOffset, Math.floor(raw.length / 4)) : null;
  for (let off = 0; off + stride <= raw.length; off += stride) {
    for (let w = 0; w < valueSize / 4; w += 2) {
      const vlo = all ? all[off / 4 + w] : raw.readUInt32LE(off + 4 * w);
      const vhi = all ? all[off / 4 + w + 1] : raw.readUInt32LE(off + 4 * w + 4);
      const lo = acc[w] + vlo;
      const carry = lo > 0xffffffff ? 1 : 0;
      acc[w] = lo; // Uint32Array stores modulo 2^32
      acc[w + 1] = acc[w + 1] + vhi + carry;
    }
  }
  // Little-endian words on a little-endian host (the only kind BPF maps here are read on).
  Buffer.from(acc.buffer).copy(out);
  return out;
}

/** Ids of the programs attached through tcx on a hook, in run order. */
export function tcxPrograms(ifindex: number, direction: TcDirection): number[] {
  return call(() => native().tcxQuery(ifindex, direction));
}

/**
 * Turns on the kernel's per-program run count and run time (kernel.bpf_stats_enabled)
 * for as long as the returned handle is open.
 */
export function enableStats(): { close(): void } {
  let fd = call(() => native().enableStats());
  return {
    close() {
      if (fd >= 0) call(() => native().closeFd(fd));
      fd = -1;
    },
  };
}

/** Enumerators of a kernel enum, read from the running kernel's BTF (/sys/kernel/btf/vmlinux). */
export function kernelEnum(name: string): Map<string, number> {
  return new Map(Object.entries(call(() => native().btfEnum(name))));
}
