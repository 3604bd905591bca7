/**
 * The datapath kept in a bpf file system between exporter processes: its
 * maps and links are pinned under one directory (`datapath.pin_dir`), so that
 * the programs go on counting while no exporter runs and the next exporter
 * adopts them with every table as it was (SBI connections' HPACK state,
 * requests in flight, counters). A record in the pinned map `meta` says
 * what build of the maps it is, which NF ids were given out and which
 * interfaces carry nfscope's classic tc filters. Layout of the directory:
 *
 *   map_<name>                 every map of both objects (map_meta among them)
 *   link_drops                 the skb:kfree_skb program's link
 *   link_tc_<ifindex>_<dir>    a tcx link of an interface (dir: ingress, egress)
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { BpfMap, type BpfObject, tcDetach } from './kernel/bpf';
import { FAST_OUTCOME_CODES, InflightState, NfEvent, NfOutcome, NfProto, SbiMethod, SHARED_LAYOUTS } from './kernel/layout';
import type { NfIdEntry } from './nfs';

/** Handle and priority of nfscope's clsact filters (kernels without tcx), as the binding attaches them. */
export const TC_HANDLE = 0x6e66;
export const TC_PRIORITY = 0x6e66;
const META_VERSION = 1;

export interface DatapathRecord {
  version: number;
  /** fingerprint of every map's definition and of the layouts shared with the programs */
  abi: string;
  /** exporter version that created the datapath, and when */
  createdBy: string;
  createdAt: string;
  /** the exporter that last adopted or created it */
  lastBy: string;
  nfs: NfIdEntry[];
  /** interfaces attached with classic clsact filters, which cannot be pinned (they stay on the hook by themselves) */
  clsact: { name: string; ifindex: number }[];
}

export function mapPin(dir: string, name: string): string {
  return path.join(dir, `map_${name}`);
}

export function dropsLinkPin(dir: string): string {
  return path.join(dir, 'link_drops');
}

export function tcLinkPin(dir: string, ifindex: number, direction: string): string {
  return path.join(dir, `link_tc_${ifindex}_${direction}`);
}

/**
 * Fingerprint of the maps the objects define (name, type, key and value size,
 * capacity) and of the struct layouts the exporter reads them with: two builds
 * with the same fingerprint can share one set of maps.
 */
export function mapsAbi(objects: BpfObject[]): string {
  const seen = new Set<string>();
  const maps = objects
    .flatMap((o) => o.maps())
    .filter((m) => !seen.has(m.name) && seen.add(m.name))
    .map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  // The layouts and enums the exporter reads the maps with (kernel/layout.ts).
  const layouts = [SHARED_LAYOUTS.map((l) => [l.cName, l.size, l.fields.map((f) => [f.name, f.type, f.count, f.offset])]), [NfProto, NfEvent, SbiMethod, InflightState, NfOutcome, FAST_OUTCOME_CODES]];
  return createHash('sha256').update(JSON.stringify({ maps, layouts })).digest('hex').slice(0, 32);
}

export const BPFFS = '/sys/fs/bpf';

/**
 * Makes sure `dir` is on a bpf file system. The usual one, /sys/fs/bpf, is
 * mounted when nothing is mounted there yet (systemd mounts it at boot; a
 * bare machine or container may not); any other place must be mounted by
 * whoever chose it.
 */
export function ensureBpffs(dir: string, log: (m: string) => void): void {
  try {
    checkBpffs(dir);
    return;
  } catch (e) {
    if (!(dir === BPFFS || dir.startsWith(`${BPFFS}/`)) || !fs.existsSync(BPFFS) || mountAt(BPFFS)) throw e;
  }
  try {
    execFileSync('mount', ['-t', 'bpf', 'bpf', BPFFS], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = (e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message;
    throw new Error(
      `datapath.pin_dir ${dir}: no bpf file system is mounted at ${BPFFS}, and mounting one failed (${err}); mount it with \`mount -t bpf bpf ${BPFFS}\` (in a container: a hostPath volume of ${BPFFS})`,
    );
  }
  log(`mounted a bpf file system at ${BPFFS}`);
  checkBpffs(dir);
}

function mounts(): { at: string; type: string }[] {
  try {
    return fs
      .readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f.length > 2)
      .map((f) => ({ at: f[1].replace(/\\040/g, ' '), type: f[2] }));
  } catch (e) {
    throw new Error(`cannot read /proc/self/mounts to check datapath.pin_dir: ${(e as Error).message}`);
  }
}

function mountAt(at: string): boolean {
  return mounts().some((m) => m.at === at);
}

/** Throws unless `dir` would be on a bpf file system (checked on the mount it would be under). */
export function checkBpffs(dir: string): void {
  let best: { at: string; type: string } | undefined;
  for (const m of mounts()) {
    const under = dir === m.at || dir.startsWith(m.at.endsWith('/') ? m.at : `${m.at}/`);
    if (under && (!best || m.at.length >= best.at.length)) best = m;
  }
  if (best?.type !== 'bpf') {
    throw new Error(
      `datapath.pin_dir ${dir} is not on a bpf file system (it is on ${best ? `${best.type} at ${best.at}` : 'no mount'}); mount one with \`mount -t bpf bpf /sys/fs/bpf\`, or give a pin_dir under it`,
    );
  }
}

/** The record of the datapath pinned in `dir`, undefined when there is none; throws when one is there but unreadable. */
export function readRecord(dir: string): DatapathRecord | undefined {
  const meta = BpfMap.openPinned(mapPin(dir, 'meta'));
  if (!meta) return undefined;
  const raw = meta.lookup(Buffer.alloc(4));
  meta.close();
  const text = raw ? raw.toString('utf8', 0, raw.indexOf(0) < 0 ? raw.length : raw.indexOf(0)) : '';
  if (!text) return undefined;
  try {
    const r = JSON.parse(text) as DatapathRecord;
    if (typeof r.abi !== 'string' || !Array.isArray(r.nfs)) throw new Error('no abi or nfs');
    r.clsact ??= [];
    return r;
  } catch (e) {
    throw new Error(`the record of the pinned datapath (${mapPin(dir, 'meta')}) is not readable: ${(e as Error).message}; remove it with \`nfscope remove-datapath\``);
  }
}

export function writeRecord(meta: BpfMap, record: DatapathRecord): void {
  const text = Buffer.from(JSON.stringify(record), 'utf8');
  if (text.length >= meta.valueSize) throw new Error(`the datapath record has ${text.length} bytes; map meta holds ${meta.valueSize - 1}`);
  const value = Buffer.alloc(meta.valueSize);
  text.copy(value);
  meta.update(Buffer.alloc(4), value);
}

export function newRecord(abi: string, version: string): DatapathRecord {
  const now = new Date().toISOString();
  return { version: META_VERSION, abi, createdBy: version, createdAt: now, lastBy: version, nfs: [], clsact: [] };
}

/**
 * Removes the datapath pinned in `dir`: its links first (the programs stop
 * running as the last reference to each goes), the classic tc filters its
 * record names, then the maps and the directory. Returns what it removed;
 * a directory that holds nothing is fine.
 */
export function removeDatapath(dir: string, log: (m: string) => void = () => undefined): { links: number; maps: number; filters: number } {
  const out = { links: 0, maps: 0, filters: 0 };
  if (!fs.existsSync(dir)) return out;
  let record: DatapathRecord | undefined;
  try {
    record = readRecord(dir);
  } catch (e) {
    log((e as Error).message);
  }
  const files = fs.readdirSync(dir);
  // A pinned link ends with its pin, once no process holds it open any more.
  for (const f of files.filter((x) => x.startsWith('link_'))) {
    fs.unlinkSync(path.join(dir, f));
    out.links++;
  }
  for (const c of record?.clsact ?? []) {
    for (const d of ['ingress', 'egress'] as const) if (tcDetach(c.ifindex, d, TC_HANDLE, TC_PRIORITY)) out.filters++;
  }
  for (const f of fs.readdirSync(dir)) {
    fs.unlinkSync(path.join(dir, f));
    if (f.startsWith('map_')) out.maps++;
  }
  fs.rmdirSync(dir);
  log(`removed the datapath pinned in ${dir}: ${out.links} links, ${out.filters} tc filters, ${out.maps} maps`);
  return out;
}
