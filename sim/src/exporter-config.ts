/**
 * The exporter configuration for a testbed (docs/configuration.md): the hosts' veths as interfaces, every NF
 * with its addresses. Written as YAML by hand (flow style, JSON-quoted
 * strings), so the simulator needs no YAML library.
 */
export interface ConfigNf {
  name: string;
  type: string;
  addresses: string[];
}

export interface ExporterConfigExtra {
  /** `node:`; default: this host's name when it is a valid node name, else "testbed". */
  node?: string;
  /** More interface globs to attach to, after the testbed's veth glob. */
  interfaces?: string[];
  /** Other exporters, for cluster-wide queries. */
  peers?: string[];
  /** `request_timeout:` as the exporter accepts it, e.g. "10s". */
  requestTimeout?: string;
}

const NODE_NAME_RE = /^[A-Za-z0-9._-]{1,253}$/;
const q = (s: string): string => JSON.stringify(s);
const list = (xs: readonly string[]): string => `[${xs.map(q).join(', ')}]`;

export function exporterConfigYaml(testbedId: string, vethGlob: string, nfs: readonly ConfigNf[], hostname: string, extra: ExporterConfigExtra = {}): string {
  const node = extra.node ?? (NODE_NAME_RE.test(hostname) ? hostname : 'testbed');
  const lines = [
    `# nfscope exporter configuration for testbed ${testbedId} (written by nfscope testbed)`,
    `node: ${q(node)}`,
    `interfaces: ${list([vethGlob, ...(extra.interfaces ?? [])])}`,
    'nfs:',
    ...nfs.map((nf) => `  - { name: ${q(nf.name)}, type: ${q(nf.type)}, addresses: ${list(nf.addresses)} }`),
  ];
  if (extra.peers && extra.peers.length > 0) lines.push(`peers: ${list(extra.peers)}`);
  if (extra.requestTimeout) lines.push(`request_timeout: ${q(extra.requestTimeout)}`);
  return `${lines.join('\n')}\n`;
}
