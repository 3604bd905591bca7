/**
 * A full garbage collection of the V8 heap now and then. The exporter
 * allocates a little all the time (each second's read of the maps, the
 * history's commit, each query's answer) and never goes idle, so V8's own
 * memory reducer, which waits for a quiet allocation rate, does not run: the
 * old generation stays committed at two to three times what is live (62 MiB
 * for 25 MiB at 200 NF pairs, bench/README.md). A full collection every
 * FULL_GC_EVERY_S frees those pages; at this heap it costs tens of
 * milliseconds, a tenth of a percent of a core. The collector is reached as
 * node's --expose-gc makes it, set at run time in a context of its own, so
 * the exporter's global scope stays as it was.
 */
import * as v8 from 'v8';
import * as vm from 'vm';

export const FULL_GC_EVERY_S = 30;

let gc: (() => void) | undefined;

/** Runs a full collection; returns its duration in milliseconds. */
export function fullGc(): number {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  const t0 = process.hrtime.bigint();
  gc();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
