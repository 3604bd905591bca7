/**
 * Configuration loader for `nfscope-exporter --config FILE`.
 *
 * The file is validated completely before anything is attached: every problem
 * found is collected (not just the first) and reported together in one
 * ConfigError, one line per problem, as `${source}: ${path}: ${message}`.
 * See docs/configuration.md for the file format.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, normalize, resolve } from 'node:path';
import { hostname as osHostname } from 'node:os';
import { LineCounter, parseDocument, visit } from 'yaml';

/** The NF types an NF may declare (exact spelling, case-sensitive). */
export const NF_TYPES: readonly string[] = Object.freeze([
  'AMF', 'SMF', 'UPF', 'NRF', 'AUSF', 'UDM', 'UDR', 'PCF', 'NSSF', 'BSF',
  'NEF', 'CHF', 'SCP', 'SEPP', 'NWDAF', 'SMSF', 'LMF', 'N3IWF', 'gNB', 'DN',
]);

export interface NfConfig {
  name: string;
  type: string;
  /** Canonical forms (see canonicalAddress). */
  addresses: string[];
  /** The node that hosts this NF, if given. */
  node?: string;
}

export interface ProtocolPorts {
  pfcp: number[];
  gtpu: number[];
  sbi: number[];
  ngap: number[];
}

export interface Config {
  node: string;
  /** Shell-style glob patterns (see matchInterface). */
  interfaces: string[];
  nfs: NfConfig[];
  protocols: ProtocolPorts;
  /** Base URLs of the other exporters, `http://` or `https://`, no trailing slash. */
  peers: string[];
  requestTimeoutSeconds: number;
  /** `le` bounds (seconds) of nfscope_request_duration_seconds on /metrics */
  durationBuckets: number[];
  /** keep the kernel's BPF run-time statistics on while the exporter runs */
  programStats: boolean;
  /** `history:` when given (defaults: history/store.ts) */
  history?: HistoryConfig;
  /** `peers_timeout:` when given; default 2 s */
  peersTimeoutSeconds?: number;
  /** `api:` when given */
  api?: ApiConfig;
  /** `datapath:`: where the programs, links and maps are kept, and what leaving does with them */
  datapath: DatapathConfig;
  /** `drops:` overrides of the drop-reason classes (drop-class.ts) */
  drops: DropsConfig;
}

export interface DropsConfig {
  /** reason label values counted as benign, on top of (or against) the default table */
  benignReasons: string[];
  /** reason label values counted as loss whatever the default table says */
  lossReasons: string[];
}

/** Where the running datapath is kept between exporter processes (datapath.ts, docs/configuration.md). */
export interface DatapathConfig {
  /** bpffs directory holding the programs, links and maps; they outlive the process there */
  pinDir: string;
  /** `keep`: SIGTERM leaves the datapath running for the next exporter; `detach`: SIGTERM removes it */
  onExit: 'keep' | 'detach';
}

export const DEFAULT_PIN_DIR = '/sys/fs/bpf/nfscope';

export interface HistoryConfig {
  tiers?: { resolutionS: number; retentionS: number; bucketsPerOctave?: number }[];
  memoryLimitBytes?: number;
  maxSeries?: number;
  /** where the history is saved at shutdown and read back at start (history/state.ts) */
  stateFile?: string;
}

export interface ApiConfig {
  /** the bearer token, read from token_file */
  token?: string;
  tokenFile?: string;
  tls?: { cert: string; key: string };
}

export interface ConfigProblem {
  /** Where the problem is, e.g. "nfs[2].addresses[0]"; "" for the document as a whole. */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(source: string, problems: ConfigProblem[]) {
    super(problems.map((p) => (p.path ? `${source}: ${p.path}: ${p.message}` : `${source}: ${p.message}`)).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const TOP_LEVEL_KEYS = [
  'node', 'interfaces', 'nfs', 'protocols', 'peers', 'request_timeout', 'duration_buckets', 'program_stats',
  'history', 'peers_timeout', 'api', 'datapath', 'drops',
];
const DATAPATH_KEYS = ['pin_dir', 'on_exit'];
const DROPS_KEYS = ['benign_reasons', 'loss_reasons'];
const HISTORY_KEYS = ['tiers', 'memory_limit', 'max_series', 'state_file'];
const TIER_KEYS = ['resolution', 'retention', 'buckets_per_octave'];
const API_KEYS = ['token_file', 'tls'];
const TLS_KEYS = ['cert', 'key'];

/** Default `le` bounds (seconds) of nfscope_request_duration_seconds: 100 µs to 60 s. */
export const DEFAULT_DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
const NF_KEYS = ['name', 'type', 'addresses', 'node'];
const PROTOCOL_KEYS = ['ports'];

const PROTOCOLS = ['pfcp', 'gtpu', 'sbi', 'ngap'] as const;
type Protocol = (typeof PROTOCOLS)[number];

const DEFAULT_PORTS: Readonly<Record<Protocol, readonly number[]>> = {
  pfcp: [8805],
  gtpu: [2152],
  sbi: [7777, 8000, 8080, 80],
  ngap: [38412],
};

/** Ports only clash between protocols that share a transport. */
const TRANSPORT: Readonly<Record<Protocol, string>> = { pfcp: 'UDP', gtpu: 'UDP', sbi: 'TCP', ngap: 'SCTP' };

const DEFAULT_REQUEST_TIMEOUT_SECONDS = 10;
const MAX_REQUEST_TIMEOUT_SECONDS = 600;

/** IFNAMSIZ - 1: the longest Linux interface name. */
const MAX_IFNAME_LENGTH = 15;

const NODE_NAME_RE = /^[A-Za-z0-9._-]{1,253}$/;
const NF_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** Reserved: the NF that addresses belonging to no configured NF are reported as. */
const RESERVED_NF_NAME = 'unknown';

/** Parses and validates the text of a configuration file; `source` names it in error messages. */
export function parseConfig(text: string, source: string, opts: { hostname?: string } = {}): Config {
  const root = parseYaml(text, source);
  const problems = new Problems();
  const config = checkConfig(root, problems, opts.hostname ?? osHostname());
  if (problems.list.length > 0 || config === undefined) throw new ConfigError(source, problems.list);
  return config;
}

/** Reads and validates a configuration file. */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const message = `cannot read the configuration file: ${(err as Error).message}`;
    throw new ConfigError(file, [{ path: '', message }]);
  }
  return parseConfig(text, file);
}

// ---------------------------------------------------------------------------
// YAML

/** Parses the YAML text to plain JS values, turning syntax errors into a ConfigError. */
function parseYaml(text: string, source: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const problems: ConfigProblem[] = doc.errors.map((err) => {
    const { line, col } = lineCounter.linePos(err.pos[0]);
    // The library's message is multi-line (with a source excerpt) and ends its
    // first line with the position; keep only the description.
    const description = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    return { path: '', message: `YAML syntax error at line ${line}, column ${col}: ${description}` };
  });
  // An unquoted glob like `*-veth` is a YAML alias; toJS would throw without a
  // position, so find unresolved aliases here.
  visit(doc, {
    Alias(_key, node) {
      if (node.resolve(doc) === undefined && node.range) {
        const { line, col } = lineCounter.linePos(node.range[0]);
        problems.push({
          path: '',
          message:
            `YAML error at line ${line}, column ${col}: unknown alias "*${node.source}"` +
            ' (a value starting with "*" must be quoted, e.g. "*-veth")',
        });
      }
    },
  });
  if (problems.length > 0) throw new ConfigError(source, problems);
  try {
    return doc.toJS();
  } catch (err) {
    // e.g. an excessive alias count
    throw new ConfigError(source, [{ path: '', message: `YAML error: ${(err as Error).message}` }]);
  }
}

// ---------------------------------------------------------------------------
// Validation helpers

class Problems {
  readonly list: ConfigProblem[] = [];

  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

function keyPath(path: string, key: string): string {
  const part = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  return path === '' || part.startsWith('[') ? `${path}${part}` : `${path}.${part}`;
}

function indexPath(path: string, index: number): string {
  return `${path}[${index}]`;
}

/** A value as it appears in messages: JSON, shortened if long. */
function show(value: unknown): string {
  if (typeof value === 'number') return String(value); // JSON would print NaN and Infinity as null
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks that `value` is a mapping whose keys are all in `allowed`; unknown keys
 * are reported (with a suggestion for a near miss) and dropped.
 */
function checkMapping(
  value: unknown,
  path: string,
  what: string,
  allowed: readonly string[],
  problems: Problems,
): Record<string, unknown> | undefined {
  if (!isMapping(value)) {
    problems.add(path, `${show(value)} is not a mapping (expected ${what})`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    const near = closest(key, allowed);
    problems.add(
      keyPath(path, key),
      `unknown key ${JSON.stringify(key)} (expected one of: ${allowed.join(', ')})` +
        (near === undefined ? '' : `; did you mean ${JSON.stringify(near)}?`),
    );
  }
  return value;
}

/** Checks that `value` is a list; with `nonEmpty`, also that it has an element. */
function checkList(
  value: unknown,
  path: string,
  what: string,
  nonEmpty: boolean,
  problems: Problems,
): unknown[] | undefined {
  if (!Array.isArray(value)) {
    problems.add(path, `${show(value)} is not a list (expected ${what})`);
    return undefined;
  }
  if (nonEmpty && value.length === 0) {
    problems.add(path, `[] is empty (expected ${what} with at least one entry)`);
    return undefined;
  }
  return value;
}

function checkString(value: unknown, path: string, what: string, problems: Problems): string | undefined {
  if (typeof value !== 'string') {
    problems.add(path, `${show(value)} is not a string (expected ${what})`);
    return undefined;
  }
  return value;
}

function required(map: Record<string, unknown>, key: string, path: string, what: string, problems: Problems): unknown {
  const value = map[key];
  if (value === undefined || value === null) problems.add(keyPath(path, key), `is missing (expected ${what})`);
  return value ?? undefined;
}

/** The entry of `candidates` within edit distance 2 of `word`, the closest first. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** Levenshtein distance, counting a swap of adjacent characters as one edit ("nsf" -> "nfs"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

// ---------------------------------------------------------------------------
// The configuration

// The checkers below report what is wrong and return what is valid (undefined
// if nothing usable is left). parseConfig throws if anything was reported, so a
// partial result is never seen.
//
// Optional keys given an empty value (`peers:` with everything below it
// commented out) parse as null and are treated as absent.

function checkConfig(root: unknown, problems: Problems, defaultNode: string): Config | undefined {
  if (root === null || root === undefined) {
    problems.add('', 'the file is empty (expected a mapping with at least "interfaces" and "nfs")');
    return undefined;
  }
  const top = checkMapping(root, '', `a mapping with the keys ${TOP_LEVEL_KEYS.join(', ')}`, TOP_LEVEL_KEYS, problems);
  if (top === undefined) return undefined;

  const node = top.node == null ? defaultNode : checkNodeName(top.node, 'node', problems);
  const interfaces = checkInterfaces(
    required(top, 'interfaces', '', 'a list of interface name patterns', problems),
    problems,
  );
  const nfs = checkNfs(required(top, 'nfs', '', 'a list of NFs', problems), problems);
  const protocols = checkProtocols(top.protocols, problems);
  const peers = top.peers == null ? [] : checkPeers(top.peers, problems);
  const requestTimeoutSeconds =
    top.request_timeout == null ? DEFAULT_REQUEST_TIMEOUT_SECONDS : checkRequestTimeout(top.request_timeout, problems);
  const durationBuckets = top.duration_buckets == null ? DEFAULT_DURATION_BUCKETS : checkDurationBuckets(top.duration_buckets, problems);
  let programStats: boolean | undefined = false;
  if (top.program_stats != null && typeof top.program_stats !== 'boolean') {
    problems.add('program_stats', `${show(top.program_stats)} is not true or false`);
    programStats = undefined;
  } else if (top.program_stats != null) {
    programStats = top.program_stats as boolean;
  }

  const history = top.history == null ? null : checkHistory(top.history, problems);
  const peersTimeoutSeconds =
    top.peers_timeout == null ? null : checkDuration(top.peers_timeout, 'peers_timeout', 0.1, 60, problems);
  const api = top.api == null ? null : checkApi(top.api, problems);
  const datapath = checkDatapath(top.datapath, problems);
  const drops = checkDrops(top.drops, problems);

  if (
    datapath === undefined ||
    drops === undefined ||
    history === undefined ||
    peersTimeoutSeconds === undefined ||
    api === undefined ||
    node === undefined ||
    interfaces === undefined ||
    nfs === undefined ||
    peers === undefined ||
    requestTimeoutSeconds === undefined ||
    durationBuckets === undefined ||
    programStats === undefined
  ) {
    return undefined;
  }
  const config: Config = { node, interfaces, nfs, protocols, peers, requestTimeoutSeconds, durationBuckets, programStats, datapath, drops };
  if (history) config.history = history;
  if (peersTimeoutSeconds !== null) config.peersTimeoutSeconds = peersTimeoutSeconds;
  if (api) config.api = api;
  return config;
}

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** A duration: a number of seconds or a string like "500ms", "10s", "15m", "6h", "1d"; in [min, max] seconds. */
function checkDuration(value: unknown, path: string, min: number, max: number, problems: Problems): number | undefined {
  let seconds: number | undefined;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value);
    if (m !== null) seconds = Number(m[1]) * DURATION_UNITS[m[2]];
  }
  if (seconds === undefined || !Number.isFinite(seconds)) {
    problems.add(path, `${show(value)} is not a duration (expected a number of seconds or a string like "10s", "15m", "6h", "1d")`);
    return undefined;
  }
  if (!(seconds >= min && seconds <= max)) {
    problems.add(path, `${show(value)} is out of range (expected ${min} to ${max} seconds)`);
    return undefined;
  }
  return seconds;
}

const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

function checkSize(value: unknown, path: string, problems: Problems): number | undefined {
  let bytes: number | undefined;
  if (typeof value === 'number') bytes = value;
  else if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)$/.exec(value);
    if (m !== null) bytes = Number(m[1]) * SIZE_UNITS[m[2]];
  }
  if (bytes === undefined || !Number.isFinite(bytes)) {
    problems.add(path, `${show(value)} is not a size (expected a number of bytes or a string like "96MiB", "200MB", "1GiB")`);
    return undefined;
  }
  if (!(bytes >= 1024 ** 2 && bytes <= 64 * 1024 ** 3)) {
    problems.add(path, `${show(value)} is out of range (expected 1MiB to 64GiB)`);
    return undefined;
  }
  return Math.floor(bytes);
}

/**
 * History tiers: each a resolution (whole seconds) and a retention that is a
 * multiple of it; finer tiers first, resolution and retention both growing,
 * at most 100 000 points per tier; optionally the latency buckets per octave
 * it keeps (1, 2, 4, 8 or 16; the store's default is 16 for the first tier,
 * 4 for the others).
 */
function checkHistory(value: unknown, problems: Problems): HistoryConfig | undefined {
  const map = checkMapping(value, 'history', `a mapping with the keys ${HISTORY_KEYS.join(', ')}`, HISTORY_KEYS, problems);
  if (map === undefined) return undefined;
  const out: HistoryConfig = {};
  let ok = true;
  if (map.tiers != null) {
    const list = checkList(map.tiers, 'history.tiers', 'a list of { resolution, retention }', true, problems);
    if (list === undefined) ok = false;
    else if (list.length > 8) {
      problems.add('history.tiers', `${list.length} tiers is too many (at most 8)`);
      ok = false;
    } else {
      const tiers: { resolutionS: number; retentionS: number; bucketsPerOctave?: number }[] = [];
      list.forEach((item, i) => {
        const path = indexPath('history.tiers', i);
        const t = checkMapping(item, path, 'a mapping like { resolution: 10s, retention: 6h }', TIER_KEYS, problems);
        if (t === undefined) return void (ok = false);
        const resValue = required(t, 'resolution', path, 'a duration like "10s"', problems);
        const retValue = required(t, 'retention', path, 'a duration like "6h"', problems);
        const res = resValue === undefined ? undefined : checkDuration(resValue, `${path}.resolution`, 1, 86400, problems);
        const ret = retValue === undefined ? undefined : checkDuration(retValue, `${path}.retention`, 1, 30 * 86400, problems);
        if (res === undefined || ret === undefined) return void (ok = false);
        if (!Number.isInteger(res)) return void (problems.add(`${path}.resolution`, `${show(resValue)} is not a whole number of seconds`), (ok = false));
        if (ret % res !== 0 || ret <= res) return void (problems.add(`${path}.retention`, `${show(retValue)} is not a multiple (at least 2) of the resolution ${res} s`), (ok = false));
        if (ret / res > 100_000) return void (problems.add(path, `${ret / res} points is too many (at most 100000 per tier)`), (ok = false));
        const prev = tiers[tiers.length - 1];
        if (prev && !(res > prev.resolutionS && ret > prev.retentionS)) {
          return void (problems.add(path, `resolution and retention must both be larger than those of the tier before (${prev.resolutionS} s, ${prev.retentionS} s)`), (ok = false));
        }
        const bpo = t.buckets_per_octave;
        if (bpo != null && (typeof bpo !== 'number' || ![1, 2, 4, 8, 16].includes(bpo))) {
          return void (problems.add(`${path}.buckets_per_octave`, `${show(bpo)} is not 1, 2, 4, 8 or 16`), (ok = false));
        }
        tiers.push({ resolutionS: res, retentionS: ret, ...(bpo != null ? { bucketsPerOctave: bpo as number } : {}) });
      });
      out.tiers = tiers;
    }
  }
  if (map.memory_limit != null) {
    const b = checkSize(map.memory_limit, 'history.memory_limit', problems);
    if (b === undefined) ok = false;
    else out.memoryLimitBytes = b;
  }
  if (map.max_series != null) {
    const n = map.max_series;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1_000_000) {
      problems.add('history.max_series', `${show(n)} is not a series count (expected an integer from 1 to 1000000)`);
      ok = false;
    } else out.maxSeries = n;
  }
  if (map.state_file != null) {
    const f = checkString(map.state_file, 'history.state_file', 'the path of a file to save the history in', problems);
    if (f === undefined) ok = false;
    else if (f === '') {
      problems.add('history.state_file', '"" is empty (expected the path of a file to save the history in)');
      ok = false;
    } else {
      // The file itself may not exist yet (first start); its directory must.
      const dir = dirname(resolve(f));
      let isDir = false;
      try {
        isDir = statSync(dir).isDirectory();
      } catch {
        /* reported below */
      }
      if (!isDir) {
        problems.add('history.state_file', `${show(f)}: the directory ${show(dir)} does not exist`);
        ok = false;
      } else out.stateFile = f;
    }
  }
  return ok ? out : undefined;
}

function readable(value: unknown, path: string, what: string, problems: Problems): { file: string; text: string } | undefined {
  const file = checkString(value, path, `the path of ${what}`, problems);
  if (file === undefined) return undefined;
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (err) {
    problems.add(path, `cannot read ${what} ${show(file)}: ${(err as Error).message}`);
    return undefined;
  }
}

/** api: token_file (one token, no white space inside) and tls (cert and key, PEM files). */
function checkDatapath(value: unknown, problems: Problems): DatapathConfig | undefined {
  const out: DatapathConfig = { pinDir: DEFAULT_PIN_DIR, onExit: 'keep' };
  if (value == null) return out;
  const map = checkMapping(value, 'datapath', `a mapping with the keys ${DATAPATH_KEYS.join(', ')}`, DATAPATH_KEYS, problems);
  if (map === undefined) return undefined;
  let ok = true;
  if (map.pin_dir != null) {
    const dir = checkString(map.pin_dir, 'datapath.pin_dir', 'a directory on a bpf file system', problems);
    if (dir === undefined) ok = false;
    else if (!isAbsolute(dir) || dir.split('/').includes('..')) {
      problems.add('datapath.pin_dir', `${show(dir)} is not an absolute path without ".." (example: ${DEFAULT_PIN_DIR})`);
      ok = false;
    } else out.pinDir = normalize(dir).replace(/\/+$/, '') || '/';
  }
  if (map.on_exit != null) {
    if (map.on_exit !== 'keep' && map.on_exit !== 'detach') {
      problems.add('datapath.on_exit', `${show(map.on_exit)} is neither "keep" nor "detach"`);
      ok = false;
    } else out.onExit = map.on_exit;
  }
  return ok ? out : undefined;
}

function checkApi(value: unknown, problems: Problems): ApiConfig | undefined {
  const map = checkMapping(value, 'api', `a mapping with the keys ${API_KEYS.join(', ')}`, API_KEYS, problems);
  if (map === undefined) return undefined;
  const out: ApiConfig = {};
  let ok = true;
  if (map.token_file != null) {
    const r = readable(map.token_file, 'api.token_file', 'the token file', problems);
    const token = r?.text.trim();
    if (r === undefined) ok = false;
    else if (!token || /\s/.test(token) || token.length < 16) {
      problems.add('api.token_file', `${show(r.file)} must hold one token of at least 16 characters without white space`);
      ok = false;
    } else {
      out.token = token;
      out.tokenFile = r.file;
    }
  }
  if (map.tls != null) {
    const tls = checkMapping(map.tls, 'api.tls', 'a mapping like { cert: FILE, key: FILE }', TLS_KEYS, problems);
    if (tls === undefined) ok = false;
    else {
      const certV = required(tls, 'cert', 'api.tls', 'the path of a PEM certificate (chain)', problems);
      const keyV = required(tls, 'key', 'api.tls', 'the path of its PEM private key', problems);
      const cert = certV === undefined ? undefined : readable(certV, 'api.tls.cert', 'the certificate', problems);
      const key = keyV === undefined ? undefined : readable(keyV, 'api.tls.key', 'the private key', problems);
      if (cert && !cert.text.includes('-----BEGIN CERTIFICATE-----')) problems.add('api.tls.cert', `${show(cert.file)} is not a PEM certificate`);
      if (key && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.text)) problems.add('api.tls.key', `${show(key.file)} is not a PEM private key`);
      if (cert && key && cert.text.includes('-----BEGIN CERTIFICATE-----') && /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.text)) out.tls = { cert: cert.file, key: key.file };
      else ok = false;
    }
  }
  return ok ? out : undefined;
}

/**
 * A drop reason as nfscope labels it: the kernel's name without the
 * SKB_DROP_REASON_ prefix (OTHERHOST), optionally with the kernel function of
 * an unspecified drop (NOT_SPECIFIED@udp_destruct_common).
 */
export const DROP_REASON_PATTERN = /^[A-Z][A-Z0-9_]*(@[A-Za-z_][A-Za-z0-9_.]*)?$/;

function checkDrops(value: unknown, problems: Problems): DropsConfig | undefined {
  const out: DropsConfig = { benignReasons: [], lossReasons: [] };
  if (value == null) return out;
  const m = checkMapping(value, 'drops', `a mapping with the keys ${DROPS_KEYS.join(', ')}`, DROPS_KEYS, problems);
  if (m === undefined) return undefined;
  let ok = true;
  const where = new Map<string, string>();
  for (const [key, list] of [['benign_reasons', out.benignReasons], ['loss_reasons', out.lossReasons]] as const) {
    const path = `drops.${key}`;
    if (m[key] == null) continue;
    const items = checkList(m[key], path, 'a list of drop reasons such as OTHERHOST or NOT_SPECIFIED@udp_destruct_common', false, problems);
    if (items === undefined) {
      ok = false;
      continue;
    }
    items.forEach((item, i) => {
      const p = indexPath(path, i);
      const r = checkString(item, p, 'a drop reason', problems);
      if (r === undefined) {
        ok = false;
      } else if (r.startsWith('SKB_DROP_REASON_')) {
        problems.add(p, `${show(r)}: write the reason without the SKB_DROP_REASON_ prefix (${show(r.slice('SKB_DROP_REASON_'.length))})`);
        ok = false;
      } else if (!DROP_REASON_PATTERN.test(r)) {
        problems.add(p, `${show(r)} is not a drop reason (expected an upper-case kernel name such as OTHERHOST, or NOT_SPECIFIED@function)`);
        ok = false;
      } else if (where.has(r)) {
        problems.add(p, `${show(r)} is already listed at ${where.get(r)}`);
        ok = false;
      } else {
        where.set(r, p);
        list.push(r);
      }
    });
  }
  return ok ? out : undefined;
}

function checkNodeName(value: unknown, path: string, problems: Problems): string | undefined {
  const name = checkString(value, path, 'a node name', problems);
  if (name === undefined) return undefined;
  if (!NODE_NAME_RE.test(name)) {
    problems.add(
      path,
      `${show(name)} is not a valid node name (expected 1 to 253 characters from A-Z, a-z, 0-9, ".", "_", "-")`,
    );
    return undefined;
  }
  return name;
}

function checkInterfaces(value: unknown, problems: Problems): string[] | undefined {
  if (value === undefined) return undefined;
  const list = checkList(value, 'interfaces', 'a list of interface name patterns', true, problems);
  if (list === undefined) return undefined;
  const patterns: string[] = [];
  list.forEach((item, i) => {
    const path = indexPath('interfaces', i);
    const pattern = checkString(item, path, 'an interface name or glob pattern', problems);
    if (pattern === undefined) return;
    const problem = interfacePatternProblem(pattern);
    if (problem === undefined) patterns.push(pattern);
    else problems.add(path, problem);
  });
  return patterns;
}

function interfacePatternProblem(pattern: string): string | undefined {
  if (pattern === '') return '"" is empty (expected an interface name or glob pattern)';
  // Linux rejects "/", ":" and whitespace in interface names; non-printable
  // and non-ASCII characters are rejected here too.
  const bad = [...pattern].find((c) => c < '!' || c > '~' || c === '/' || c === ':');
  if (bad !== undefined) return `${show(pattern)} contains ${show(bad)}, which cannot appear in an interface name`;
  const glob = parseGlob(pattern);
  if (glob.unclosedBracket) {
    return `${show(pattern)} has a "[" without a closing "]" (expected a bracket expression like [0-9])`;
  }
  const minLength = glob.tokens.filter((t) => t.kind !== 'star').length;
  if (minLength > MAX_IFNAME_LENGTH) {
    return (
      `${show(pattern)} can never match: it needs at least ${minLength} characters` +
      ` and interface names have at most ${MAX_IFNAME_LENGTH}`
    );
  }
  return undefined;
}

function checkNfs(value: unknown, problems: Problems): NfConfig[] | undefined {
  if (value === undefined) return undefined;
  const list = checkList(value, 'nfs', 'a list of NFs', true, problems);
  if (list === undefined) return undefined;

  const nfs: NfConfig[] = [];
  const indexByName = new Map<string, number>();
  // canonical address -> where it was first listed
  const owners = new Map<string, AddressOwner>();

  list.forEach((item, i) => {
    const path = indexPath('nfs', i);
    const map = checkMapping(item, path, `a mapping with the keys ${NF_KEYS.join(', ')}`, NF_KEYS, problems);
    if (map === undefined) return;

    const namePath = keyPath(path, 'name');
    const name = checkNfName(required(map, 'name', path, 'an NF name', problems), namePath, problems);
    if (name !== undefined) {
      const first = indexByName.get(name);
      if (first === undefined) indexByName.set(name, i);
      else problems.add(namePath, `${show(name)} is already the name of nfs[${first}] (NF names must be unique)`);
    }
    const typeValue = required(map, 'type', path, `an NF type, one of: ${NF_TYPES.join(', ')}`, problems);
    const type = checkNfType(typeValue, keyPath(path, 'type'), problems);
    const node = map.node == null ? undefined : checkNodeName(map.node, keyPath(path, 'node'), problems);

    const label = name === undefined ? path : JSON.stringify(name);
    const addressesValue = required(map, 'addresses', path, 'a list of IP addresses', problems);
    const addresses = checkNfAddresses(addressesValue, path, i, label, owners, problems);

    if (name !== undefined && type !== undefined && addresses !== undefined) {
      nfs.push(node === undefined ? { name, type, addresses } : { name, type, addresses, node });
    }
  });
  return nfs;
}

/** Where an address was first listed. */
interface AddressOwner {
  nf: number;
  label: string;
  path: string;
}

/**
 * Checks the addresses of nfs[nf] (`label` in messages) and returns their
 * canonical forms; `owners` maps each canonical address seen so far to where it
 * was first listed, so the same address is caught however it is written.
 */
function checkNfAddresses(
  value: unknown,
  nfPath: string,
  nf: number,
  label: string,
  owners: Map<string, AddressOwner>,
  problems: Problems,
): string[] | undefined {
  if (value === undefined) return undefined;
  const path = keyPath(nfPath, 'addresses');
  const list = checkList(value, path, 'a list of IP addresses', true, problems);
  if (list === undefined) return undefined;
  const addresses: string[] = [];
  list.forEach((raw, i) => {
    const addressPath = indexPath(path, i);
    const canonical = checkAddress(raw, addressPath, problems);
    if (canonical === undefined) return;
    const shown = canonical === raw ? show(raw) : `${show(raw)} (${canonical})`;
    const owner = owners.get(canonical);
    if (owner === undefined) {
      owners.set(canonical, { nf, label, path: addressPath });
      addresses.push(canonical);
    } else if (owner.nf === nf) {
      problems.add(addressPath, `${shown} is listed twice (also at ${owner.path})`);
    } else {
      problems.add(
        addressPath,
        `${shown} of ${label} is already an address of ${owner.label} (${owner.path});` +
          ' an address can belong to only one NF',
      );
    }
  });
  return addresses;
}

function checkNfName(value: unknown, path: string, problems: Problems): string | undefined {
  if (value === undefined) return undefined;
  const name = checkString(value, path, 'an NF name', problems);
  if (name === undefined) return undefined;
  if (!NF_NAME_RE.test(name)) {
    problems.add(
      path,
      `${show(name)} is not a valid NF name` +
        ' (expected 1 to 63 characters from A-Z, a-z, 0-9, ".", "_", "-", starting with a letter or digit)',
    );
    return undefined;
  }
  if (name === RESERVED_NF_NAME) {
    problems.add(path, `${show(name)} is reserved for addresses that belong to no configured NF`);
    return undefined;
  }
  return name;
}

function checkNfType(value: unknown, path: string, problems: Problems): string | undefined {
  if (value === undefined) return undefined;
  const type = checkString(value, path, 'an NF type', problems);
  if (type === undefined) return undefined;
  if (NF_TYPES.includes(type)) return type;
  const spelling = NF_TYPES.find((t) => t.toLowerCase() === type.toLowerCase());
  problems.add(
    path,
    spelling === undefined
      ? `${show(type)} is not a known NF type (expected one of: ${NF_TYPES.join(', ')})`
      : `${show(type)} is not a known NF type; did you mean ${JSON.stringify(spelling)}?`,
  );
  return undefined;
}

/** Returns the canonical form of an IP address literal, or reports it. */
function checkAddress(value: unknown, path: string, problems: Problems): string | undefined {
  const address = checkString(value, path, 'an IP address', problems);
  if (address === undefined) return undefined;
  const canonical = parseIp(address);
  if (canonical === undefined) {
    const hint = address.includes('/') ? ' (list single addresses, not prefixes)' : '';
    problems.add(path, `${show(address)} is not an IPv4 or IPv6 address${hint}`);
  }
  return canonical;
}

function checkProtocols(value: unknown, problems: Problems): ProtocolPorts {
  const ports: ProtocolPorts = {
    pfcp: [...DEFAULT_PORTS.pfcp],
    gtpu: [...DEFAULT_PORTS.gtpu],
    sbi: [...DEFAULT_PORTS.sbi],
    ngap: [...DEFAULT_PORTS.ngap],
  };
  if (value == null) return ports;
  const map = checkMapping(value, 'protocols', `a mapping with the keys ${PROTOCOLS.join(', ')}`, PROTOCOLS, problems);
  if (map === undefined) return ports;

  // Protocols whose ports the file sets (and that are valid).
  const configured = new Set<Protocol>();
  for (const protocol of PROTOCOLS) {
    if (map[protocol] == null) continue;
    const path = keyPath('protocols', protocol);
    const list = checkPorts(map[protocol], path, problems);
    if (list !== undefined) {
      ports[protocol] = list;
      configured.add(protocol);
    }
  }

  // A port may belong to only one protocol per transport: a UDP packet to 8805
  // must be either PFCP or GTP-U. Clashes are reported at a configured list
  // (defaults never clash with each other).
  PROTOCOLS.forEach((a, i) => {
    for (const b of PROTOCOLS.slice(i + 1)) {
      if (TRANSPORT[a] !== TRANSPORT[b]) continue;
      for (const port of ports[b].filter((p) => ports[a].includes(p))) {
        const [here, other] = configured.has(b) ? [b, a] : [a, b];
        problems.add(
          `protocols.${here}.ports[${ports[here].indexOf(port)}]`,
          `${port} is also ${configured.has(other) ? 'a' : 'the default'} ${other} port; ` +
            `${here} and ${other} both run over ${TRANSPORT[a]}, so a port can belong to only one of them`,
        );
      }
    }
  });
  return ports;
}

function checkPorts(value: unknown, path: string, problems: Problems): number[] | undefined {
  const map = checkMapping(value, path, 'a mapping like { ports: [...] }', PROTOCOL_KEYS, problems);
  if (map === undefined) return undefined;
  const portsPath = keyPath(path, 'ports');
  const portsValue = required(map, 'ports', path, 'a list of port numbers', problems);
  if (portsValue === undefined) return undefined;
  const list = checkList(portsValue, portsPath, 'a list of port numbers', true, problems);
  if (list === undefined) return undefined;
  const ports: number[] = [];
  list.forEach((port, i) => {
    const portPath = indexPath(portsPath, i);
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      problems.add(portPath, `${show(port)} is not a port number (expected an integer from 1 to 65535)`);
    } else if (ports.includes(port)) {
      problems.add(portPath, `${port} is listed twice (also at ${indexPath(portsPath, list.indexOf(port))})`);
    } else {
      ports.push(port);
    }
  });
  return ports;
}

const PEER_FORMS = 'host:port, [IPv6]:port, an http:// or https:// URL, or dns+http://NAME:PORT';

function checkPeers(value: unknown, problems: Problems): string[] | undefined {
  const list = checkList(value, 'peers', 'a list of peer exporters', false, problems);
  if (list === undefined) return undefined;
  const peers: string[] = [];
  list.forEach((item, i) => {
    const path = indexPath('peers', i);
    const peer = checkString(item, path, PEER_FORMS, problems);
    if (peer === undefined) return;
    const url = normalizePeer(peer);
    if (url === undefined) {
      problems.add(path, `${show(peer)} is not a peer address (expected ${PEER_FORMS})`);
    } else if (peers.includes(url)) {
      // A peer listed twice would be counted twice in cluster-wide results.
      problems.add(path, `${show(peer)} is listed twice (also at ${indexPath('peers', peers.indexOf(url))})`);
    } else {
      peers.push(url);
    }
  });
  return peers;
}

const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** `host:port` and `[v6]:port` become `http://...`; URLs are kept. The result has no trailing slash. */
function normalizePeer(peer: string): string | undefined {
  // dns+http://NAME:PORT: NAME resolves (at query time) to every exporter.
  const dns = /^dns\+(https?):\/\/([^/:[\]]+):(\d{1,5})\/?$/i.exec(peer);
  if (dns) {
    const port = Number(dns[3]);
    if (!HOSTNAME_RE.test(dns[2]) || port < 1 || port > 65535) return undefined;
    return `dns+${dns[1].toLowerCase()}://${dns[2].toLowerCase()}:${port}`;
  }
  let url: URL;
  if (/^https?:\/\//i.test(peer)) {
    if (!URL.canParse(peer)) return undefined;
    url = new URL(peer);
    if (url.hostname === '' || url.username !== '' || url.password !== '') return undefined;
  } else {
    const m = /^(?:\[([^\]]*)\]|([^:[\]]+)):(\d{1,5})$/.exec(peer);
    if (m === null || Number(m[3]) < 1 || Number(m[3]) > 65535) return undefined;
    const [, v6, host] = m;
    if (v6 !== undefined ? parseIPv6(v6) === undefined : !HOSTNAME_RE.test(host)) return undefined;
    // The URL parser still rejects hosts like "198.18.0.300".
    if (!URL.canParse(`http://${peer}`)) return undefined;
    url = new URL(`http://${peer}`);
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * A duration: a number of seconds, or a string of a number and a unit (ms, s
 * or m). Returns seconds.
 */
function checkRequestTimeout(value: unknown, problems: Problems): number | undefined {
  const path = 'request_timeout';
  let seconds: number | undefined;
  if (typeof value === 'number') {
    seconds = value;
  } else if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value);
    if (m !== null) seconds = Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2] as 'ms' | 's' | 'm'];
  }
  if (seconds === undefined || Number.isNaN(seconds)) {
    problems.add(
      path,
      `${show(value)} is not a duration (expected a number of seconds or a string like "500ms", "5s", "2m")`,
    );
    return undefined;
  }
  if (!(seconds > 0 && seconds <= MAX_REQUEST_TIMEOUT_SECONDS)) {
    problems.add(
      path,
      `${show(value)} is out of range (expected more than 0 and at most ${MAX_REQUEST_TIMEOUT_SECONDS} seconds)`,
    );
    return undefined;
  }
  return seconds;
}

/**
 * Prometheus `le` bounds in seconds: strictly increasing, from 1 µs (the
 * kernel histogram's finest resolution) to 137 s (its last slot), at most 64.
 */
function checkDurationBuckets(value: unknown, problems: Problems): number[] | undefined {
  const list = checkList(value, 'duration_buckets', 'a list of bucket bounds in seconds', true, problems);
  if (list === undefined) return undefined;
  if (list.length > 64) {
    problems.add('duration_buckets', `${list.length} bounds is too many (at most 64)`);
    return undefined;
  }
  const out: number[] = [];
  let ok = true;
  list.forEach((b, i) => {
    const path = indexPath('duration_buckets', i);
    if (typeof b !== 'number' || !(b >= 1e-6 && b <= 137)) {
      problems.add(path, `${show(b)} is not a bound in seconds (expected a number from 0.000001 to 137)`);
      ok = false;
    } else if (out.length > 0 && b <= out[out.length - 1]) {
      problems.add(path, `${show(b)} does not increase (the bounds must be in increasing order)`);
      ok = false;
    } else {
      out.push(b);
    }
  });
  return ok ? out : undefined;
}

// ---------------------------------------------------------------------------
// IP addresses

/**
 * The canonical form of an IP address literal: IPv4 as a dotted quad; IPv6 as
 * RFC 5952 text (lowercase, no leading zeros, the longest run of two or more
 * zero groups compressed to "::", the first on a tie); an IPv4-mapped IPv6
 * address (::ffff:a.b.c.d) as its IPv4 form. Throws on anything else.
 */
export function canonicalAddress(addr: string): string {
  const canonical = parseIp(addr);
  if (canonical === undefined) throw new Error(`${show(addr)} is not an IPv4 or IPv6 address`);
  return canonical;
}

/** The canonical form of `addr`, or undefined if it is not an IP address literal. */
function parseIp(addr: string): string | undefined {
  if (parseIPv4(addr) !== undefined) return addr;
  const groups = parseIPv6(addr);
  return groups === undefined ? undefined : formatIPv6(groups);
}

/**
 * Four decimal octets. Leading zeros are rejected: some tools read "010" as
 * octal, so the address would be ambiguous.
 */
function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

/** Eight 16-bit groups. Zone IDs ("%eth0") are not accepted. */
function parseIPv6(s: string): number[] | undefined {
  const double = s.indexOf('::');
  if (double !== s.lastIndexOf('::')) return undefined; // at most one "::" (this also rejects ":::")
  const head = double < 0 ? s : s.slice(0, double);
  const tail = double < 0 ? '' : s.slice(double + 2);
  // Only the last part of the address may be an embedded IPv4 address.
  const headGroups = parseGroups(head, double < 0);
  const tailGroups = parseGroups(tail, true);
  if (headGroups === undefined || tailGroups === undefined) return undefined;
  if (double < 0) return headGroups.length === 8 ? headGroups : undefined;
  // "::" stands for one or more zero groups.
  const zeros = 8 - headGroups.length - tailGroups.length;
  return zeros >= 1 ? [...headGroups, ...new Array<number>(zeros).fill(0), ...tailGroups] : undefined;
}

/** Colon-separated hex groups, optionally ending in a dotted quad (two groups). */
function parseGroups(s: string, ipv4Last: boolean): number[] | undefined {
  if (s === '') return [];
  const parts = s.split(':');
  const groups: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (/^[0-9A-Fa-f]{1,4}$/.test(part)) {
      groups.push(parseInt(part, 16));
      continue;
    }
    const octets = ipv4Last && i === parts.length - 1 ? parseIPv4(part) : undefined;
    if (octets === undefined) return undefined;
    groups.push((octets[0] << 8) | octets[1], (octets[2] << 8) | octets[3]);
  }
  return groups;
}

function formatIPv6(groups: number[]): string {
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  }
  // The longest run of at least two zero groups; the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

// ---------------------------------------------------------------------------
// Interface name globs

type GlobToken =
  | { kind: 'char'; char: string }
  | { kind: 'any' } // ?
  | { kind: 'star' } // *
  | { kind: 'set'; negated: boolean; ranges: Array<[string, string]> }; // [...]

interface Glob {
  tokens: GlobToken[];
  /** A "[" had no closing "]"; it is then matched literally. */
  unclosedBracket: boolean;
}

/**
 * Whether `ifname` matches one of the shell-style glob patterns: `*` (any
 * run of characters, also none), `?` (any one character), `[abc]`, `[a-z]`
 * and `[!x]` (or `[^x]`). A "]" right after "[" or "[!" is a member of the set.
 */
export function matchInterface(patterns: string[], ifname: string): boolean {
  return patterns.some((pattern) => matchGlob(parseGlob(pattern).tokens, ifname));
}

function parseGlob(pattern: string): Glob {
  const tokens: GlobToken[] = [];
  let unclosedBracket = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      tokens.push({ kind: 'star' });
    } else if (c === '?') {
      tokens.push({ kind: 'any' });
    } else if (c === '[') {
      const set = parseBracket(pattern, i);
      if (set === undefined) {
        unclosedBracket = true;
        tokens.push({ kind: 'char', char: c });
      } else {
        tokens.push(set.token);
        i = set.end;
      }
    } else {
      tokens.push({ kind: 'char', char: c });
    }
  }
  return { tokens, unclosedBracket };
}

/** Parses the bracket expression starting at `pattern[start]` ("["); `end` is the index of its "]". */
function parseBracket(pattern: string, start: number): { token: GlobToken; end: number } | undefined {
  let i = start + 1;
  const negated = pattern[i] === '!' || pattern[i] === '^';
  if (negated) i++;
  const ranges: Array<[string, string]> = [];
  const first = i;
  while (i < pattern.length && (pattern[i] !== ']' || i === first)) {
    if (pattern[i + 1] === '-' && i + 2 < pattern.length && pattern[i + 2] !== ']') {
      ranges.push([pattern[i], pattern[i + 2]]);
      i += 3;
    } else {
      ranges.push([pattern[i], pattern[i]]);
      i++;
    }
  }
  if (i >= pattern.length) return undefined;
  return { token: { kind: 'set', negated, ranges }, end: i };
}

function matchGlob(tokens: GlobToken[], name: string): boolean {
  // Iterative matching with backtracking to the last "*" only: linear in
  // practice, and never exponential.
  let t = 0;
  let n = 0;
  let starToken = -1;
  let starName = 0;
  while (n < name.length) {
    const token = tokens[t];
    if (token?.kind === 'star') {
      starToken = t++;
      starName = n;
    } else if (token !== undefined && matchesChar(token, name[n])) {
      t++;
      n++;
    } else if (starToken >= 0) {
      // Let the last "*" swallow one more character and retry.
      t = starToken + 1;
      n = ++starName;
    } else {
      return false;
    }
  }
  while (tokens[t]?.kind === 'star') t++;
  return t === tokens.length;
}

function matchesChar(token: Exclude<GlobToken, { kind: 'star' }>, c: string): boolean {
  switch (token.kind) {
    case 'char':
      return token.char === c;
    case 'any':
      return true;
    case 'set':
      return token.ranges.some(([lo, hi]) => lo <= c && c <= hi) !== token.negated;
  }
}
