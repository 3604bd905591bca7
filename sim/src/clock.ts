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

/**
 * Resolves after at least `ms` milliseconds of monotonic time. setTimeout alone
 * may fire early: Node measures from the event loop's cached "now", which can
 * be older than the moment the timer was armed.
 */
export function sleepAtLeast(ms: number): Promise<void> {
  const until = process.hrtime.bigint() + BigInt(Math.ceil(ms * 1e6));
  return new Promise((resolve) => {
    const check = (): void => {
      const left = Number(until - process.hrtime.bigint()) / 1e6;
      if (left <= 0) resolve();
      else if (left < 1) setImmediate(check);
      else setTimeout(check, Math.ceil(left));
    };
    if (ms <= 0) resolve();
    else setTimeout(check, Math.floor(ms));
  });
}
