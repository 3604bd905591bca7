/**
 * The history saved to a file at shutdown and read back at start
 * (`history.state_file`), so a restart or an upgrade does not lose the day
 * the query API answers from. The file holds the store's chunks as they are
 * (the points' own encoding, sparse.ts and store.ts), so saving and loading
 * cost about a copy of the history's bytes.
 *
 * Layout: MAGIC (16 bytes), the SHA-256 of everything after it (32 bytes),
 * the length of a JSON header (u32 little-endian), the header (format
 * version, tiers, the store's clock, every series with its chunks as first
 * point, points and bytes, flat), then the chunks' bytes in the header's order.
 * Written to a temporary file beside it and renamed, so a crash while saving
 * leaves the previous file. A file that is not one, is damaged, or was written
 * with other tiers is refused with an error naming it: the exporter does not
 * start over a history it cannot read (the operator removes the file, or fixes
 * the tiers, to go on).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CHUNK_POINTS, FAMILIES, FAMILY_LABELS, WIDTH, type HistoryStore, type StoreState } from './store';

const MAGIC = Buffer.from('nfscope-history\n', 'latin1');
/** Bumped whenever the header or the points' encoding changes. */
export const STATE_FORMAT = 1;
const HEAD = MAGIC.length + 32 + 4;

export class StateFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`history state file ${file}: ${message}`);
    this.name = 'StateFileError';
  }
}

export interface SaveResult {
  series: number;
  bytes: number;
}

/** Writes the store's history to file (atomically: a temporary file, then a rename). */
export function saveHistory(store: HistoryStore, file: string): SaveResult {
  const { state, bytes } = store.exportState();
  const header = Buffer.from(JSON.stringify({ format: STATE_FORMAT, ...state }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const hash = createHash('sha256').update(len).update(header);
  for (const b of bytes) hash.update(b);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w', 0o600);
  let total = 0;
  try {
    for (const b of [MAGIC, hash.digest(), len, header, ...bytes]) {
      for (let off = 0; off < b.length;) off += fs.writeSync(fd, b, off);
      total += b.length;
    }
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  return { series: state.series.length, bytes: total };
}

export interface LoadResult {
  /** series taken over, and left out for the series limit */
  series: number;
  skipped: number;
  bytes: number;
  /** the store's clock when saved (unix seconds) */
  savedAtS: number;
}

export interface LoadOptions {
  /**
   * The class of a drop reason, for drop series saved before drops had a
   * `class` label (they get the class their reason has now); loss without it.
   */
  dropClass?: (reason: string) => string;
}

/** Reads a saved history into an empty store; null when the file does not exist. */
export function loadHistory(store: HistoryStore, file: string, opts: LoadOptions = {}): LoadResult | null {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StateFileError(file, `cannot read: ${(e as Error).message}`);
  }
  const fail = (msg: string): never => {
    throw new StateFileError(file, msg);
  };
  if (buf.length < HEAD || !buf.subarray(0, MAGIC.length).equals(MAGIC)) fail('not an nfscope history state file (no nfscope-history header)');
  const digest = createHash('sha256')
    .update(buf.subarray(MAGIC.length + 32))
    .digest();
  if (!digest.equals(buf.subarray(MAGIC.length, MAGIC.length + 32))) fail('damaged (checksum mismatch): truncated or altered since it was written');
  const hlen = buf.readUInt32LE(MAGIC.length + 32);
  if (HEAD + hlen > buf.length) fail('damaged (header longer than the file)');
  let header: unknown;
  try {
    header = JSON.parse(buf.subarray(HEAD, HEAD + hlen).toString('utf8'));
  } catch (e) {
    fail(`damaged header: ${(e as Error).message}`);
  }
  const h = header as { format?: unknown } & StoreState;
  if (typeof h !== 'object' || h === null) fail('damaged header: not an object');
  if (h.format !== STATE_FORMAT) fail(`written in format ${JSON.stringify(h.format)}, this exporter reads format ${STATE_FORMAT}`);
  checkTiers(h, store, fail);
  if (Array.isArray(h.series)) {
    for (const s of h.series) {
      const l = s?.family === 'drop' && typeof s.labels === 'object' && s.labels !== null ? s.labels : undefined;
      if (l && l.class === undefined && typeof l.reason === 'string') l.class = opts.dropClass?.(l.reason) ?? 'loss';
    }
  }
  const blobBytes = checkShape(h, store, fail);
  if (HEAD + hlen + blobBytes !== buf.length) fail(`damaged: the header describes ${blobBytes} bytes of points, the file holds ${buf.length - HEAD - hlen}`);
  const r = store.importState(h, buf, HEAD + hlen);
  return { ...r, bytes: buf.length, savedAtS: h.now_s };
}

function checkTiers(h: StoreState, store: HistoryStore, fail: (m: string) => never): void {
  const show = (t: { resolution_s: number; buckets_per_octave: number }[]) => t.map((x) => `${x.resolution_s}s/${x.buckets_per_octave}`).join(', ');
  const want = store.tiers.map((t, ti) => ({ resolution_s: t.resolutionS, buckets_per_octave: store.bucketsPerOctave(ti) }));
  if (!Array.isArray(h.tiers) || !h.tiers.every((t) => t && Number.isInteger(t.resolution_s) && Number.isInteger(t.buckets_per_octave))) fail('damaged header: tiers');
  // Retention may differ (points past it are dropped); what a point means may not.
  if (h.tiers.length !== want.length || h.tiers.some((t, i) => t.resolution_s !== want[i].resolution_s || t.buckets_per_octave !== want[i].buckets_per_octave)) {
    fail(`written with the tiers (resolution/buckets per octave) ${show(h.tiers)}, the configuration has ${show(want)}: restore history.tiers or remove the file`);
  }
}

/** Checks every field importState relies on; returns the bytes of points the header describes. */
function checkShape(h: StoreState, store: HistoryStore, fail: (m: string) => never): number {
  const int = (x: unknown): x is number => Number.isSafeInteger(x);
  if (!int(h.now_s) || !int(h.start_s)) fail('damaged header: clock');
  if (!Array.isArray(h.floor) || h.floor.length !== store.tiers.length || !h.floor.every((f) => f === null || int(f))) fail('damaged header: floor');
  if (!Array.isArray(h.series)) fail('damaged header: series');
  let total = 0;
  h.series.forEach((s, k) => {
    const where = `series ${k}`;
    if (typeof s !== 'object' || s === null || !FAMILIES.includes(s.family)) fail(`damaged header: ${where}: family`);
    if (typeof s.labels !== 'object' || s.labels === null || !FAMILY_LABELS[s.family].every((n) => typeof s.labels[n] === 'string')) fail(`damaged header: ${where}: labels`);
    if (!int(s.first_t) || !int(s.last_t) || !Array.isArray(s.tiers) || s.tiers.length !== store.tiers.length) fail(`damaged header: ${where}: tiers`);
    s.tiers.forEach((t) => {
      if (typeof t !== 'object' || t === null || !Array.isArray(t.chunks) || !int(t.open_p) || !Array.isArray(t.open)) fail(`damaged header: ${where}: tier`);
      if (t.chunks.length % 3 !== 0) fail(`damaged header: ${where}: chunks`);
      let prev = -Infinity;
      for (let k = 0; k < t.chunks.length; k += 3) {
        const c = t.chunks.slice(k, k + 3);
        if (!c.every(int) || c[0] % CHUNK_POINTS !== 0 || c[0] <= prev || c[1] < 1 || c[1] > CHUNK_POINTS || c[2] < 0) {
          fail(`damaged header: ${where}: chunk ${JSON.stringify(c)}`);
        }
        prev = c[0];
        total += c[2];
      }
      if (!t.open.every((e) => Array.isArray(e) && e.length === 2 && int(e[0]) && e[0] >= 0 && e[0] < WIDTH[s.family] && Number.isFinite(e[1]) && e[1] >= 0)) {
        fail(`damaged header: ${where}: open point`);
      }
    });
  });
  return total;
}
