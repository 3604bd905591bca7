/**
 * Command lines of the benchmarks and their tools: node:util parseArgs,
 * strict (an unknown option or a missing value is an error), --help/-h
 * prints the usage, and every value is checked here with a message naming
 * the option and the value. A UsageError exits 2, any other failure 1
 * (main() below).
 */
import { parseArgs } from 'node:util';

/** A bad command line: reported as its message alone, exit status 2. */
export class UsageError extends Error {}
/** A run that went wrong in a way its message says in full (no stack). */
export class RunError extends Error {}

export type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: false };

export interface CommandLine {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses argv against `options` (plus --help). With --help, prints `usage`
 * and exits 0.
 */
export function commandLine(usage: string, options: Record<string, OptionSpec>, argv = process.argv.slice(2), allowPositionals = false): CommandLine {
  let r;
  try {
    r = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.replace(/\. To specify a positional argument.*$/s, '')} (see --help)`);
  }
  if (r.values.help) {
    process.stdout.write(usage.endsWith('\n') ? usage : `${usage}\n`);
    process.exit(0);
  }
  return { values: r.values as CommandLine['values'], positionals: r.positionals };
}

/** A string option's value, or `fallback`. */
export function str(cl: CommandLine, name: string, fallback: string): string;
export function str(cl: CommandLine, name: string): string | undefined;
export function str(cl: CommandLine, name: string, fallback?: string): string | undefined {
  const v = cl.values[name];
  return typeof v === 'string' ? v : fallback;
}

/** A string option that must be given. */
export function required(cl: CommandLine, name: string): string {
  const v = str(cl, name);
  if (v === undefined) throw new UsageError(`--${name} is required (see --help)`);
  return v;
}

export function flag(cl: CommandLine, name: string): boolean {
  return cl.values[name] === true;
}

/**
 * A number option, or `fallback`: finite, at least `min` (default: above
 * 0), at most `max`, and whole when `integer`.
 */
export function num(cl: CommandLine, name: string, fallback: number, opts: { integer?: boolean; min?: number; max?: number } = {}): number {
  const raw = str(cl, name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  const what = opts.integer ? 'whole number' : 'number';
  const range = opts.min !== undefined ? ` from ${opts.min}${opts.max !== undefined ? ` to ${opts.max}` : ''}` : opts.max !== undefined ? ` up to ${opts.max}` : ' above 0';
  const ok = raw.trim() !== '' && Number.isFinite(v) && (!opts.integer || Number.isInteger(v)) && (opts.min !== undefined ? v >= opts.min : v > 0) && (opts.max === undefined || v <= opts.max);
  if (!ok) throw new UsageError(`--${name}: ${JSON.stringify(raw)} is not a ${what}${range}`);
  return v;
}

/** A comma-separated list option, or undefined; empty items are an error. */
export function list(cl: CommandLine, name: string): string[] | undefined {
  const raw = str(cl, name);
  if (raw === undefined) return undefined;
  const items = raw.split(',');
  if (items.some((x) => x.trim() === '')) throw new UsageError(`--${name}: ${JSON.stringify(raw)} is not a comma-separated list`);
  return items.map((x) => x.trim());
}

/**
 * Runs a benchmark's main(): its resolved number is the exit status (unless
 * exitWhenDone is false: a tool that goes on serving and exits itself); a
 * UsageError exits 2 with its message, a RunError 1 with its message, any
 * other error 1 with its stack. `cleanup` runs before the exit on failure.
 */
export function main(name: string, fn: () => Promise<number | void>, opts: { cleanup?: () => void; exitWhenDone?: boolean } = {}): void {
  const cleanup = opts.cleanup ?? (() => {});
  fn().then(
    (code) => {
      if (opts.exitWhenDone !== false) process.exit(code ?? 0);
    },
    (e: unknown) => {
      try {
        cleanup();
      } catch {
        // Reported below: the failure that made cleanup run matters more.
      }
      if (e instanceof UsageError) {
        process.stderr.write(`${name}: ${e.message}\n`);
        process.exit(2);
      }
      const err = e as Error;
      process.stderr.write(`${name}: ${e instanceof RunError ? err.message : (err.stack ?? err.message)}\n`);
      process.exit(1);
    },
  );
}
