/**
 * Processing delays: how long a responder waits before it answers. All
 * values in milliseconds; samples are never negative.
 */
import type { Rng } from './random';

export type Distribution =
  { kind: 'constant'; ms: number } | { kind: 'uniform'; minMs: number; maxMs: number } | { kind: 'exponential'; meanMs: number } | { kind: 'lognormal'; medianMs: number; sigma: number };

export const DISTRIBUTION_KINDS = ['constant', 'uniform', 'exponential', 'lognormal'] as const;

/** Longest delay a distribution's parameters may ask for (a responder holding a request for minutes is a timeout anyway). */
export const MAX_DELAY_MS = 60_000;
const MAX_SIGMA = 4;

export function sample(d: Distribution, rng: Rng): number {
  switch (d.kind) {
    case 'constant':
      return d.ms;
    case 'uniform':
      return d.minMs + (d.maxMs - d.minMs) * rng.next();
    case 'exponential':
      // Inverse transform: -mean·ln(U), U in (0, 1].
      return -d.meanMs * Math.log(1 - rng.next());
    case 'lognormal':
      // exp(N(ln median, sigma²)): the median is exp(mu).
      return d.medianMs * Math.exp(d.sigma * rng.normal());
  }
}

/** The distribution's mean, for estimates and help texts. */
export function mean(d: Distribution): number {
  switch (d.kind) {
    case 'constant':
      return d.ms;
    case 'uniform':
      return (d.minMs + d.maxMs) / 2;
    case 'exponential':
      return d.meanMs;
    case 'lognormal':
      return d.medianMs * Math.exp((d.sigma * d.sigma) / 2);
  }
}

/**
 * Checks a parsed JSON value; returns the problems as [field path, message]
 * pairs (empty when it is a valid Distribution). `at` names the field.
 */
export function checkDistribution(v: unknown, at: string): Array<[string, string]> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [[at, `must be an object like {"kind":"constant","ms":1}`]];
  const o = v as Record<string, unknown>;
  const fields: Record<string, string[]> = {
    constant: ['ms'],
    uniform: ['minMs', 'maxMs'],
    exponential: ['meanMs'],
    lognormal: ['medianMs', 'sigma'],
  };
  if (typeof o.kind !== 'string' || !(o.kind in fields)) {
    return [[`${at}.kind`, `must be one of ${DISTRIBUTION_KINDS.map((k) => JSON.stringify(k)).join(', ')}, got ${JSON.stringify(o.kind)}`]];
  }
  const want = fields[o.kind];
  const problems: Array<[string, string]> = [];
  for (const k of Object.keys(o)) {
    if (k !== 'kind' && !want.includes(k)) problems.push([`${at}.${k}`, `unknown field for kind "${o.kind}" (expected ${want.join(', ')})`]);
  }
  for (const k of want) {
    const x = o[k];
    const max = k === 'sigma' ? MAX_SIGMA : MAX_DELAY_MS;
    if (typeof x !== 'number' || !Number.isFinite(x)) problems.push([`${at}.${k}`, `must be a number, got ${JSON.stringify(x)}`]);
    else if (x < 0 || x > max) problems.push([`${at}.${k}`, `must be between 0 and ${max}, got ${x}`]);
    else if ((k === 'meanMs' || k === 'medianMs') && x === 0) problems.push([`${at}.${k}`, 'must be more than 0 (use {"kind":"constant","ms":0} for no delay)']);
  }
  if (o.kind === 'uniform' && problems.length === 0 && (o.minMs as number) > (o.maxMs as number)) {
    problems.push([`${at}.maxMs`, `must be ≥ minMs (${o.minMs as number}), got ${o.maxMs as number}`]);
  }
  return problems;
}

export function describe(d: Distribution): string {
  switch (d.kind) {
    case 'constant':
      return `${d.ms} ms`;
    case 'uniform':
      return `uniform ${d.minMs}–${d.maxMs} ms`;
    case 'exponential':
      return `exponential, mean ${d.meanMs} ms`;
    case 'lognormal':
      return `lognormal, median ${d.medianMs} ms, sigma ${d.sigma}`;
  }
}
