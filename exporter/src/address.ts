/**
 * IP address literals: parsing, the canonical text form, and the 16 bytes the
 * kernel's maps key on. Used by the configuration (NF addresses, peer hosts)
 * and by the kernel layouts (kernel/layout.ts, addressBytes).
 */

/**
 * Four decimal octets. Leading zeros are rejected: some tools read "010" as
 * octal, so the address would be ambiguous.
 */
export function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

/** Eight 16-bit groups. Zone IDs ("%eth0") are not accepted. */
export function parseIPv6(s: string): number[] | undefined {
  const double = s.indexOf('::');
  if (double !== s.lastIndexOf('::')) return undefined; // at most one "::" (this also rejects ":::")
  const head = double < 0 ? s : s.slice(0, double);
  const tail = double < 0 ? '' : s.slice(double + 2);
  // Only the last part of the address may be an embedded IPv4 address.
  const headGroups = parseGroups(head, double < 0);
  const tailGroups = parseGroups(tail, true);
  if (headGroups === undefined || tailGroups === undefined) return undefined;
  if (double < 0) return headGroups.length === 8 ? headGroups : undefined;
  // "::" stands for one or more zero groups.
  const zeros = 8 - headGroups.length - tailGroups.length;
  return zeros >= 1 ? [...headGroups, ...new Array<number>(zeros).fill(0), ...tailGroups] : undefined;
}

/** Colon-separated hex groups, optionally ending in a dotted quad (two groups). */
function parseGroups(s: string, ipv4Last: boolean): number[] | undefined {
  if (s === '') return [];
  const parts = s.split(':');
  const groups: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (/^[0-9A-Fa-f]{1,4}$/.test(part)) {
      groups.push(parseInt(part, 16));
      continue;
    }
    const octets = ipv4Last && i === parts.length - 1 ? parseIPv4(part) : undefined;
    if (octets === undefined) return undefined;
    groups.push((octets[0] << 8) | octets[1], (octets[2] << 8) | octets[3]);
  }
  return groups;
}

/**
 * RFC 5952 text of eight groups: lowercase, no leading zeros, the longest run
 * of two or more zero groups compressed to "::" (the first on a tie); an
 * IPv4-mapped address (::ffff:a.b.c.d) as its IPv4 form.
 */
export function formatIPv6(groups: number[]): string {
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  }
  // The longest run of at least two zero groups; the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * The canonical form of an IP address literal (IPv4 as a dotted quad, IPv6 as
 * formatIPv6 writes it), or undefined if `addr` is not one.
 */
export function parseIp(addr: string): string | undefined {
  if (parseIPv4(addr) !== undefined) return addr;
  const groups = parseIPv6(addr);
  return groups === undefined ? undefined : formatIPv6(groups);
}

/**
 * The 16 bytes of an address in network byte order: IPv6 as is, IPv4 as an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d); undefined if `addr` is not an
 * address literal.
 */
export function ipBytes(addr: string): Buffer | undefined {
  const out = Buffer.alloc(16);
  const octets = parseIPv4(addr);
  if (octets !== undefined) {
    out[10] = 0xff;
    out[11] = 0xff;
    octets.forEach((o, i) => (out[12 + i] = o));
    return out;
  }
  const groups = parseIPv6(addr);
  if (groups === undefined) return undefined;
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}
