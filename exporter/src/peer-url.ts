/**
 * Peer exporter addresses (`peers:` in the configuration) as base URLs: the
 * form cluster.ts fetches from and compares peers by.
 */
import { parseIPv6 } from './address';

/** The forms normalizePeer accepts, as messages name them. */
export const PEER_FORMS = 'host:port, [IPv6]:port, an http:// or https:// URL, or dns+http://NAME:PORT';

const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * `host:port` and `[v6]:port` become `http://...`; `http://` and `https://`
 * URLs are kept (lowercased host, no user or password); `dns+http://NAME:PORT`
 * (NAME resolves, at query time, to every exporter) is kept, lowercased. The
 * result has no trailing slash; undefined if `peer` is none of these.
 */
export function normalizePeer(peer: string): string | undefined {
  const dns = /^dns\+(https?):\/\/([^/:[\]]+):(\d{1,5})\/?$/i.exec(peer);
  if (dns) {
    const port = Number(dns[3]);
    if (!HOSTNAME_RE.test(dns[2]) || port < 1 || port > 65535) return undefined;
    return `dns+${dns[1].toLowerCase()}://${dns[2].toLowerCase()}:${port}`;
  }
  let url: URL;
  if (/^https?:\/\//i.test(peer)) {
    if (!URL.canParse(peer)) return undefined;
    url = new URL(peer);
    if (url.hostname === '' || url.username !== '' || url.password !== '') return undefined;
  } else {
    const m = /^(?:\[([^\]]*)\]|([^:[\]]+)):(\d{1,5})$/.exec(peer);
    if (m === null || Number(m[3]) < 1 || Number(m[3]) > 65535) return undefined;
    const [, v6, host] = m;
    if (v6 !== undefined ? parseIPv6(v6) === undefined : !HOSTNAME_RE.test(host)) return undefined;
    // The URL parser still rejects hosts like "198.18.0.300".
    if (!URL.canParse(`http://${peer}`)) return undefined;
    url = new URL(`http://${peer}`);
  }
  return url.href.replace(/\/+$/, '');
}
