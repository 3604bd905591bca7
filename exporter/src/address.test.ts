import { spawnSync } from 'node:child_process';
import { isIP, isIPv6 } from 'node:net';
import { formatIPv6, ipBytes, parseIPv4, parseIPv6, parseIp } from './address';

/** Address-like strings, most of them near misses: groups of every kind, "::", embedded dotted quads. */
function candidates(count: number): string[] {
  let seed = 5;
  const pick = <T>(xs: T[]): T => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return xs[Math.floor((seed / 2147483648) * xs.length)];
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const groups = Array.from({ length: pick([3, 5, 6, 7, 8, 8, 8, 9]) }, () => pick(['0', '0', '1', 'ffff', 'abc', '00f0', 'FFFF', 'Db8', '12345', 'g', '']));
    let s = groups.join(':');
    if (pick([true, false])) s = s.replace(/(^|:)0(:0)*(:|$)/, '::');
    if (pick([true, false, false])) s = s.replace(/[^:]*$/, pick(['1.2.3.4', '198.18.0.1', '255.255.255.255', '01.2.3.4', '1.2.3', '256.0.0.1']));
    out.push(s, [0, 0, 0, 0].map(() => pick(['0', '1', '01', '255', '256', '99', '', '1e1'])).join('.'));
  }
  return out;
}

const CANDIDATES = candidates(20000);

describe('parseIp against Node', () => {
  test('accepts exactly what net.isIP accepts', () => {
    const accepted = CANDIDATES.filter((s) => isIP(s) !== 0);
    expect(accepted.length).toBeGreaterThan(1000);
    expect(CANDIDATES.filter((s) => (parseIp(s) !== undefined) !== (isIP(s) !== 0))).toEqual([]);
  });

  test('writes IPv6 as the URL parser serialises it (RFC 5952), IPv4-mapped ones as IPv4', () => {
    const v6 = CANDIDATES.filter((s) => isIPv6(s));
    expect(v6.length).toBeGreaterThan(500);
    const differ = v6.filter((s) => {
      const url = new URL(`http://[${s}]`).hostname.slice(1, -1);
      const ours = parseIp(s)!;
      return ours.includes('.') ? !url.startsWith('::ffff:') || ipBytes(ours)!.compare(ipBytes(url)!) !== 0 : ours !== url;
    });
    expect(differ).toEqual([]);
  });
});

describe("ipBytes against Python's ipaddress", () => {
  test('the same 16 bytes (IPv4 as ::ffff:a.b.c.d) for every address', () => {
    const valid = CANDIDATES.filter((s) => parseIp(s) !== undefined);
    const r = spawnSync(
      'python3',
      ['-c', 'import sys, ipaddress\nfor l in sys.stdin.read().split():\n a = ipaddress.ip_address(l)\n print((b"\\0" * 10 + b"\\xff\\xff" + a.packed if a.version == 4 else a.packed).hex())'],
      { input: valid.join('\n'), encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    const python = r.stdout.trim().split('\n');
    expect(python).toHaveLength(valid.length);
    expect(valid.filter((s, i) => ipBytes(s)!.toString('hex') !== python[i])).toEqual([]);
  });

  test('undefined for what is not an address', () => {
    for (const s of ['', '1.2.3', '01.2.3.4', '1::2::3', 'fe80::1%eth0', '[::1]', '::1/128']) expect(ipBytes(s)).toBeUndefined();
  });
});

describe('the pieces', () => {
  test('parseIPv4 rejects leading zeros, parseIPv6 zone IDs', () => {
    expect(parseIPv4('198.18.0.1')).toEqual([198, 18, 0, 1]);
    expect(parseIPv4('198.018.0.1')).toBeUndefined();
    expect(parseIPv6('fe80::1')).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('fe80::1%eth0')).toBeUndefined();
  });

  test('formatIPv6 compresses the first longest zero run of two or more', () => {
    expect(formatIPv6([0x2001, 0, 0, 1, 0, 0, 0, 1])).toBe('2001:0:0:1::1');
    expect(formatIPv6([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1])).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIPv6([0, 0, 0, 0, 0, 0xffff, 0xc612, 0x000a])).toBe('198.18.0.10');
  });
});
