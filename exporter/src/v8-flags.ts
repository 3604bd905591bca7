/**
 * Node and V8 settings the exporter is meant to start with (and, below, its
 * environment). They size the heap, which V8 does once, when the process
 * starts: set later (with v8.setFlagsFromString) they change nothing, so they
 * go on node's command line: the bin script's first line, the Dockerfile's
 * ENTRYPOINT, or NODE_OPTIONS.
 *
 * The exporter allocates steadily, a little each second (a read of every
 * map, the history's commit), and keeps what it keeps in the history. With
 * V8's default young generation (two semi-spaces growing to 16 MiB each) that
 * garbage alone holds 32 MiB of RSS. 4 MiB semi-spaces hold 8; 1 MiB ones
 * would hold 2 but scavenge so often that they cost about two percent of a
 * core more (bench/README.md, "History and query API", has each measured).
 */

export const SEMI_SPACE_MIB = 4;

/** The flags, as node takes them on its command line. */
export const START_FLAGS: readonly string[] = [`--max-semi-space-size=${SEMI_SPACE_MIB}`];

/**
 * The environment the exporter is meant to start with, read by glibc as the
 * process starts. glibc gives every thread that allocates a malloc arena of
 * its own (up to eight per core), and each arena keeps its free pages
 * resident: node's helper threads (V8's, libuv's pool) held 15 MiB of RSS in
 * four arenas at 200 NF pairs (bench/README.md). The exporter's C heap is
 * small and seldom used by two threads at once, so one arena does. Set later
 * (mallopt from the exporter) it no longer changes the arenas the threads
 * already have, so it goes where the flags go: the bin script's first line
 * and the Dockerfile.
 */
export const START_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1' };

/** Start settings the environment lacks (any value counts as given), as NAME=VALUE. */
export function missingStartEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.entries(START_ENV)
    .filter(([k]) => env[k] === undefined)
    .map(([k, v]) => `${k}=${v}`);
}

/** Start flags neither the command line nor NODE_OPTIONS gives (any value of the same flag counts as given). */
export function missingStartFlags(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((a) => a.split('=')[0].replace(/_/g, '-'));
  return START_FLAGS.filter((f) => !given.includes(f.split('=')[0]));
}
