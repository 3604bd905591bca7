/**
 * V8 settings the exporter starts with (bin/nfscope-exporter.js applies them
 * before anything else is loaded). The exporter allocates steadily, a little
 * each second (a read of every map, the history's commit), and keeps what it
 * keeps in the history; with V8's default young generation (semi-spaces
 * growing to 16 MiB, three of them committed) that garbage alone holds tens
 * of MiB of RSS. A 1 MiB semi-space costs more frequent, shorter scavenges
 * (bench/README.md, "History and query API", has both measured).
 */
import * as v8 from 'v8';

export const SEMI_SPACE_MIB = 1;

/** Sets the flags unless the command line or NODE_OPTIONS already sets them; returns the flags set. */
export function applyV8Flags(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)];
  const set: string[] = [];
  if (!given.some((a) => /^--max[-_]semi[-_]space[-_]size/.test(a))) set.push(`--max-semi-space-size=${SEMI_SPACE_MIB}`);
  for (const f of set) v8.setFlagsFromString(f);
  return set;
}
