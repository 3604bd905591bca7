/**
 * The command line of every nfscope command, read with node:util parseArgs.
 *
 * Strict: an option that is not in the command's table, a value given to a
 * flag, a missing or empty value, or an argument that is no option is a
 * UsageError naming it, and the command exits 2. parseArgs' own strict mode
 * would also refuse a value that begins with one dash (`--seed -1`, which the
 * command should name as a bad seed, not a missing one); so parseArgs
 * splits the arguments into tokens against the table, and the checks are
 * made here on those tokens, in the order they were given.
 */
import { parseArgs } from 'node:util';
import { DurationError, parseDuration } from './duration';

/** A mistake on the command line: the command prints it with its usage and exits 2. */
export class UsageError extends Error {}

export interface OptionSpec {
  /** 'string' options take a value (`--flag value` or `--flag=value`); 'boolean' ones none */
  type: 'string' | 'boolean';
  /** a one-letter spelling (`-h`) */
  short?: string;
}

export type OptionTable = Record<string, OptionSpec>;

/** What was given: each string option's (last) value, each boolean option that was given as true. */
export type OptionValues<T extends OptionTable> = { [K in keyof T]?: T[K]['type'] extends 'string' ? string : true };

/** `-h`/`--help`, which every command takes. */
const HELP: OptionTable = { help: { type: 'boolean', short: 'h' } };

/**
 * Reads `argv` against `table` (help is always in it). Returns 'help' when
 * -h or --help comes before any mistake, otherwise the options given.
 */
export function parseOptions<T extends OptionTable>(argv: string[], table: T): OptionValues<T> | 'help' {
  const r = parseCommandLine(argv, table);
  return r === 'help' ? r : r.options;
}

/**
 * parseOptions for a command that also takes arguments that are not options
 * (`nfscope remove-testbed ID`): at most `maxPositionals` of them, in order;
 * one more is an unknown argument.
 */
export function parseCommandLine<T extends OptionTable>(argv: string[], table: T, maxPositionals = 0): { options: OptionValues<T>; positionals: string[] } | 'help' {
  const options: OptionTable = { ...HELP, ...table };
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') {
      if (positionals.length >= maxPositionals) throw new UsageError(`unknown argument ${JSON.stringify(t.value)}`);
      positionals.push(t.value);
      continue;
    }
    if (t.kind === 'option-terminator') throw new UsageError('unknown argument "--"');
    const spec = Object.hasOwn(options, t.name) ? options[t.name] : undefined;
    if (spec === undefined) throw new UsageError(`unknown argument ${JSON.stringify(t.rawName)}`);
    const flag = `--${t.name}`;
    if (spec.type === 'boolean') {
      if (t.value !== undefined) throw new UsageError(`${flag} takes no value`);
      if (t.name === 'help') return 'help';
      values[t.name] = true;
    } else {
      // A flag is never the previous flag's value: `--config --check-config` lacks the config.
      if (t.value === undefined || t.value === '' || (!t.inlineValue && t.value.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
      values[t.name] = t.value;
    }
  }
  return { options: values as OptionValues<T>, positionals };
}

/** A duration flag's value in milliseconds (duration.ts), within [minMs, maxMs]; a UsageError names the flag. */
export function durationOption(text: string, flag: string, minMs: number, maxMs: number): number {
  try {
    return parseDuration(text, flag, minMs, maxMs);
  } catch (e) {
    if (e instanceof DurationError) throw new UsageError(e.message);
    throw e;
  }
}
