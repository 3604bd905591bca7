/**
 * Periodic work at a given average rate: the k-th call is due k/rate seconds
 * after start. A timer wakes at the next due time (at most every TICK_MS when
 * the rate is high, running the calls that fell due since), so rates above
 * the timer resolution are kept on average and a late wake-up catches up.
 */
const TICK_MS = 5;
/** Catching up after a stall is bounded: calls more than this far behind are skipped. */
const MAX_BURST = 1000;

export interface Ticker {
  stop(): void;
}

/** Calls fn `perSecond` times a second on average, the first call 1/perSecond s after start. perSecond 0: never. */
export function atRate(perSecond: number, fn: () => void): Ticker {
  if (!(perSecond > 0)) return { stop() {} };
  const start = process.hrtime.bigint();
  const elapsedS = (): number => Number(process.hrtime.bigint() - start) / 1e9;
  let done = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    if (stopped) return;
    const due = Math.floor(elapsedS() * perSecond);
    if (due - done > MAX_BURST) done = due - MAX_BURST;
    while (done < due && !stopped) {
      done++;
      fn();
    }
    if (stopped) return;
    const waitMs = ((done + 1) / perSecond - elapsedS()) * 1000;
    timer = setTimeout(tick, Math.max(1, Math.ceil(waitMs), perSecond > 1000 / TICK_MS ? TICK_MS : 0));
  };
  timer = setTimeout(tick, Math.max(1, Math.ceil(1000 / perSecond)));
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Calls fn every `ms` milliseconds (first call after `ms`). ms 0: never. */
export function everyMs(ms: number, fn: () => void): Ticker {
  return ms > 0 ? atRate(1000 / ms, fn) : { stop() {} };
}
