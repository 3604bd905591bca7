/**
 * Timestamps of the record: nanoseconds since the Unix epoch, as a bigint.
 *
 * Read from process.hrtime.bigint() (CLOCK_MONOTONIC: immune to wall-clock
 * steps, nanosecond resolution) and placed on the epoch once per process, at
 * load time, with performance.timeOrigin + performance.now() (the wall clock
 * at process start, sub-microsecond resolution, plus monotonic time since).
 * Differences within one process are exact monotonic durations; timestamps of
 * different agent processes on the same host agree to within the precision of
 * that one anchoring (microseconds), and drift apart only as fast as the wall
 * clock is slewed (NTP) during the run.
 */
import { performance } from 'perf_hooks';

const anchorHr = process.hrtime.bigint();
const anchorEpochNs = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));

/** Now, in nanoseconds since the Unix epoch (see the module comment). */
export function epochNs(): bigint {
  return anchorEpochNs + (process.hrtime.bigint() - anchorHr);
}

/** Monotonic nanoseconds, for measuring durations. */
export function monoNs(): bigint {
  return process.hrtime.bigint();
}

export interface Timer {
  cancel(): void;
}

/**
 * Calls fn once at least `ms` milliseconds of monotonic time from now.
 * setTimeout alone may fire early: Node measures from the event loop's cached
 * "now", which can be older than the moment the timer was armed. Used for
 * processing delays and retransmission timers, whose minimum the record
 * promises.
 */
export function afterAtLeast(ms: number, fn: () => void): Timer {
  const until = process.hrtime.bigint() + BigInt(Math.ceil(Math.max(0, ms) * 1e6));
  let timeout: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let cancelled = false;
  const check = (): void => {
    if (cancelled) return;
    const left = Number(until - process.hrtime.bigint()) / 1e6;
    if (left <= 0) fn();
    else if (left < 1) immediate = setImmediate(check);
    else timeout = setTimeout(check, Math.ceil(left));
  };
  if (ms < 1) immediate = setImmediate(check);
  else timeout = setTimeout(check, Math.floor(ms));
  return {
    cancel: () => {
      cancelled = true;
      clearTimeout(timeout);
      if (immediate) clearImmediate(immediate);
    },
  };
}

/** Resolves after at least `ms` milliseconds of monotonic time (see afterAtLeast). */
export function sleepAtLeast(ms: number): Promise<void> {
  return new Promise((resolve) => void afterAtLeast(ms, resolve));
}
