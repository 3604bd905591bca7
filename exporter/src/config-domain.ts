/**
 * The checks of a configuration that its schema (config-schema.ts) cannot
 * express: IP addresses and their owners, NF names unique, ports unique and
 * not shared by two protocols on one transport, peers, interface patterns
 * that can match, durations and sizes with their units, the order of history
 * tiers, drop reasons listed once, and the files the configuration names.
 * Each check runs on what the schema found well-formed, and the result is the
 * Config the file describes (used only when nothing at all was reported).
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, normalize, resolve } from 'node:path';
import { durationSeconds } from '@nfscope/cli/duration';
import { parseIp } from './address';
import type { ApiConfig, Config, DatapathConfig, DropsConfig, HistoryConfig, NfConfig, ProtocolPorts } from './config';
import { DEFAULT_DURATION_BUCKETS, DEFAULT_PIN_DIR, DEFAULT_PORTS, DEFAULT_REQUEST_TIMEOUT_SECONDS, PROTOCOLS, type Protocol } from './config-schema';
import { isMapping, show, type At, type Problem, formatPath } from './config-validate';
import { minLength, parseGlob } from './glob';
import { normalizePeer } from './peer-url';

/** Ports only clash between protocols that share a transport. */
const TRANSPORT: Readonly<Record<Protocol, string>> = { pfcp: 'UDP', gtpu: 'UDP', sbi: 'TCP', ngap: 'SCTP' };

const MAX_REQUEST_TIMEOUT_SECONDS = 600;

/** IFNAMSIZ - 1: the longest Linux interface name. */
const MAX_IFNAME_LENGTH = 15;

/** The schema's problems so far, and the domain's as they are found. */
export class Report {
  readonly problems: Problem[];
  private readonly schemaPaths: Set<string>;

  constructor(schemaProblems: Problem[]) {
    this.problems = [...schemaProblems];
    this.schemaPaths = new Set(schemaProblems.map((p) => formatPath(p.at)));
  }

  /** `after`: report it after everything at or under that path (a check across entries). */
  add(at: At, message: string, after?: At): void {
    this.problems.push(after === undefined ? { at, message } : { at, message, after });
  }

  /** Whether the value at `at` itself failed the schema (not something inside it). */
  bad(at: At): boolean {
    return this.schemaPaths.has(formatPath(at));
  }
}

/** `map[key]` when it is there and the schema found it well-formed; undefined otherwise. */
function good(report: Report, map: Record<string, unknown>, at: At, key: string): unknown {
  const value = map[key];
  return value === undefined || report.bad([...at, key]) ? undefined : value;
}

function goodList(report: Report, value: unknown, at: At): unknown[] | undefined {
  return Array.isArray(value) && !report.bad(at) ? value : undefined;
}

/** The Config of a document whose top level is a mapping; problems go to `report`. */
export function checkDomain(top: Record<string, unknown>, report: Report, defaultNode: string): Config {
  const g = (key: string): unknown => good(report, top, [], key);
  const datapath = checkDatapath(g('datapath'), report);
  const config: Config = {
    node: (g('node') as string | undefined) ?? defaultNode,
    interfaces: checkInterfaces(g('interfaces'), report),
    nfs: checkNfs(g('nfs'), report),
    protocols: checkProtocols(g('protocols'), report),
    peers: checkPeers(g('peers'), report),
    requestTimeoutSeconds: top.request_timeout === undefined ? DEFAULT_REQUEST_TIMEOUT_SECONDS : checkRequestTimeout(top.request_timeout, report),
    durationBuckets: top.duration_buckets === undefined ? DEFAULT_DURATION_BUCKETS : checkDurationBuckets(g('duration_buckets'), report),
    programStats: (g('program_stats') as boolean | undefined) ?? false,
    datapath,
    drops: checkDrops(g('drops'), report),
  };
  const history = g('history');
  if (isMapping(history)) config.history = checkHistory(history, report);
  if (top.peers_timeout !== undefined) config.peersTimeoutSeconds = checkDuration(top.peers_timeout, ['peers_timeout'], 0.1, 60, report);
  const api = g('api');
  if (isMapping(api)) config.api = checkApi(api, report);
  return config;
}

// ---------------------------------------------------------------------------
// interfaces and NFs

function checkInterfaces(value: unknown, report: Report): string[] {
  const patterns: string[] = [];
  goodList(report, value, ['interfaces'])?.forEach((pattern, i) => {
    const at = ['interfaces', i];
    if (typeof pattern !== 'string' || report.bad(at)) return;
    const problem = interfacePatternProblem(pattern);
    if (problem === undefined) patterns.push(pattern);
    else report.add(at, problem);
  });
  return patterns;
}

function interfacePatternProblem(pattern: string): string | undefined {
  // Linux rejects "/", ":" and whitespace in interface names; non-printable
  // and non-ASCII characters are rejected here too.
  const bad = [...pattern].find((c) => c < '!' || c > '~' || c === '/' || c === ':');
  if (bad !== undefined) return `${show(pattern)} contains ${show(bad)}, which cannot appear in an interface name`;
  const glob = parseGlob(pattern);
  if (glob.unclosedBracket) {
    return `${show(pattern)} has a "[" without a closing "]" (expected a bracket expression like [0-9])`;
  }
  const least = minLength(glob);
  if (least > MAX_IFNAME_LENGTH) {
    return `${show(pattern)} can never match: it needs at least ${least} characters` + ` and interface names have at most ${MAX_IFNAME_LENGTH}`;
  }
  return undefined;
}

/** Where an address was first listed. */
interface AddressOwner {
  nf: number;
  label: string;
  path: string;
}

function checkNfs(value: unknown, report: Report): NfConfig[] {
  const nfs: NfConfig[] = [];
  const indexByName = new Map<string, number>();
  // canonical address -> where it was first listed, so the same address is
  // caught however it is written
  const owners = new Map<string, AddressOwner>();
  goodList(report, value, ['nfs'])?.forEach((item, i) => {
    const at: At = ['nfs', i];
    if (!isMapping(item) || report.bad(at)) return;
    const name = good(report, item, at, 'name') as string | undefined;
    if (name !== undefined) {
      const first = indexByName.get(name);
      if (first === undefined) indexByName.set(name, i);
      else report.add([...at, 'name'], `${show(name)} is already the name of nfs[${first}] (NF names must be unique)`);
    }
    const label = name === undefined ? formatPath(at) : JSON.stringify(name);
    const addresses = checkNfAddresses(good(report, item, at, 'addresses'), at, i, label, owners, report);
    const type = good(report, item, at, 'type') as string | undefined;
    const node = good(report, item, at, 'node') as string | undefined;
    if (name !== undefined && type !== undefined) {
      nfs.push(node === undefined ? { name, type, addresses } : { name, type, addresses, node });
    }
  });
  return nfs;
}

/** The canonical forms of the addresses of nfs[nf] (`label` in messages). */
function checkNfAddresses(value: unknown, nfAt: At, nf: number, label: string, owners: Map<string, AddressOwner>, report: Report): string[] {
  const addresses: string[] = [];
  goodList(report, value, [...nfAt, 'addresses'])?.forEach((raw, i) => {
    const at = [...nfAt, 'addresses', i];
    if (typeof raw !== 'string' || report.bad(at)) return;
    const canonical = parseIp(raw);
    if (canonical === undefined) {
      const hint = raw.includes('/') ? ' (list single addresses, not prefixes)' : '';
      report.add(at, `${show(raw)} is not an IPv4 or IPv6 address${hint}`);
      return;
    }
    const shown = canonical === raw ? show(raw) : `${show(raw)} (${canonical})`;
    const owner = owners.get(canonical);
    if (owner === undefined) {
      owners.set(canonical, { nf, label, path: formatPath(at) });
      addresses.push(canonical);
    } else if (owner.nf === nf) {
      report.add(at, `${shown} is listed twice (also at ${owner.path})`);
    } else {
      report.add(at, `${shown} of ${label} is already an address of ${owner.label} (${owner.path}); an address can belong to only one NF`);
    }
  });
  return addresses;
}

// ---------------------------------------------------------------------------
// protocols and peers

function checkProtocols(value: unknown, report: Report): ProtocolPorts {
  const ports: ProtocolPorts = {
    pfcp: [...DEFAULT_PORTS.pfcp],
    gtpu: [...DEFAULT_PORTS.gtpu],
    sbi: [...DEFAULT_PORTS.sbi],
    ngap: [...DEFAULT_PORTS.ngap],
  };
  if (!isMapping(value)) return ports;
  // Protocols whose ports the file sets, with where each port is listed.
  const configured = new Map<Protocol, Map<number, number>>();
  for (const protocol of PROTOCOLS) {
    const map = good(report, value, ['protocols'], protocol);
    if (!isMapping(map)) continue;
    const at: At = ['protocols', protocol, 'ports'];
    const list = goodList(report, map.ports, at);
    if (list === undefined) continue;
    const index = new Map<number, number>();
    list.forEach((port, i) => {
      if (typeof port !== 'number' || report.bad([...at, i])) return;
      const first = index.get(port);
      if (first === undefined) index.set(port, i);
      else report.add([...at, i], `${port} is listed twice (also at ${formatPath([...at, first])})`);
    });
    ports[protocol] = [...index.keys()];
    configured.set(protocol, index);
  }

  // A port may belong to only one protocol per transport: a UDP packet to 8805
  // must be either PFCP or GTP-U. Clashes are reported at a configured list
  // (defaults never clash with each other).
  PROTOCOLS.forEach((a, i) => {
    for (const b of PROTOCOLS.slice(i + 1)) {
      if (TRANSPORT[a] !== TRANSPORT[b]) continue;
      for (const port of ports[b].filter((p) => ports[a].includes(p))) {
        const [here, other] = configured.has(b) ? [b, a] : [a, b];
        report.add(
          ['protocols', here, 'ports', configured.get(here)?.get(port) ?? 0],
          `${port} is also ${configured.has(other) ? 'a' : 'the default'} ${other} port; ` + `${here} and ${other} both run over ${TRANSPORT[a]}, so a port can belong to only one of them`,
          ['protocols'],
        );
      }
    }
  });
  return ports;
}

function checkPeers(value: unknown, report: Report): string[] {
  const peers: string[] = [];
  goodList(report, value, ['peers'])?.forEach((peer, i) => {
    const at = ['peers', i];
    if (typeof peer !== 'string' || report.bad(at)) return;
    const url = normalizePeer(peer);
    if (url === undefined) {
      report.add(at, `${show(peer)} is not a peer address (expected host:port, [IPv6]:port, an http:// or https:// URL, or dns+http://NAME:PORT)`);
    } else if (peers.includes(url)) {
      // A peer listed twice would be counted twice in cluster-wide results.
      report.add(at, `${show(peer)} is listed twice (also at peers[${peers.indexOf(url)}])`);
    } else {
      peers.push(url);
    }
  });
  return peers;
}

// ---------------------------------------------------------------------------
// durations, sizes and bucket bounds

/**
 * request_timeout: a number of seconds, or a string of a number and a unit
 * (ms, s or m); more than 0 and at most 600 seconds.
 */
function checkRequestTimeout(value: unknown, report: Report): number {
  const at = ['request_timeout'];
  let seconds: number | undefined;
  if (typeof value === 'number') {
    seconds = value;
  } else if (typeof value === 'string') {
    seconds = durationSeconds(value, { units: ['ms', 's', 'm'] });
  }
  if (seconds === undefined || Number.isNaN(seconds)) {
    report.add(at, `${show(value)} is not a duration (expected a number of seconds or a string like "500ms", "5s", "2m")`);
    return NaN;
  }
  if (!(seconds > 0 && seconds <= MAX_REQUEST_TIMEOUT_SECONDS)) {
    report.add(at, `${show(value)} is out of range (expected more than 0 and at most ${MAX_REQUEST_TIMEOUT_SECONDS} seconds)`);
  }
  return seconds;
}

/** A duration: a number of seconds or a string like "500ms", "10s", "15m", "6h", "1d"; in [min, max] seconds. */
function checkDuration(value: unknown, at: At, min: number, max: number, report: Report): number | undefined {
  let seconds: number | undefined;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string') seconds = durationSeconds(value);
  if (seconds === undefined || !Number.isFinite(seconds)) {
    report.add(at, `${show(value)} is not a duration (expected a number of seconds or a string like "10s", "15m", "6h", "1d")`);
    return undefined;
  }
  if (!(seconds >= min && seconds <= max)) {
    report.add(at, `${show(value)} is out of range (expected ${min} to ${max} seconds)`);
    return undefined;
  }
  return seconds;
}

const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** A size: a number of bytes or a string like "96MiB"; 1 MiB to 64 GiB. */
function checkSize(value: unknown, at: At, report: Report): number | undefined {
  let bytes: number | undefined;
  if (typeof value === 'number') bytes = value;
  else if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)$/.exec(value);
    if (m !== null) bytes = Number(m[1]) * SIZE_UNITS[m[2]];
  }
  if (bytes === undefined || !Number.isFinite(bytes)) {
    report.add(at, `${show(value)} is not a size (expected a number of bytes or a string like "96MiB", "200MB", "1GiB")`);
    return undefined;
  }
  if (!(bytes >= 1024 ** 2 && bytes <= 64 * 1024 ** 3)) {
    report.add(at, `${show(value)} is out of range (expected 1MiB to 64GiB)`);
    return undefined;
  }
  return Math.floor(bytes);
}

/** Prometheus `le` bounds, strictly increasing (their range is the schema's). */
function checkDurationBuckets(value: unknown, report: Report): number[] {
  const out: number[] = [];
  goodList(report, value, ['duration_buckets'])?.forEach((b, i) => {
    const at = ['duration_buckets', i];
    if (typeof b !== 'number' || report.bad(at)) return;
    if (out.length > 0 && b <= out[out.length - 1]) report.add(at, `${show(b)} does not increase (the bounds must be in increasing order)`);
    else out.push(b);
  });
  return out;
}

// ---------------------------------------------------------------------------
// history, api, datapath, drops

type Tier = NonNullable<HistoryConfig['tiers']>[number];

/**
 * History tiers: each a resolution (whole seconds) and a retention that is a
 * multiple of it; finer tiers first, resolution and retention both growing,
 * at most 100 000 points per tier.
 */
function checkTier(t: Record<string, unknown>, at: At, prev: Tier | undefined, report: Report): Tier | undefined {
  const resAt = [...at, 'resolution'];
  const retAt = [...at, 'retention'];
  const resValue = good(report, t, at, 'resolution');
  const retValue = good(report, t, at, 'retention');
  const res = resValue === undefined ? undefined : checkDuration(resValue, resAt, 1, 86400, report);
  const ret = retValue === undefined ? undefined : checkDuration(retValue, retAt, 1, 30 * 86400, report);
  if (res === undefined || ret === undefined) return undefined;
  if (!Number.isInteger(res)) return void report.add(resAt, `${show(resValue)} is not a whole number of seconds`);
  if (ret % res !== 0 || ret <= res) {
    return void report.add(retAt, `${show(retValue)} is not a multiple (at least 2) of the resolution ${res} s`);
  }
  if (ret / res > 100_000) return void report.add(at, `${ret / res} points is too many (at most 100000 per tier)`);
  if (prev && !(res > prev.resolutionS && ret > prev.retentionS)) {
    return void report.add(at, `resolution and retention must both be larger than those of the tier before (${prev.resolutionS} s, ${prev.retentionS} s)`);
  }
  const bpo = good(report, t, at, 'buckets_per_octave') as number | undefined;
  return { resolutionS: res, retentionS: ret, ...(bpo !== undefined ? { bucketsPerOctave: bpo } : {}) };
}

function checkHistory(map: Record<string, unknown>, report: Report): HistoryConfig {
  const out: HistoryConfig = {};
  const tierList = goodList(report, map.tiers, ['history', 'tiers']);
  if (tierList !== undefined) {
    const tiers: Tier[] = [];
    tierList.forEach((item, i) => {
      const at = ['history', 'tiers', i];
      if (!isMapping(item) || report.bad(at)) return;
      const tier = checkTier(item, at, tiers[tiers.length - 1], report);
      if (tier !== undefined) tiers.push(tier);
    });
    out.tiers = tiers;
  }
  if (map.memory_limit !== undefined) {
    const b = checkSize(map.memory_limit, ['history', 'memory_limit'], report);
    if (b !== undefined) out.memoryLimitBytes = b;
  }
  const maxSeries = good(report, map, ['history'], 'max_series') as number | undefined;
  if (maxSeries !== undefined) out.maxSeries = maxSeries;
  const f = good(report, map, ['history'], 'state_file');
  if (typeof f === 'string') {
    // The file itself may not exist yet (first start); its directory must.
    const dir = dirname(resolve(f));
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      /* reported below */
    }
    if (!isDir) report.add(['history', 'state_file'], `${show(f)}: the directory ${show(dir)} does not exist`);
    else out.stateFile = f;
  }
  return out;
}

/** The text of `file`; what cannot be read is reported after every other problem under `after`. */
function readable(file: string, at: At, what: string, report: Report, after?: At): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    report.add(at, `cannot read ${what} ${show(file)}: ${(err as Error).message}`, after);
    return undefined;
  }
}

/** api: token_file (one token, no white space inside) and tls (cert and key, PEM files). */
function checkApi(map: Record<string, unknown>, report: Report): ApiConfig {
  const out: ApiConfig = {};
  const tokenFile = good(report, map, ['api'], 'token_file');
  if (typeof tokenFile === 'string') {
    const text = readable(tokenFile, ['api', 'token_file'], 'the token file', report);
    const token = text?.trim();
    if (text === undefined) {
      /* reported */
    } else if (!token || /\s/.test(token) || token.length < 16) {
      report.add(['api', 'token_file'], `${show(tokenFile)} must hold one token of at least 16 characters without white space`);
    } else {
      out.token = token;
      out.tokenFile = tokenFile;
    }
  }
  const tls = good(report, map, ['api'], 'tls');
  if (isMapping(tls)) {
    const at: At = ['api', 'tls'];
    const cert = good(report, tls, at, 'cert') as string | undefined;
    const key = good(report, tls, at, 'key') as string | undefined;
    // The files are read once both keys are well-formed: their problems come after those.
    const certText = cert === undefined ? undefined : readable(cert, [...at, 'cert'], 'the certificate', report, at);
    const keyText = key === undefined ? undefined : readable(key, [...at, 'key'], 'the private key', report, at);
    const certOk = certText?.includes('-----BEGIN CERTIFICATE-----');
    const keyOk = keyText !== undefined && /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyText);
    if (certText !== undefined && !certOk) report.add([...at, 'cert'], `${show(cert)} is not a PEM certificate`, at);
    if (keyText !== undefined && !keyOk) report.add([...at, 'key'], `${show(key)} is not a PEM private key`, at);
    if (cert !== undefined && key !== undefined && certOk && keyOk) out.tls = { cert, key };
  }
  return out;
}

function checkDatapath(value: unknown, report: Report): DatapathConfig {
  const out: DatapathConfig = { pinDir: DEFAULT_PIN_DIR, onExit: 'keep' };
  if (!isMapping(value)) return out;
  const dir = good(report, value, ['datapath'], 'pin_dir') as string | undefined;
  if (dir !== undefined) out.pinDir = normalize(dir).replace(/\/+$/, '') || '/';
  const onExit = good(report, value, ['datapath'], 'on_exit') as DatapathConfig['onExit'] | undefined;
  if (onExit !== undefined) out.onExit = onExit;
  return out;
}

function checkDrops(value: unknown, report: Report): DropsConfig {
  const out: DropsConfig = { benignReasons: [], lossReasons: [] };
  if (!isMapping(value)) return out;
  const where = new Map<string, string>();
  for (const [key, list] of [
    ['benign_reasons', out.benignReasons],
    ['loss_reasons', out.lossReasons],
  ] as const) {
    goodList(report, value[key], ['drops', key])?.forEach((r, i) => {
      const at = ['drops', key, i];
      if (typeof r !== 'string' || report.bad(at)) return;
      if (r.startsWith('SKB_DROP_REASON_')) {
        report.add(at, `${show(r)}: write the reason without the SKB_DROP_REASON_ prefix (${show(r.slice('SKB_DROP_REASON_'.length))})`);
      } else if (where.has(r)) {
        report.add(at, `${show(r)} is already listed at ${where.get(r)}`);
      } else {
        where.set(r, formatPath(at));
        list.push(r);
      }
    });
  }
  return out;
}
