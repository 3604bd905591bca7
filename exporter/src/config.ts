/**
 * Configuration loader for `nfscope-exporter --config FILE`.
 *
 * The file is validated completely before anything is attached: every problem
 * found is collected (not just the first) and reported together in one
 * ConfigError, one line per problem, as `${source}: ${path}: ${message}`.
 * See docs/configuration.md for the file format.
 *
 * The YAML is read here; its shape is checked against the schema
 * (config-schema.ts, config-validate.ts), then what a schema cannot express
 * (config-domain.ts), which also makes the Config.
 */
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { LineCounter, parseDocument, visit } from 'yaml';
import { parseIp } from './address';
import { checkDomain, Report } from './config-domain';
import { dropNulls, formatPath, isMapping, schemaProblems, show, sortProblems } from './config-validate';

export { DEFAULT_DURATION_BUCKETS, DEFAULT_PIN_DIR, DROP_REASON_PATTERN, NF_TYPES } from './config-schema';
export { matchInterface } from './glob';

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
  /** Shell-style glob patterns (see glob.ts, matchInterface). */
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

/** Parses and validates the text of a configuration file; `source` names it in error messages. */
export function parseConfig(text: string, source: string, opts: { hostname?: string } = {}): Config {
  const root = parseYaml(text, source);
  if (root === null || root === undefined) {
    const message = 'the file is empty (expected a mapping with at least "interfaces" and "nfs")';
    throw new ConfigError(source, [{ path: '', message }]);
  }
  const data = dropNulls(root);
  const report = new Report(schemaProblems(data));
  const config = isMapping(data) ? checkDomain(data, report, opts.hostname ?? osHostname()) : undefined;
  if (report.problems.length > 0 || config === undefined) {
    const problems = sortProblems(report.problems).map((p) => ({ path: formatPath(p.at), message: p.message }));
    throw new ConfigError(source, problems);
  }
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
          message: `YAML error at line ${line}, column ${col}: unknown alias "*${node.source}"` + ' (a value starting with "*" must be quoted, e.g. "*-veth")',
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
