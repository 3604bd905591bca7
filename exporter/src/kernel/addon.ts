/**
 * The project's one native module (exporter/native/binding.cc, built into
 * build/Release/nfscope_bpf.node), loaded on first use so that modules that
 * import this one load without it. bpf.ts types and wraps its libbpf calls,
 * raw-socket.ts its raw sockets.
 */
import * as path from 'path';

const ADDON_PATH = path.resolve(__dirname, '../../build/Release/nfscope_bpf.node');
let addon: unknown;

/** The native module; T is the part of it that the caller uses. */
export function loadAddon<T>(): T {
  if (addon === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      addon = require(ADDON_PATH) as unknown;
    } catch (e) {
      throw new Error(`cannot load the native libbpf binding at ${ADDON_PATH}: ${(e as Error).message}\n` + 'build it with `npm run build` (needs libbpf-dev; see scripts/setup.sh)');
    }
  }
  return addon as T;
}
