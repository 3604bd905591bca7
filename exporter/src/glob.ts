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
 * classes, backslash escapes) never apply.
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

/** Every character literal to minimatch: a backslash escapes anything, inside sets too. */
const escape = (c: string): string => (/[A-Za-z0-9]/.test(c) ? c : `\\${c}`);

function minimatchPattern(glob: Glob): string {
  return glob.tokens
    .map((t) => {
      switch (t.kind) {
        case 'star':
          return '*';
        case 'any':
          return '?';
        case 'char':
          return escape(t.char);
        case 'set': {
          const members = t.ranges.map(([lo, hi]) => (lo === hi ? escape(lo) : `${escape(lo)}-${escape(hi)}`));
          return `[${t.negated ? '!' : ''}${members.join('')}]`;
        }
      }
    })
    .join('');
}

const MINIMATCH_OPTIONS = {
  dot: true, // "*" matches a leading "." too
  nobrace: true,
  noext: true,
  nonegate: true,
  nocomment: true,
  noglobstar: true,
  optimizationLevel: 0,
} as const;

/** Compiled patterns; a node has a handful, checked against every interface it sees. */
const compiled = new Map<string, (name: string) => boolean>();

function matcher(pattern: string): (name: string) => boolean {
  let match = compiled.get(pattern);
  if (match === undefined) {
    const glob = parseGlob(pattern);
    // minimatch never matches the empty string, where only stars (or nothing)
    // do; no interface has that name.
    const onlyStars = glob.tokens.every((t) => t.kind === 'star');
    const re = glob.tokens.length === 0 ? false : minimatch.makeRe(minimatchPattern(glob), MINIMATCH_OPTIONS);
    if (re === false && glob.tokens.length > 0) throw new Error(`cannot compile the interface pattern ${JSON.stringify(pattern)}`);
    match = (name) => (name === '' ? onlyStars : re !== false && re.test(name));
    compiled.set(pattern, match);
  }
  return match;
}

/** Whether `ifname` matches one of the patterns. */
export function matchInterface(patterns: string[], ifname: string): boolean {
  return patterns.some((pattern) => matcher(pattern)(ifname));
}
