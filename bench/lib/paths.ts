/** Where things are, from the compiled benchmarks in bench/dist/ (this file is bench/dist/lib/paths.js). */
import * as path from 'path';

/** bench/ */
export const BENCH = path.resolve(__dirname, '../..');
/** the repository */
export const REPO = path.resolve(BENCH, '..');
/** the compiled benchmarks: bench/dist/ */
export const DIST = path.resolve(__dirname, '..');
/** Where every benchmark writes its results by default (ignored by git). */
export const RESULTS = path.join(BENCH, 'results');
export const EXPORTER_BIN = path.join(REPO, 'exporter/bin/nfscope-exporter.js');
/** A compiled helper program of bench/tools/ (run inside a namespace). */
export const tool = (name: string): string => path.join(DIST, 'tools', `${name}.js`);
/** A compiled benchmark script of bench/. */
export const script = (name: string): string => path.join(DIST, `${name}.js`);

/** A results file name: bench/results/NAME-2026-12-04T2140.json (UTC, to the minute). */
export function resultFile(name: string, at = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/:\d\d\.\d+Z$/, '')
    .replace(':', '');
  return path.join(RESULTS, `${name}-${stamp}.json`);
}
