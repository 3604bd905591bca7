/**
 * Interface name patterns (`interfaces:` in the configuration): shell-style
 * globs with `*` (any run of characters, also none), `?` (any one character),
 * `[abc]`, `[a-z]` and `[!x]` (or `[^x]`); a "]" right after "[" or "[!" is a
 * member of the set, and a "[" without a closing "]" is an ordinary
 * character. Every other character stands for itself.
 *
 * The pattern is read here into those pieces and written out again, every
 * character escaped, as a minimatch pattern; minimatch compiles and matches
 * it. So minimatch's own extensions (braces, extglobs, "!" negation, POSIX
 * classes, backslash escapes) never apply. "/" is minimatch's path separator
 * and matches nothing here; it is in no interface name, and the configuration
 * refuses it in patterns.
 */
import { minimatch } from 'minimatch';

type GlobToken =
  | { kind: 'char'; char: string }
  | { kind: 'any' } // ?
  | { kind: 'star' } // *
  | { kind: 'set'; negated: boolean; ranges: Array<[string, string]> }; // [...]

export interface Glob {
  tokens: GlobToken[];
  /** A "[" had no closing "]"; it is then matched literally. */
  unclosedBracket: boolean;
}

export function parseGlob(pattern: string): Glob {
  const tokens: GlobToken[] = [];
  let unclosedBracket = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      tokens.push({ kind: 'star' });
    } else if (c === '?') {
      tokens.push({ kind: 'any' });
    } else if (c === '[') {
      const set = parseBracket(pattern, i);
      if (set === undefined) {
        unclosedBracket = true;
        tokens.push({ kind: 'char', char: c });
      } else {
        tokens.push(set.token);
        i = set.end;
      }
    } else {
      tokens.push({ kind: 'char', char: c });
    }
  }
  return { tokens, unclosedBracket };
}

/** Parses the bracket expression starting at `pattern[start]` ("["); `end` is the index of its "]". */
function parseBracket(pattern: string, start: number): { token: GlobToken; end: number } | undefined {
  let i = start + 1;
  const negated = pattern[i] === '!' || pattern[i] === '^';
  if (negated) i++;
  const ranges: Array<[string, string]> = [];
  const first = i;
  while (i < pattern.length && (pattern[i] !== ']' || i === first)) {
    if (pattern[i + 1] === '-' && i + 2 < pattern.length && pattern[i + 2] !== ']') {
      ranges.push([pattern[i], pattern[i + 2]]);
      i += 3;
    } else {
      ranges.push([pattern[i], pattern[i]]);
      i++;
    }
  }
  if (i >= pattern.length) return undefined;
  return { token: { kind: 'set', negated, ranges }, end: i };
}

/** The fewest characters a name matching `glob` has. */
export function minLength(glob: Glob): number {
  return glob.tokens.filter((t) => t.kind !== 'star').length;
}

/**
 * A character, literal to minimatch: outside a set as a set of its own
 * (minimatch 10 drops the backslash of an escaped "|" after a "?"), inside a
 * set escaped with a backslash.
 */
const alone = (c: string): string => (/[A-Za-z0-9]/.test(c) ? c : `[\\${c}]`);
const escape = (c: string): string => (/[A-Za-z0-9]/.test(c) ? c : `\\${c}`);

/**
 * The ranges of a set as minimatch reads them: a reversed range ("9-0") has
 * no member, and "/" (minimatch's path separator, in no interface name) is
 * left out, so that a range around it ("#-0") keeps its other members.
 */
function setMembers(ranges: Array<[string, string]>): string[] {
  const out: string[] = [];
  const add = (lo: string, hi: string): void => {
    if (lo > hi) return;
    out.push(lo === hi ? escape(lo) : `${escape(lo)}-${escape(hi)}`);
  };
  for (const [lo, hi] of ranges) {
    if (lo <= '/' && '/' <= hi) {
      add(lo, '.');
      add('0', hi);
    } else add(lo, hi);
  }
  return out;
}

/** The minimatch pattern of `glob`; undefined if it matches nothing (a set without members). */
function minimatchPattern(glob: Glob): string | undefined {
  let out = '';
  for (const t of glob.tokens) {
    if (t.kind === 'star') out += '*';
    else if (t.kind === 'any') out += '?';
    else if (t.kind === 'char') out += alone(t.char);
    else {
      const members = setMembers(t.ranges);
      if (members.length === 0 && !t.negated) return undefined;
      out += members.length === 0 ? '?' : `[${t.negated ? '!' : ''}${members.join('')}]`;
    }
  }
  return out;
}

const MINIMATCH_OPTIONS = { nobrace: true, noext: true, nonegate: true, nocomment: true, noglobstar: true } as const;

/** Compiled patterns; a node has a handful, checked against every interface it sees. */
const compiled = new Map<string, RegExp>();

/**
 * The pattern and the name both get a leading "n": minimatch treats a name
 * that starts with "." (and "." and "..", and the empty name) specially, as
 * a path would be; an interface name is no path.
 */
function matcher(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (re === undefined) {
    const source = minimatchPattern(parseGlob(pattern));
    const made = source === undefined ? /(?!)/ : minimatch.makeRe(`n${source}`, MINIMATCH_OPTIONS);
    if (made === false) throw new Error(`cannot compile the interface pattern ${JSON.stringify(pattern)}`);
    re = made;
    compiled.set(pattern, re);
  }
  return re;
}

/** Whether `ifname` matches one of the patterns. */
export function matchInterface(patterns: string[], ifname: string): boolean {
  return patterns.some((pattern) => matcher(pattern).test(`n${ifname}`));
}
