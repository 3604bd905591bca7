/**
 * `nfscope <command>`: one command for everything nfscope runs. Each
 * subcommand lives in the package a user installs for it, and that package
 * is loaded only when its subcommand runs: the viewer (`top`) needs only
 * @nfscope/top, the exporter only @nfscope/exporter, the testbed
 * @nfscope/sim. A subcommand whose package is not installed says which one to
 * install.
 */

/** A subcommand's entry: its arguments (after the subcommand) → exit status; undefined when it keeps running (the exporter). */
export type Entry = (argv: string[], prog: string) => Promise<number | void>;

export interface Command {
  name: string;
  /** one line for `nfscope --help` */
  summary: string;
  /** the package a user installs for it */
  pkg: string;
  /** the module of that package that has the entry, and the entry's name */
  module: string;
  entry: string;
}

export const COMMANDS: readonly Command[] = [
  {
    name: 'exporter',
    pkg: '@nfscope/exporter',
    module: '@nfscope/exporter/command',
    entry: 'exporterMain',
    summary: 'load the eBPF datapath, measure NF-to-NF latency and drops, serve /metrics and the API',
  },
  {
    name: 'check-config',
    pkg: '@nfscope/exporter',
    module: '@nfscope/exporter/command',
    entry: 'checkConfigMain',
    summary: "validate an exporter configuration and exit (the exporter's --check-config)",
  },
  {
    name: 'remove-datapath',
    pkg: '@nfscope/exporter',
    module: '@nfscope/exporter/command',
    entry: 'removeDatapathMain',
    summary: "detach and remove a pinned datapath, what an uninstall runs (the exporter's --remove-datapath)",
  },
  {
    name: 'top',
    pkg: '@nfscope/top',
    module: '@nfscope/top',
    entry: 'topMain',
    summary: 'live view of an exporter (or its cluster): NF pairs, latency, rejections, timeouts and drop reasons, every second',
  },
  {
    name: 'testbed',
    pkg: '@nfscope/sim',
    module: '@nfscope/sim/command',
    entry: 'testbedMain',
    summary: 'create the 5G network-namespace testbed, run simulated 5G traffic (N2, N3/N9, N4, SBI) between its NFs and record every transaction',
  },
  { name: 'remove-testbed', pkg: '@nfscope/sim', module: '@nfscope/sim/command', entry: 'removeTestbedMain', summary: "remove a testbed left up by testbed --keep (the testbed's --down)" },
];

/** The column where the summaries of `nfscope --help` begin; a longer name has its summary on the next line. */
const SUMMARY_COLUMN = 13;

/** `nfscope --help`: the subcommands, each with its summary wrapped under 80 columns. */
export function usage(): string {
  const lines = ['usage: nfscope <command> [options]', '', 'Commands:'];
  const indent = ' '.repeat(SUMMARY_COLUMN);
  for (const c of COMMANDS) {
    let line = `  ${c.name}`;
    if (line.length < SUMMARY_COLUMN - 1) line = line.padEnd(SUMMARY_COLUMN);
    else {
      lines.push(line);
      line = indent;
    }
    for (const w of c.summary.split(' ')) {
      if (line.length > SUMMARY_COLUMN && line.length + 1 + w.length > 78) {
        lines.push(line);
        line = indent + w;
      } else line += (line.length > SUMMARY_COLUMN ? ' ' : '') + w;
    }
    lines.push(line);
  }
  lines.push('', 'Run "nfscope <command> --help" (or "nfscope help <command>") for the options of a command.');
  lines.push('nfscope-exporter is "nfscope exporter" under its older name.');
  return lines.join('\n');
}

/** What a package that is not installed (as opposed to one that fails to load) looks like to require(). */
function notInstalled(e: unknown, pkg: string): boolean {
  const err = e as NodeJS.ErrnoException;
  return err?.code === 'MODULE_NOT_FOUND' && err.message.split('\n')[0].includes(`'${pkg}`);
}

/** Loads a subcommand's entry from its package; throws an Error saying which package to install when it is missing. */
export function loadEntry(c: Command, load: (module: string) => unknown = require): Entry {
  let mod: Record<string, unknown>;
  try {
    mod = load(c.module) as Record<string, unknown>;
  } catch (e) {
    if (notInstalled(e, c.pkg)) throw new MissingPackage(c);
    throw e;
  }
  const entry = mod[c.entry];
  if (typeof entry !== 'function') throw new Error(`${c.module} has no ${c.entry}(): ${c.pkg} does not match this @nfscope/cli`);
  return entry as Entry;
}

export class MissingPackage extends Error {
  constructor(readonly command: Command) {
    super(`"nfscope ${command.name}" needs the package ${command.pkg}, which is not installed: npm install ${command.pkg}`);
  }
}

function version(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../package.json') as { version: string }).version;
}

/**
 * `nfscope …` (argv without node and the script): runs the subcommand and
 * returns its exit status (undefined for one that goes on running).
 */
export async function main(argv: string[], load?: (module: string) => unknown): Promise<number | void> {
  let [name, ...rest] = argv;
  switch (name) {
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(`${usage()}\n`);
      return 0;
    case '--version':
      process.stdout.write(`${version()}\n`);
      return 0;
    case 'help':
      if (rest.length === 0) {
        process.stdout.write(`${usage()}\n`);
        return 0;
      }
      [name, rest] = [rest[0], ['--help']];
      break;
  }
  const c = COMMANDS.find((x) => x.name === name);
  if (!c) {
    process.stderr.write(`nfscope: unknown command ${JSON.stringify(name)}\n${usage()}\n`);
    return 2;
  }
  let entry: Entry;
  try {
    entry = loadEntry(c, load);
  } catch (e) {
    if (!(e instanceof MissingPackage)) throw e;
    process.stderr.write(`nfscope: ${e.message}\n`);
    return 1;
  }
  return entry(rest, `nfscope ${c.name}`);
}
