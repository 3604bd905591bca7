/** Writing a benchmark's result: one JSON file under bench/results/ (ignored by git) unless --out names another. */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO, resultFile } from './paths';

/** Writes `result` as JSON to `out`, or to bench/results/NAME-<date>.json; returns the file. */
export function writeResult(name: string, result: unknown, out: string | undefined): string {
  const file = path.resolve(out ?? resultFile(name));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** The machine a result was measured on, for the record. */
export function machine(): { kernel: string; cpu: string; cpus: number; node: string; git: string | null } {
  const cpu = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  let git: string | null = null;
  try {
    git = execFileSync('git', ['-C', REPO, 'describe', '--always', '--dirty'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout
  }
  return { kernel: os.release(), cpu: cpu ? cpu[1].trim() : 'unknown', cpus: os.cpus().length, node: process.version, git };
}
