/**
 * The scenario: what traffic the simulator makes and how the responders
 * behave. A scenario file is JSON; every field is optional and has a default
 * (DEFAULT_SCENARIO). resolveScenario() checks everything at once and names
 * each offending field.
 */
import * as fs from 'fs';
import type { Behaviour } from './behaviour';
import { checkDistribution } from './distributions';
import { PFCP_PROCEDURES, type PfcpProcedure } from './pfcp';
import { NGAP_PROCEDURE_NAMES, NGAP_PROCEDURES, type NgapProcedure } from './ngap';
import { DEFAULT_SBI, HTTP_STATUS_MAX, HTTP_STATUS_MIN, SBI_PRODUCERS, sbiEnabled, type SbiScenario } from './sbi';

/** Echo Response has no Cause: an echo responder answers, ignores or drops the first copy. */
export type EchoBehaviour = Omit<Behaviour, 'rejectRate' | 'rejectCauses'>;

export interface PfcpScenario {
  /** SMF → each UPF; 0 = none. */
  heartbeatIntervalMs: number;
  /** New sessions per second, per SMF–UPF pair: Establishment, Modification, Deletion. */
  sessionsPerSecond: number;
  /** Establishment → Modification after half of this, → Deletion after all of it. */
  sessionHoldMs: number;
  /** Session Reports per second from each UPF to the SMF (about one of its active sessions). */
  reportsPerSecond: number;
  /** Retransmission timer T1 and count N1 (TS 29.244 §6.4: Open5GS uses 2.5 s and 3). */
  t1Ms: number;
  n1: number;
  /** How responders behave (the UPF for SMF requests, the SMF for Session Reports). */
  responder: Behaviour;
  /** Per-procedure overrides of `responder`, field by field. */
  procedures: Partial<Record<PfcpProcedure, Partial<Behaviour>>>;
}

export interface GtpuScenario {
  /** Echo Request every this many ms on each path (gnb-1 → upf-1, upf-1 → upf-2); 0 = none. */
  echoIntervalMs: number;
  /** Echo retransmission timer and count (TS 29.281 §7.2.1 / TS 29.060 §7.6: T3-RESPONSE, N3-REQUESTS). */
  t3Ms: number;
  n3: number;
  responder: EchoBehaviour;
  /** Uplink G-PDUs per second from gnb-1 to upf-1 (forwarded by upf-1 to upf-2 when n9). */
  gpduPerSecond: number;
  /** Downlink G-PDUs per second from the session's anchor (upf-2 when n9, forwarded by upf-1; else upf-1) to gnb-1. */
  downlinkGpduPerSecond: number;
  /** Size of each G-PDU's T-PDU (the inner IPv4/UDP packet), in octets. */
  gpduSize: number;
  /** QFI of the PDU Session Container extension header; null = no extension header. */
  qfi: number | null;
  /** Whether upf-1 ↔ upf-2 (N9) carries Echo and forwarded G-PDUs. */
  n9: boolean;
}

// ---------------------------------------------------------------- NGAP (N2) types

/** NGAP has no retransmissions of its own (SCTP is reliable): a receiver answers, rejects or ignores. */
export type NgapBehaviour = Omit<Behaviour, 'rejectCauses' | 'dropFirstCopyRate'>;

export interface NgapScenario {
  /** Whether gnb-1 and amf-1 speak NGAP over SCTP at all. */
  enabled: boolean;
  /** New UEs per second on gnb-1, each running InitialUEMessage … UEContextRelease. */
  uesPerSecond: number;
  /** PDU Session Resource Setup → UE Context Release. */
  ueHoldMs: number;
  /** How long the initiator of a class 1 procedure waits for its response. */
  responseTimeoutMs: number;
  /** Delayed-SACK timer of both receivers (Linux net.sctp.sack_timeout: 200 ms); 0 = SACK every packet at once. */
  sackDelayMs: number;
  /** SACK at once on every this-many-th packet with DATA (Linux sack_freq: 2). */
  sackEveryPackets: number;
  /** How the receiver of each initiating message behaves (the AMF for gNB-initiated procedures, the gNB for the AMF's). */
  responder: NgapBehaviour;
  /** Per-procedure overrides of `responder`, field by field. */
  procedures: Partial<Record<NgapProcedure, Partial<NgapBehaviour>>>;
}

export interface Scenario {
  /** Seed of every random choice: same seed, same decisions for the same requests. */
  seed: number;
  /** How long clients start new transactions; outstanding ones then finish (see graceMs). */
  durationMs: number;
  /** Address family of the traffic between the NFs (6 needs a testbed created with IPv6). */
  ipFamily: 4 | 6;
  /** Upper bound on the packets per second the scenario may generate (estimated from its rates). */
  maxPacketsPerSecond: number;
  pfcp: PfcpScenario;
  gtpu: GtpuScenario;
  ngap: NgapScenario;
  /** SBI over HTTP/2 (sbi.ts); off when registrationsPerSecond and nrfHeartbeatMs are both 0. */
  sbi: SbiScenario;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends Array<unknown> ? T[K] : T[K] extends object | null ? DeepPartial<T[K]> : T[K] };
export type ScenarioInput = DeepPartial<Scenario>;

export const DEFAULT_SCENARIO: Readonly<Scenario> = Object.freeze({
  seed: 1,
  durationMs: 30_000,
  ipFamily: 4,
  maxPacketsPerSecond: 5000,
  pfcp: {
    heartbeatIntervalMs: 1000,
    sessionsPerSecond: 5,
    sessionHoldMs: 2000,
    reportsPerSecond: 2,
    t1Ms: 2500,
    n1: 3,
    responder: {
      delay: { kind: 'lognormal', medianMs: 2, sigma: 0.5 },
      rejectRate: 0,
      rejectCauses: [64],
      noResponseRate: 0,
      dropFirstCopyRate: 0,
    },
    procedures: {},
  },
  gtpu: {
    echoIntervalMs: 1000,
    t3Ms: 3000,
    n3: 0,
    responder: { delay: { kind: 'constant', ms: 0 }, noResponseRate: 0, dropFirstCopyRate: 0 },
    gpduPerSecond: 100,
    downlinkGpduPerSecond: 0,
    gpduSize: 200,
    qfi: 9,
    n9: true,
  },
  ngap: {
    enabled: true,
    uesPerSecond: 2,
    ueHoldMs: 1000,
    responseTimeoutMs: 2000,
    sackDelayMs: 200,
    sackEveryPackets: 2,
    responder: { delay: { kind: 'lognormal', medianMs: 2, sigma: 0.5 }, rejectRate: 0, noResponseRate: 0 },
    procedures: {},
  },
  sbi: DEFAULT_SBI,
}) as Scenario;

/** Never more than this, whatever maxPacketsPerSecond says: the simulator shares a small machine with what it measures. */
export const HARD_MAX_PACKETS_PER_SECOND = 20_000;
/** Margin after the longest retransmission chain before agents stop. */
const GRACE_MARGIN_MS = 500;

export interface ScenarioProblem {
  path: string;
  message: string;
}

export class ScenarioError extends Error {
  constructor(
    readonly source: string,
    readonly problems: ScenarioProblem[],
  ) {
    super(problems.map((p) => `${source}: ${p.path}: ${p.message}`).join('\n'));
    this.name = 'ScenarioError';
  }
}

// ---------------------------------------------------------------- validation

type Check = (v: unknown, path: string, out: ScenarioProblem[]) => void;

const integer =
  (min: number, max: number): Check =>
  (v, path, out) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) out.push({ path, message: `must be an integer, got ${JSON.stringify(v)}` });
    else if (v < min || v > max) out.push({ path, message: `must be between ${min} and ${max}, got ${v}` });
  };

const number =
  (min: number, max: number): Check =>
  (v, path, out) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) out.push({ path, message: `must be a number, got ${JSON.stringify(v)}` });
    else if (v < min || v > max) out.push({ path, message: `must be between ${min} and ${max}, got ${v}` });
  };

/** 0 (off) or an interval of at least `min` ms. */
const interval =
  (min: number, max: number): Check =>
  (v, path, out) => {
    if (v === 0) return;
    const before = out.length;
    integer(min, max)(v, path, out);
    if (out.length > before) out[out.length - 1].message += ' (or 0 for none)';
  };

const probability: Check = number(0, 1);
const boolean: Check = (v, path, out) => {
  if (typeof v !== 'boolean') out.push({ path, message: `must be true or false, got ${JSON.stringify(v)}` });
};
const oneOf =
  (...allowed: unknown[]): Check =>
  (v, path, out) => {
    if (!allowed.includes(v)) out.push({ path, message: `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(v)}` });
  };
const distribution: Check = (v, path, out) => {
  for (const [p, message] of checkDistribution(v, path)) out.push({ path: p, message });
};
const causes: Check = (v, path, out) => {
  if (!Array.isArray(v) || v.length === 0) return void out.push({ path, message: 'must be a non-empty list of cause values (64..255)' });
  v.forEach((c, i) => integer(64, 255)(c, `${path}[${i}]`, out));
};

interface Shape {
  [key: string]: Check | Shape;
}

const BEHAVIOUR: Shape = { delay: distribution, rejectRate: probability, rejectCauses: causes, noResponseRate: probability, dropFirstCopyRate: probability };
const ECHO_BEHAVIOUR: Shape = { delay: distribution, noResponseRate: probability, dropFirstCopyRate: probability };
const NGAP_BEHAVIOUR: Shape = { delay: distribution, rejectRate: probability, noResponseRate: probability };

const statuses: Check = (v, path, out) => {
  if (!Array.isArray(v) || v.length === 0) return void out.push({ path, message: `must be a non-empty list of HTTP statuses (${HTTP_STATUS_MIN}..${HTTP_STATUS_MAX})` });
  v.forEach((c, i) => integer(HTTP_STATUS_MIN, HTTP_STATUS_MAX)(c, `${path}[${i}]`, out));
};
const SBI_RESPONDER: Shape = { delay: distribution, errorRate: probability, errorStatuses: statuses, noResponseRate: probability };

const SHAPE: Shape = {
  seed: integer(0, 0xffffffff),
  durationMs: integer(100, 86_400_000),
  ipFamily: oneOf(4, 6),
  maxPacketsPerSecond: integer(1, HARD_MAX_PACKETS_PER_SECOND),
  pfcp: {
    heartbeatIntervalMs: interval(10, 3_600_000),
    sessionsPerSecond: number(0, 2000),
    sessionHoldMs: integer(0, 3_600_000),
    reportsPerSecond: number(0, 2000),
    t1Ms: integer(10, 60_000),
    n1: integer(0, 10),
    responder: BEHAVIOUR,
    procedures: Object.fromEntries(PFCP_PROCEDURES.map((p) => [p, BEHAVIOUR])),
  },
  gtpu: {
    echoIntervalMs: interval(10, 3_600_000),
    t3Ms: integer(10, 60_000),
    n3: integer(0, 10),
    responder: ECHO_BEHAVIOUR,
    gpduPerSecond: number(0, HARD_MAX_PACKETS_PER_SECOND),
    downlinkGpduPerSecond: number(0, HARD_MAX_PACKETS_PER_SECOND),
    gpduSize: integer(28, 1400),
    qfi: (v, path, out) => (v === null ? undefined : integer(0, 63)(v, path, out)),
    n9: boolean,
  },
  ngap: {
    enabled: boolean,
    uesPerSecond: number(0, 1000),
    ueHoldMs: integer(0, 3_600_000),
    responseTimeoutMs: integer(10, 60_000),
    sackDelayMs: integer(0, 500), // RFC 9260 §6.2: at most 500 ms
    sackEveryPackets: integer(1, 16),
    responder: NGAP_BEHAVIOUR,
    procedures: Object.fromEntries(NGAP_PROCEDURE_NAMES.map((p) => [p, NGAP_BEHAVIOUR])),
  },
  // ---- SBI (sbi.ts)
  sbi: {
    registrationsPerSecond: number(0, 500),
    nrfHeartbeatMs: interval(10, 3_600_000),
    connections: Object.fromEntries(['AMF', 'SMF', 'AUSF', 'UDM', 'PCF'].map((t) => [t, oneOf('long', 'short')])),
    responder: SBI_RESPONDER,
    producers: Object.fromEntries(SBI_PRODUCERS.map((t) => [t, SBI_RESPONDER])),
    timeoutMs: integer(10, 60_000),
    port: integer(1, 65535),
  },
};

/** Closest known key, for "did you mean" hints: a key it is the start of ("t1" → "t1Ms"), else edit distance ≤ 2. */
function suggest(key: string, known: string[]): string | undefined {
  const prefixed = known.find((k) => k.toLowerCase().startsWith(key.toLowerCase()));
  if (prefixed) return prefixed;
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length][b.length];
  };
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const dd = k.toLowerCase() === key.toLowerCase() ? 0 : dist(key, k);
    if (dd < bestD) {
      best = k;
      bestD = dd;
    }
  }
  return best;
}

function walk(v: unknown, shape: Shape, path: string, out: ScenarioProblem[], hints: Record<string, string>): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    out.push({ path: path || '(top level)', message: `must be a JSON object, got ${Array.isArray(v) ? 'a list' : JSON.stringify(v)}` });
    return;
  }
  const known = Object.keys(shape);
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const p = path ? `${path}.${k}` : k;
    const s = shape[k];
    if (s === undefined) {
      const hint = hints[p] ?? (suggest(k, known) ? `did you mean "${suggest(k, known)}"?` : `expected one of: ${known.join(', ')}`);
      out.push({ path: p, message: `unknown field; ${hint}` });
    } else if (typeof s === 'function') s(x, p, out);
    else walk(x, s, p, out, hints);
  }
}

/** Specific explanations for fields that look right but are not. */
const HINTS: Record<string, string> = {
  'gtpu.responder.rejectRate': 'an Echo Response has no Cause, so echo can only be answered, ignored (noResponseRate) or answered late (dropFirstCopyRate)',
  'gtpu.responder.rejectCauses': 'an Echo Response has no Cause',
  'ngap.responder.rejectCauses': 'an NGAP unsuccessful outcome carries Cause misc/unspecified; the cause is not configurable',
  'ngap.responder.dropFirstCopyRate': 'NGAP messages are not retransmitted (SCTP is reliable): use noResponseRate',
};

function merge<T>(base: T, over: unknown): T {
  if (over === undefined) return base;
  if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof over !== 'object' || over === null || Array.isArray(over)) return over as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    // A distribution is replaced as a whole: {"kind":"constant","ms":1} over a lognormal must not keep "sigma".
    out[k] = k === 'delay' ? v : merge(out[k], v);
  }
  return out as T;
}

/** Behaviour of the responder for one PFCP procedure: `responder` with that procedure's overrides. */
export function pfcpBehaviour(s: Scenario, procedure: PfcpProcedure): Behaviour {
  const b = merge(s.pfcp.responder, s.pfcp.procedures[procedure]);
  // Heartbeat Response has no Cause IE (TS 29.244 §7.4.2.2): it cannot be a rejection.
  return procedure === 'Heartbeat' ? { ...b, rejectRate: 0 } : b;
}

/** Behaviour of the receiver of one NGAP procedure's initiating message: `responder` with that procedure's overrides. */
export function ngapBehaviour(s: Scenario, procedure: NgapProcedure): Behaviour {
  const b = merge(s.ngap.responder, s.ngap.procedures[procedure]);
  // Only procedures with an unsuccessful outcome (TS 38.413 §8) can be rejected.
  return { ...b, rejectRate: NGAP_PROCEDURES[procedure].unsuccessful ? b.rejectRate : 0, rejectCauses: [], dropFirstCopyRate: 0 };
}

/** Time after durationMs for outstanding transactions: the longest retransmission chain plus a margin. */
export function graceMs(s: Scenario): number {
  const pfcp = (s.pfcp.n1 + 1) * s.pfcp.t1Ms;
  const echo = s.gtpu.echoIntervalMs > 0 ? (s.gtpu.n3 + 1) * s.gtpu.t3Ms : 0;
  const n2 = s.ngap.enabled ? s.ngap.responseTimeoutMs + s.ngap.sackDelayMs : 0;
  const sbi = sbiEnabled(s.sbi) ? s.sbi.timeoutMs : 0;
  return Math.max(pfcp, echo, n2, sbi) + GRACE_MARGIN_MS;
}

/** Nominal packets per second the scenario generates (requests and responses, no retransmissions), by kind. */
export function estimatePacketsPerSecond(s: Scenario, upfs = 2): { pfcp: number; echo: number; gpdu: number; ngap: number; total: number } {
  const p = s.pfcp;
  const perUpf = (p.heartbeatIntervalMs > 0 ? 2000 / p.heartbeatIntervalMs : 0) + 6 * p.sessionsPerSecond + 2 * p.reportsPerSecond;
  const pfcp = upfs * perUpf;
  const paths = s.gtpu.n9 ? 2 : 1;
  const echo = s.gtpu.echoIntervalMs > 0 ? (paths * 2000) / s.gtpu.echoIntervalMs : 0;
  const gpdu = (s.gtpu.gpduPerSecond + s.gtpu.downlinkGpduPerSecond) * paths;
  // Per UE: 9 NGAP messages, each in a DATA packet, and at most as many SACKs.
  const ngap = s.ngap.enabled ? 18 * s.ngap.uesPerSecond : 0;
  return { pfcp, echo, gpdu, ngap, total: pfcp + echo + gpdu + ngap };
}

function crossChecks(s: Scenario, out: ScenarioProblem[]): void {
  const rates = (b: Partial<Behaviour>, path: string, retransmissions: number, timer: string) => {
    const sum = (b.rejectRate ?? 0) + (b.noResponseRate ?? 0) + (b.dropFirstCopyRate ?? 0);
    if (sum > 1 + 1e-9) out.push({ path, message: `rejectRate + noResponseRate + dropFirstCopyRate must be at most 1, got ${+sum.toFixed(6)}` });
    if ((b.dropFirstCopyRate ?? 0) > 0 && retransmissions === 0) {
      out.push({ path: `${path}.dropFirstCopyRate`, message: `needs ${timer} ≥ 1: without retransmissions a dropped first copy is a timeout (use noResponseRate for that)` });
    }
  };
  for (const proc of PFCP_PROCEDURES) {
    const over = s.pfcp.procedures[proc];
    if (proc === 'Heartbeat' && over?.rejectRate) {
      out.push({ path: 'pfcp.procedures.Heartbeat.rejectRate', message: 'must be 0: a Heartbeat Response has no Cause IE (TS 29.244 §7.4.2.2)' });
    }
    rates(pfcpBehaviour(s, proc), over ? `pfcp.procedures.${proc}` : 'pfcp.responder', s.pfcp.n1, 'pfcp.n1');
  }
  rates(s.gtpu.responder, 'gtpu.responder', s.gtpu.n3, 'gtpu.n3');
  // NGAP (N2)
  for (const proc of NGAP_PROCEDURE_NAMES) {
    const over = s.ngap.procedures[proc];
    if (!NGAP_PROCEDURES[proc].unsuccessful && over?.rejectRate) {
      out.push({ path: `ngap.procedures.${proc}.rejectRate`, message: `must be 0: ${proc} has no unsuccessful outcome (TS 38.413 §8); only NGSetup and InitialContextSetup can be rejected` });
    }
    rates(ngapBehaviour(s, proc), over ? `ngap.procedures.${proc}` : 'ngap.responder', 0, '');
  }
  const est = estimatePacketsPerSecond(s);
  if (est.total > s.maxPacketsPerSecond) {
    out.push({
      path: 'maxPacketsPerSecond',
      message:
        `the rates add up to about ${Math.round(est.total)} packets/s (PFCP ${Math.round(est.pfcp)}, GTP-U echo ${Math.round(est.echo)}, G-PDU ${Math.round(est.gpdu)}, NGAP ${Math.round(est.ngap)}), ` +
        `more than ${s.maxPacketsPerSecond}: lower pfcp.sessionsPerSecond, pfcp.reportsPerSecond, gtpu.gpduPerSecond or ngap.uesPerSecond, or raise maxPacketsPerSecond (at most ${HARD_MAX_PACKETS_PER_SECOND})`,
    });
  }
}

/** Checks a parsed scenario and fills in the defaults. Throws ScenarioError naming every bad field. */
export function resolveScenario(input: unknown, source = 'scenario'): Scenario {
  const problems: ScenarioProblem[] = [];
  walk(input ?? {}, SHAPE, '', problems, HINTS);
  if (problems.length > 0) throw new ScenarioError(source, problems);
  const s = merge(structuredClone(DEFAULT_SCENARIO) as Scenario, input);
  crossChecks(s, problems);
  if (problems.length > 0) {
    const seen = new Set<string>();
    throw new ScenarioError(
      source,
      problems.filter((p) => !seen.has(`${p.path}\n${p.message}`) && !!seen.add(`${p.path}\n${p.message}`)),
    );
  }
  return s;
}

/** Reads and resolves a scenario file (JSON). */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(file, [{ path: '(file)', message: (e as Error).message }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(file, [{ path: '(file)', message: `not valid JSON: ${(e as Error).message}` }]);
  }
  return resolveScenario(json, file);
}
