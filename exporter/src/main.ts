/**
 * `nfscope exporter` (also started as nfscope-exporter): loads the eBPF
 * programs, attaches them to the configured interfaces, reads their maps every
 * second and serves /metrics and the JSON API. `nfscope check-config` and
 * `nfscope remove-datapath` are its --check-config and --remove-datapath.
 */
import * as fs from 'fs';
import { parseOptions, UsageError } from '@nfscope/cli';
import type { Server } from 'http';
import { createServer as createHttpsServer } from 'https';
import { Collector, VERSION } from './collector';
import { ConfigError, DEFAULT_PIN_DIR, loadConfig } from './config';
import { Datapath } from './datapath';
import { checkBpffs, removeDatapath } from './pinned';
import { releaseFreeMemory } from './kernel/bpf';
import { FULL_GC_EVERY_S, fullGc } from './heap';
import { preflight } from './preflight';
import { missingStartEnv, missingStartFlags } from './v8-flags';
import { createApp } from './server';
import { HistoryFeed } from './history/feed';
import { HistoryStore } from './history/store';
import { loadHistory, saveHistory, StateFileError } from './history/state';
import { DropClassifier, unclassifiedReasons } from './drop-class';

/** What the exporter's log lines begin with, however it was started. */
const PROG = 'nfscope-exporter';
export const DEFAULT_LISTEN = '0.0.0.0:9810';
/** Seconds between hand-backs of the C heap's free pages. */
const RELEASE_EVERY_TICKS = 10;

/** The exporter's usage, for the name it was started as (`nfscope exporter` or `nfscope-exporter`). */
export function usage(prog = PROG): string {
  return `usage: ${prog} --config FILE [--listen HOST:PORT] [--check-config] [--detach-on-exit]
       ${prog} --remove-datapath [--config FILE | --pin-dir DIR]

Measures latency and packet drops between 5G network functions from the
kernel and serves them as Prometheus metrics and a JSON API.

  --config FILE        YAML configuration (NFs, their addresses, interfaces)
  --listen HOST:PORT   address of the HTTP server (default ${DEFAULT_LISTEN})
  --check-config       validate the configuration and exit (as
                       "nfscope check-config --config FILE")
  --detach-on-exit     SIGTERM/SIGINT detach and remove the datapath (as
                       datapath.on_exit: detach); by default it is left
                       running in datapath.pin_dir for the next exporter
  --remove-datapath    detach and remove the datapath pinned in pin_dir
                       (the config's datapath.pin_dir, --pin-dir DIR, or
                       ${DEFAULT_PIN_DIR}) and exit: what an uninstall runs
                       (as "nfscope remove-datapath")
  --pin-dir DIR        with --remove-datapath: the directory to remove
  --version            print the version and exit
  -h, --help           show this help

Needs root (or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN) and a kernel with BTF.
The programs, links and maps are pinned in datapath.pin_dir: they keep
counting while no exporter runs (a restart, an upgrade, SIGKILL, OOM), and
the next exporter adopts them. SIGTERM or SIGINT leave them there and exit,
unless datapath.on_exit is detach or --detach-on-exit is given.`;
}

const CHECK_USAGE = `usage: nfscope check-config --config FILE

Validates an exporter configuration (every problem with its file, path and
value) and exits: 0 when it is valid, 2 when not. Needs no root and attaches
nothing. The same as "nfscope exporter --config FILE --check-config".

  --config FILE        the YAML configuration
  -h, --help           show this help`;

const REMOVE_USAGE = `usage: nfscope remove-datapath [--config FILE | --pin-dir DIR]

Detaches and removes the datapath an exporter left running in a bpf file
system (links, tc filters, maps), and exits: what an uninstall runs on each
node. The directory is the config's datapath.pin_dir, DIR, or by default
${DEFAULT_PIN_DIR}. The same as "nfscope exporter --remove-datapath".

  --config FILE        take the directory from this configuration
  --pin-dir DIR        the directory to remove (an absolute path)
  -h, --help           show this help`;

export interface Args {
  config: string;
  listen: { host: string; port: number };
  checkConfig: boolean;
  detachOnExit: boolean;
}

export interface RemoveArgs {
  remove: true;
  config?: string;
  pinDir?: string;
}

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new UsageError(`--listen: ${JSON.stringify(text)} is not HOST:PORT (examples: 0.0.0.0:9810, 127.0.0.1:9810, [::]:9810)`);
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

const OPTIONS = {
  config: { type: 'string' },
  listen: { type: 'string' },
  'check-config': { type: 'boolean' },
  'detach-on-exit': { type: 'boolean' },
  'remove-datapath': { type: 'boolean' },
  'pin-dir': { type: 'string' },
  version: { type: 'boolean' },
} as const;

function checkPinDir(pinDir: string | undefined): string | undefined {
  if (pinDir !== undefined && !pinDir.startsWith('/')) throw new UsageError(`--pin-dir: ${JSON.stringify(pinDir)} is not an absolute path`);
  return pinDir;
}

/** The exporter's arguments (`nfscope exporter …`, `nfscope-exporter …`). */
export function parseArgs(argv: string[]): Args | RemoveArgs | 'help' | 'version' {
  const o = parseOptions(argv, OPTIONS);
  if (o === 'help') return 'help';
  if (o.version) return 'version';
  const pinDir = checkPinDir(o['pin-dir']);
  const config = o.config;
  if (o['remove-datapath']) {
    if (config && pinDir) throw new UsageError('--remove-datapath takes --config FILE or --pin-dir DIR, not both');
    return { remove: true, config, pinDir };
  }
  if (pinDir) throw new UsageError('--pin-dir goes with --remove-datapath (the exporter reads datapath.pin_dir from its config)');
  if (!config) throw new UsageError('--config FILE is required');
  return { config, listen: parseListen(o.listen ?? DEFAULT_LISTEN), checkConfig: o['check-config'] === true, detachOnExit: o['detach-on-exit'] === true };
}

/** `nfscope check-config …`: the exporter's arguments for --check-config. */
export function parseCheckConfigArgs(argv: string[]): Args | 'help' {
  const o = parseOptions(argv, { config: OPTIONS.config });
  if (o === 'help') return 'help';
  if (!o.config) throw new UsageError('--config FILE is required');
  return { config: o.config, listen: parseListen(DEFAULT_LISTEN), checkConfig: true, detachOnExit: false };
}

/** `nfscope remove-datapath …`: the exporter's arguments for --remove-datapath. */
export function parseRemoveArgs(argv: string[]): RemoveArgs | 'help' {
  const o = parseOptions(argv, { config: OPTIONS.config, 'pin-dir': OPTIONS['pin-dir'] });
  if (o === 'help') return 'help';
  const pinDir = checkPinDir(o['pin-dir']);
  if (o.config && pinDir) throw new UsageError('--config FILE or --pin-dir DIR, not both');
  return { remove: true, config: o.config, pinDir };
}

function log(msg: string): void {
  process.stderr.write(`${PROG}: ${msg}\n`);
}

/** --remove-datapath: what an uninstall runs on each node. */
function removeCommand(args: RemoveArgs, prog: string): void {
  let dir = args.pinDir ?? DEFAULT_PIN_DIR;
  if (args.config) {
    try {
      dir = loadConfig(args.config).datapath.pinDir;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      process.stderr.write(`${prog}: invalid configuration:\n${e.message}\n`);
      process.exit(2);
    }
  }
  try {
    if (!fs.existsSync(dir)) {
      process.stdout.write(`no datapath pinned in ${dir}: nothing to remove\n`);
      return;
    }
    checkBpffs(dir);
    const r = removeDatapath(dir);
    process.stdout.write(`removed the datapath pinned in ${dir}: ${r.links} links, ${r.filters} tc filters, ${r.maps} maps\n`);
  } catch (e) {
    process.stderr.write(`${prog}: cannot remove the datapath in ${dir}: ${(e as Error).message}\n`);
    process.exit(1);
  }
}

/** `nfscope exporter …` (and `nfscope-exporter …`): returns once it serves, or exits. */
export function main(argv: string[], prog = PROG): Promise<void> {
  return run(argv, prog, parseArgs, usage(prog));
}
export const exporterMain = main;

/** `nfscope check-config --config FILE`. */
export function checkConfigMain(argv: string[], prog = 'nfscope check-config'): Promise<void> {
  return run(argv, prog, parseCheckConfigArgs, CHECK_USAGE);
}

/** `nfscope remove-datapath [--config FILE | --pin-dir DIR]`. */
export function removeDatapathMain(argv: string[], prog = 'nfscope remove-datapath'): Promise<void> {
  return run(argv, prog, parseRemoveArgs, REMOVE_USAGE);
}

async function run(argv: string[], prog: string, parse: (argv: string[]) => Args | RemoveArgs | 'help' | 'version', help: string): Promise<void> {
  let args: Args;
  try {
    const parsed = parse(argv);
    if (parsed === 'help') return void process.stdout.write(`${help}\n`);
    if (parsed === 'version') return void process.stdout.write(`${VERSION}\n`);
    if ('remove' in parsed) return removeCommand(parsed, prog);
    args = parsed;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${prog}: ${e.message}\n${help}\n`);
    process.exit(2);
  }

  let config;
  try {
    config = loadConfig(args.config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`${prog}: invalid configuration:\n${e.message}\n`);
    process.exit(2);
  }
  if (args.checkConfig) {
    process.stdout.write(`${args.config}: ok (${config.nfs.length} NFs, interfaces ${config.interfaces.join(', ')})\n`);
    return;
  }

  const problems = preflight();
  if (problems.length > 0) {
    for (const p of problems) log(p);
    process.exit(1);
  }

  // The saved history first: a file that cannot be read stops the start before anything is attached.
  const store = new HistoryStore(config.history ?? {});
  const classifier = new DropClassifier(config.drops);
  const stateFile = config.history?.stateFile;
  if (stateFile) {
    const t0 = Date.now();
    try {
      const r = loadHistory(store, stateFile, { dropClass: (reason) => classifier.classOf(reason) });
      if (!r) log(`history: no saved history at ${stateFile} yet; starting empty`);
      else {
        const held = store
          .stats()
          .tiers.map((t) => `${t.held_s} s at ${t.resolution_s} s`)
          .join(', ');
        log(
          `history: restored ${r.series} series (${(r.bytes / 2 ** 20).toFixed(1)} MiB) from ${stateFile} in ${Date.now() - t0} ms, saved ${Math.max(0, Math.round(Date.now() / 1000) - r.savedAtS)} s ago; holds ${held}${r.skipped ? `; ${r.skipped} series over history.max_series left out` : ''}`,
        );
        fullGc(); // what reading the file left behind
      }
    } catch (e) {
      if (!(e instanceof StateFileError)) throw e;
      log(`${e.message} (remove it to start with an empty history)`);
      process.exit(1);
    }
  }

  let datapath: Datapath;
  const t0 = Date.now();
  try {
    datapath = Datapath.start(config, log);
  } catch (e) {
    log(`cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
  const detachOnExit = args.detachOnExit || config.datapath.onExit === 'detach';
  log(
    `${datapath.origin === 'adopted' ? 'adopted the running datapath' : 'loaded a new datapath'} in ${datapath.pinDir} (${Date.now() - t0} ms); ` +
      (detachOnExit ? 'SIGTERM detaches and removes it' : 'it stays running when the exporter stops (remove it with nfscope remove-datapath)'),
  );
  const unclassified = unclassifiedReasons(datapath.reasons.enumerators);
  if (unclassified.length) log(`drop reasons of this kernel that nfscope's table does not know, counted as loss: ${unclassified.join(', ')} (drops.benign_reasons in the config reclassifies them)`);
  const unknownOverrides = classifier.unknownOverrides(datapath.reasons.names.values());
  if (unknownOverrides.length) log(`drops: ${unknownOverrides.join(', ')} in the config ${unknownOverrides.length === 1 ? 'is not a drop reason' : 'are not drop reasons'} of this kernel`);
  const collector = new Collector(datapath, config.node, config.requestTimeoutSeconds, config.durationBuckets, classifier);
  const feed = new HistoryFeed(store, config);
  collector.history = feed;
  let server: Server | undefined;
  // Declared before stop(), which can run before the interval is set (an exception in the first tick).
  // eslint-disable-next-line prefer-const -- a const there would be read before its declaration
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;
  let listening = false;

  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    if (timer) clearInterval(timer);
    server?.closeAllConnections();
    server?.close();
    // A datapath that ran, or that an earlier exporter left, stays for the next one even
    // after an error here; one this start made and never served is removed.
    const leaving = !detachOnExit && (code === 0 || listening || datapath.origin === 'adopted');
    if (leaving) datapath.leave();
    else datapath.close();
    if (stateFile) {
      const t0 = Date.now();
      try {
        const r = saveHistory(store, stateFile);
        log(`history: saved ${r.series} series (${(r.bytes / 2 ** 20).toFixed(1)} MiB) to ${stateFile} in ${Date.now() - t0} ms`);
      } catch (e) {
        log(`history: cannot save to ${stateFile}: ${(e as Error).message}`);
      }
    }
    log(leaving ? `left the datapath running in ${datapath.pinDir}; bye` : code === 0 ? 'detached; bye' : 'detached after an error');
    process.exit(code);
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
  process.on('uncaughtException', (e) => {
    log(`fatal: ${e.stack ?? e.message}`);
    stop(1);
  });

  let ticks = 0;
  const tick = () => {
    try {
      datapath.rescanInterfaces();
      collector.tick();
    } catch (e) {
      log(`reading the kernel maps failed: ${(e as Error).message}`);
    }
    // Now and then the V8 heap's garbage is collected in full (heap.ts), and the C heap's free
    // pages (buffers of every size are freed each second: map reads, query answers) go back to
    // the kernel (bench/README.md has what each saves).
    ticks++;
    if (ticks % FULL_GC_EVERY_S === 0) fullGc();
    if (ticks % RELEASE_EVERY_TICKS === 0) releaseFreeMemory();
  };
  tick();
  timer = setInterval(tick, 1000);

  const token = config.api?.token;
  const app = createApp({
    config,
    datapath,
    collector,
    token,
    query: { store, node: config.node, hosted: feed.hosted, peers: { peers: config.peers, timeoutMs: (config.peersTimeoutSeconds ?? 2) * 1000, token } },
  });
  const tls = config.api?.tls;
  server = tls ? createHttpsServer({ cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) }, app) : undefined;
  server = server ? server.listen(args.listen.port, args.listen.host) : app.listen(args.listen.port, args.listen.host);
  server.on('listening', () => {
    listening = true;
    const a = args.listen;
    log(
      `node ${config.node}: ${config.nfs.length} NFs, ${datapath.attachedInterfaces().length} interfaces attached; listening on ${tls ? 'https' : 'http'}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}${token ? ' (bearer token required)' : ''}`,
    );
    const unset = [...missingStartFlags(), ...missingStartEnv()];
    if (unset.length > 0) log(`started without ${unset.join(' ')}: it works, with more memory (exporter/src/v8-flags.ts)`);
  });
  server.on('error', (e) => {
    log(`cannot listen on ${args.listen.host}:${args.listen.port}: ${e.message}`);
    stop(1);
  });
}
