/**
 * Kernel function names of code addresses, from /proc/kallsyms: for the
 * `location` of drops whose reason is unspecified. Each address is looked up
 * once (a pass over the file for every batch of new addresses) and cached;
 * the number of distinct names handed out is capped, so labels stay bounded.
 */
import * as fs from 'fs';

/** A function further than this from the nearest symbol below it is not named (the address is outside any symbol we know). */
const MAX_SYMBOL_SPAN = 1n << 20n;

/**
 * For each address, the name of the nearest text symbol at or below it, in
 * one pass over a kallsyms-format file. Addresses all zero (kptr_restrict)
 * name nothing; `hidden` says so.
 */
export function lookupSymbols(addrs: readonly bigint[], file = '/proc/kallsyms'): { names: Map<bigint, string>; hidden: boolean } {
  const best = new Map<bigint, { at: bigint; name: string }>();
  let hidden = true;
  let rest = '';
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      const text = rest + buf.toString('latin1', 0, n);
      const lines = text.split('\n');
      rest = n === 0 ? '' : lines.pop()!;
      for (const line of lines) {
        // "ffffffff81234560 T tcp_v4_rcv" or "ffffffffc0a01000 t foo\t[module]"
        const sp1 = line.indexOf(' ');
        if (sp1 <= 0 || line.length < sp1 + 4) continue;
        const type = line[sp1 + 1];
        if (type !== 't' && type !== 'T' && type !== 'w' && type !== 'W') continue;
        const at = BigInt(`0x${line.slice(0, sp1)}`);
        if (at === 0n) continue;
        hidden = false;
        // The padding before each function (CONFIG_CALL_PADDING) holds no code a packet is freed from.
        if (line.startsWith('__pfx_', sp1 + 3)) continue;
        for (const a of addrs) {
          if (at > a || a - at > MAX_SYMBOL_SPAN) continue;
          const b = best.get(a);
          if (!b || at > b.at) {
            const end = line.indexOf('\t', sp1 + 3);
            best.set(a, { at, name: line.slice(sp1 + 3, end < 0 ? undefined : end) });
          }
        }
      }
      if (n === 0) break;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { names: new Map([...best].map(([a, b]) => [a, b.name])), hidden };
}

/** Names of drop locations, looked up once each, at most `maxNames` distinct names. */
export class LocationNames {
  private readonly byAddr = new Map<bigint, string | null>();
  private readonly names = new Set<string>();
  private warnedHidden = false;
  private warnedCap = false;
  private failed = false;

  constructor(
    private readonly log: (msg: string) => void,
    readonly maxNames = 64,
    private readonly file = '/proc/kallsyms',
  ) {}

  /** Looks up the addresses not seen before (one pass over the file for all of them). */
  learn(addrs: Iterable<bigint>): void {
    const fresh = [...new Set(addrs)].filter((a) => a !== 0n && !this.byAddr.has(a));
    if (fresh.length === 0 || this.failed) return;
    let found: Map<bigint, string>;
    try {
      const r = lookupSymbols(fresh, this.file);
      found = r.names;
      if (r.hidden && !this.warnedHidden) {
        this.warnedHidden = true;
        this.log(`${this.file} shows no addresses (kptr_restrict; reading them needs CAP_SYSLOG): drops with an unspecified reason are not named by function`);
      }
    } catch (e) {
      this.failed = true;
      this.log(`cannot read ${this.file}: ${(e as Error).message}; drops with an unspecified reason are not named by function`);
      return;
    }
    for (const a of fresh) {
      const name = found.get(a);
      if (name === undefined) {
        this.byAddr.set(a, null);
      } else if (this.names.has(name) || this.names.size < this.maxNames) {
        this.names.add(name);
        this.byAddr.set(a, name);
      } else {
        this.byAddr.set(a, null);
        if (!this.warnedCap) {
          this.warnedCap = true;
          this.log(`unspecified drops come from more than ${this.maxNames} kernel functions: those beyond (first ${name}) count as plain NOT_SPECIFIED`);
        }
      }
    }
  }

  /** The function's name, if the address was learnt, resolved and within the cap. */
  nameOf(addr: bigint): string | undefined {
    return this.byAddr.get(addr) ?? undefined;
  }
}
