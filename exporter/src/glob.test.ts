import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { matchInterface, minLength, parseGlob } from './glob';

/** What docs/configuration.md promises for `interfaces`, one example pattern per construct. */
const DOCUMENTED: [construct: string, pattern: string, matches: string[], misses: string[]][] = [
  ['*', 'nfs-*', ['nfs-smf1', 'nfs-', 'nfs-a-b'], ['nfs', 'xnfs-1', 'NFS-1']],
  ['?', 'eth?', ['eth0', 'ethx'], ['eth', 'eth10']],
  ['[abc]', 'veth[abc]', ['vetha', 'vethc'], ['vethd', 'veth', 'vethab']],
  ['[a-z]', 'wl[a-z]0', ['wla0', 'wlz0'], ['wlA0', 'wl00', 'wl-0']],
  ['[!x]', 'eth[!0]', ['eth1', 'etha'], ['eth0', 'eth']],
  ['[^x]', 'eth[^0]', ['eth1'], ['eth0']],
];

describe('matchInterface: the constructs docs/configuration.md shows', () => {
  test.each(DOCUMENTED)('%s (%s)', (_construct, pattern, matches, misses) => {
    for (const name of matches) expect([name, matchInterface([pattern], name)]).toEqual([name, true]);
    for (const name of misses) expect([name, matchInterface([pattern], name)]).toEqual([name, false]);
  });

  test('every construct the docs list is tested here', () => {
    const doc = readFileSync(join(__dirname, '../../docs/configuration.md'), 'utf8');
    const row = doc.split('\n').find((line) => line.startsWith('| `interfaces` |'));
    expect(row).toBeDefined();
    const listed = /shell-style globs: (.*?);/.exec(row!)?.[1] ?? '';
    const constructs = [...listed.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    expect(constructs).toEqual(['*', '?', '[abc]', '[a-z]', '[!x]', '[^x]']);
    expect(constructs.filter((c) => !DOCUMENTED.some(([d]) => d === c))).toEqual([]);
  });

  test("the example file's patterns, and a quoted leading star", () => {
    expect(['nfs-upf1', 'eth0', 'eth1'].map((n) => matchInterface(['nfs-*', 'eth0'], n))).toEqual([true, true, false]);
    expect(matchInterface(['*-veth'], 'upf-veth')).toBe(true);
    expect(matchInterface(['*-veth'], 'upf-veth0')).toBe(false);
  });
});

describe('matchInterface: every other character stands for itself', () => {
  test.each([
    ['a{b,c}', 'a{b,c}', 'ab'], // no braces
    ['+(a)', '+(a)', 'a'], // no extglobs
    ['@(a|b)', '@(a|b)', 'a'],
    ['!eth0', '!eth0', 'eth1'], // no negation
    ['#eth', '#eth', ''], // no comments
    ['a\\*', 'a\\x', 'a*'], // no backslash escapes
    ['[[:digit:]]', '[]', '1'], // no POSIX classes: the set "[:digt" then "]"
    ['?|*', 'x|y', 'x'], // "|" is a character, also after "?"
    ['a.b', 'a.b', 'axb'],
  ])('%j matches %j, not %j', (pattern, yes, no) => {
    expect(matchInterface([pattern], yes)).toBe(true);
    expect(matchInterface([pattern], no)).toBe(false);
  });

  test('a reversed range has no member; a range around "/" keeps its other members', () => {
    expect(matchInterface(['eth[9-0]'], 'eth5')).toBe(false);
    expect(matchInterface(['eth[!9-0]'], 'eth5')).toBe(true);
    expect(matchInterface(['x[#-0]'], 'x+')).toBe(true);
    expect(matchInterface(['x[!#-0]'], 'x+')).toBe(false);
    expect(matchInterface(['x[!#-0]'], 'xa')).toBe(true);
  });

  test('names starting with a dot are matched like any other', () => {
    expect(matchInterface(['*'], '.x')).toBe(true);
    expect(matchInterface(['?x'], '.x')).toBe(true);
    expect(matchInterface(['*'], '..')).toBe(true);
  });
});

describe('matchInterface agrees with the shell', () => {
  // bash's `case` with extglob off is the POSIX pattern matching the docs describe.
  test('on random patterns and names', () => {
    let seed = 15;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * n);
    };
    const text = (alphabet: string, min: number, max: number): string => Array.from({ length: min + random(max - min + 1) }, () => alphabet[random(alphabet.length)]).join('');
    // names from few characters, so that patterns match some of them
    const pairs = Array.from({ length: 10000 }, () => [text('ab-]!^**??[[]{|.#', 0, 7), text('ab-]!^|.', 1, 5)]);
    const r = spawnSync('bash', ['-c', 'shopt -u extglob; while IFS= read -r p && IFS= read -r n; do case "$n" in $p) echo 1;; *) echo 0;; esac; done'], {
      input: pairs.map(([p, n]) => `${p}\n${n}\n`).join(''),
      encoding: 'utf8',
      env: { LC_ALL: 'C', PATH: process.env.PATH },
    });
    expect(r.status).toBe(0);
    const shell = r.stdout.trim().split('\n');
    expect(shell).toHaveLength(pairs.length);
    expect(shell.filter((x) => x === '1').length).toBeGreaterThan(300); // the sample has matches (384 with this seed)
    const disagree = pairs.filter(([p, n], i) => matchInterface([p], n) !== (shell[i] === '1'));
    expect(disagree).toEqual([]);
  });
});

describe('parseGlob and minLength', () => {
  test.each([
    ['eth0', 4, false],
    ['nfs-*', 4, false],
    ['*a**?', 2, false],
    ['[abc][!x-z]?', 3, false],
    ['x[]]', 2, false],
    ['eth[0-9', 7, true],
  ])('%j needs %d characters (unclosed bracket: %s)', (pattern, length, unclosed) => {
    const glob = parseGlob(pattern);
    expect(minLength(glob)).toBe(length);
    expect(glob.unclosedBracket).toBe(unclosed);
  });
});
