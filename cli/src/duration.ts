/**
 * Durations as nfscope reads them on a command line and in its configuration:
 * a number and a unit ("500ms", "30s", "2m", "1h", "1d"), or where the reader
 * allows it a plain number of seconds. The one parser of them; it imports
 * nothing, so every package (and the exporter's config) can use it.
 */

export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

/** Every unit, in milliseconds. */
export const UNIT_MS: Readonly<Record<DurationUnit, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Every unit, in seconds. */
export const UNIT_SECONDS: Readonly<Record<DurationUnit, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
export const ALL_UNITS: readonly DurationUnit[] = ['ms', 's', 'm', 'h', 'd'];

export interface DurationSyntax {
  /** the units accepted (default: all of them) */
  units?: readonly DurationUnit[];
  /** a number without a unit is that many seconds (default false: a unit is required) */
  bareSeconds?: boolean;
}

/** The number and unit of `text`, or undefined when it is not a duration of `syntax`. */
function split(text: string, syntax: DurationSyntax): { n: number; unit: DurationUnit } | undefined {
  const m = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(text);
  if (m === null) return undefined;
  const units = syntax.units ?? ALL_UNITS;
  const unit = m[2] === '' ? (syntax.bareSeconds ? 's' : undefined) : units.find((u) => u === m[2]);
  if (unit === undefined) return undefined;
  const n = Number(m[1]);
  return Number.isFinite(n) ? { n, unit } : undefined;
}

/** `text` in seconds (the number times the unit's seconds), or undefined when it is not a duration. */
export function durationSeconds(text: string, syntax: DurationSyntax = {}): number | undefined {
  const d = split(text, syntax);
  return d && d.n * UNIT_SECONDS[d.unit];
}

/** `text` in whole milliseconds (rounded), or undefined when it is not a duration. */
export function durationMs(text: string, syntax: DurationSyntax = {}): number | undefined {
  const d = split(text, syntax);
  return d && Math.round(d.n * UNIT_MS[d.unit]);
}

/** A duration that could not be read, or is out of range; the message names `what`. */
export class DurationError extends Error {}

/**
 * A command-line duration ("500ms", "30s", "2m", "1h", "1d" or a number of
 * seconds; blanks around it are ignored) in milliseconds, within [minMs, maxMs].
 * `what` (the flag) begins the error's message.
 */
export function parseDuration(text: string, what: string, minMs: number, maxMs: number): number {
  const ms = durationMs(text.trim(), { bareSeconds: true });
  if (ms === undefined) throw new DurationError(`${what}: ${JSON.stringify(text)} is not a duration (examples: 500ms, 30s, 2m, 1h)`);
  if (ms < minMs || ms > maxMs) throw new DurationError(`${what}: ${text} is out of range (${minMs} ms to ${maxMs / 3_600_000} h)`);
  return ms;
}
