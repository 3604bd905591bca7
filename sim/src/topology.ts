/**
 * Hosts in network namespaces behind a bridge, as containers and pods are:
 * each host has eth0 in a namespace of its own, joined by a veth pair to a
 * bridge in the root namespace. The one builder of such topologies in
 * nfscope: the testbed (testbed.ts), the integration tests (test/) and the
 * benchmarks (bench/) all make theirs with it.
 *
 * Addresses come from the benchmarking ranges, 198.18.0.0/15 and
 * 2001:2::/48 (RFC 2544, RFC 5180), and nowhere else. Every name carries the
 * topology's id, so topologies of one run and of concurrent runs never
 * collide. destroy() removes every namespace, veth and the bridge; it is
 * idempotent, never throws, and also removes what a create() that failed
 * half-way made. create() cleans up itself when it fails, and a topology the
 * process did not destroy is destroyed when the process exits (unless keep()
 * was called).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import { ip, ipQuiet, listLinks, listNetns } from './netns';

export interface HostSpec {
  /** short name, e.g. "gnb" or "upf-1" */
  name: string;
  /** IPv4 address with prefix, from 198.18.0.0/15, e.g. "198.18.0.1/24" */
  addr: string;
  /** optional IPv6 address with prefix, from 2001:2::/48, e.g. "2001:2::1/64" (added with nodad: usable at once) */
  addr6?: string;
  /** optional NF type, carried along for the caller (e.g. "UPF") */
  type?: string;
}

export interface Host extends HostSpec {
  /** namespace name */
  netns: string;
  /** host-side veth in the root namespace */
  veth: string;
  /** IPv4 address without prefix */
  ip: string;
  /** IPv6 address without prefix, when the spec has one */
  ip6?: string;
  /** interface index of the host-side veth (0 until created) */
  ifindex: number;
}

/**
 * Where IPv6 is switched off: nowhere; on the host side only (the bridge and
 * the root-namespace ends of the veths are bridge ports with no addresses:
 * no router solicitations or MLD reports from them); or also on eth0 and lo
 * inside every host (no IPv6 packet at all, for measurements that count runs).
 */
export type Ipv6Mode = 'on' | 'off-host-side' | 'off';

export interface TopologyOptions {
  /** Id in every name (lower-case letters and digits); default: six random hex digits. */
  id?: string;
  /** Namespace names are NETNS + id + "-" + host name; default "nfscope-". */
  netnsPrefix?: string;
  /** Host-side veths are VETH + id + host index; default "nfv". */
  vethPrefix?: string;
  /** The bridge is BRIDGE + id; default "nfb". */
  bridgePrefix?: string;
  /** default "on" */
  ipv6?: Ipv6Mode;
}

const IFNAMSIZ = 15;

/** The names a topology with these options uses. */
export function topologyNames(opts: TopologyOptions & { id: string }): { netnsPrefix: string; vethPrefix: string; bridge: string } {
  return {
    netnsPrefix: `${opts.netnsPrefix ?? 'nfscope-'}${opts.id}-`,
    vethPrefix: `${opts.vethPrefix ?? 'nfv'}${opts.id}`,
    bridge: `${opts.bridgePrefix ?? 'nfb'}${opts.id}`,
  };
}

/** Throws unless `addr` (with prefix) is an IPv4 address in 198.18.0.0/15. */
export function checkBenchmarkingIpv4(addr: string, where: string): void {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(addr);
  const o = m ? m.slice(1, 5).map(Number) : [];
  if (!m || o.some((x) => x > 255) || Number(m[5]) > 32) throw new Error(`${where}: ${JSON.stringify(addr)} is not an IPv4 address with prefix (e.g. "198.18.0.1/24")`);
  if (o[0] !== 198 || (o[1] !== 18 && o[1] !== 19)) throw new Error(`${where}: ${addr} is outside 198.18.0.0/15, the benchmarking range test hosts use`);
}

/** Throws unless `addr` (with prefix) is an IPv6 address in 2001:2::/48. */
export function checkBenchmarkingIpv6(addr: string, where: string): void {
  const m = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(addr);
  if (!m || !net.isIPv6(m[1]) || Number(m[2]) > 128) throw new Error(`${where}: ${JSON.stringify(addr)} is not an IPv6 address with prefix (e.g. "2001:2::1/64")`);
  const groups = m[1].toLowerCase().split(':');
  if (groups[0] !== '2001' || !(groups[1] === '2' || groups[1] === '0002') || !(groups[2] === '' || /^0{1,4}$/.test(groups[2] ?? ''))) {
    throw new Error(`${where}: ${addr} is outside 2001:2::/48, the benchmarking range test hosts use`);
  }
}

const live = new Set<Topology>();
let exitHookInstalled = false;

export class Topology {
  readonly id: string;
  readonly bridge: string;
  /** glob matching every host-side veth of this topology and nothing else (for the exporter's `interfaces`) */
  readonly vethGlob: string;
  /** every host, in the order of the specs, including those a failed create() did not get to */
  readonly hosts = new Map<string, Host>();
  private readonly netnsPrefix: string;
  private readonly vethPrefix: string;
  private readonly ipv6: Ipv6Mode;

  private constructor(specs: HostSpec[], opts: TopologyOptions) {
    this.id = opts.id ?? crypto.randomBytes(3).toString('hex');
    if (!/^[0-9a-z]+$/.test(this.id)) throw new Error(`topology id ${JSON.stringify(this.id)} is not lower-case letters and digits`);
    const n = topologyNames({ ...opts, id: this.id });
    this.netnsPrefix = n.netnsPrefix;
    this.vethPrefix = n.vethPrefix;
    this.bridge = n.bridge;
    this.vethGlob = `${n.vethPrefix}*`;
    this.ipv6 = opts.ipv6 ?? 'on';
    if (specs.length === 0) throw new Error('a topology needs at least one host');
    const longest = `${n.vethPrefix}${specs.length - 1}`;
    for (const name of [longest, this.bridge]) {
      if (name.length > IFNAMSIZ) throw new Error(`interface name ${name} is longer than ${IFNAMSIZ} characters: use a shorter id or prefix`);
    }
    specs.forEach((s, i) => {
      const where = `host ${JSON.stringify(s.name)}`;
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(s.name)) throw new Error(`${where}: a host name is letters, digits, '.', '_' and '-'`);
      if (this.hosts.has(s.name)) throw new Error(`${where} appears twice`);
      checkBenchmarkingIpv4(s.addr, `${where}, addr`);
      if (s.addr6 !== undefined) checkBenchmarkingIpv6(s.addr6, `${where}, addr6`);
      this.hosts.set(s.name, {
        ...s,
        netns: `${n.netnsPrefix}${s.name}`,
        veth: `${n.vethPrefix}${i}`,
        ip: s.addr.split('/')[0],
        ...(s.addr6 ? { ip6: s.addr6.split('/')[0] } : {}),
        ifindex: 0,
      });
    });
  }

  /**
   * Creates the bridge, and a namespace and veth pair per host. Needs root
   * (CAP_NET_ADMIN, CAP_SYS_ADMIN). When any step fails, removes what it
   * made and throws ip's own message.
   */
  static create(specs: HostSpec[], opts: TopologyOptions = {}): Topology {
    const t = new Topology(specs, opts);
    const existing = t.leftovers();
    if (existing.length > 0) throw new Error(`topology ${t.id} already exists (${existing.join(', ')})`);
    live.add(t);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      // Last resort: a process that ends without destroy() (an exception, process.exit) leaves nothing behind.
      process.on('exit', () => {
        for (const x of live) x.destroy();
      });
    }
    try {
      ip('link', 'add', t.bridge, 'type', 'bridge');
      if (t.ipv6 !== 'on') disableIpv6(null, t.bridge);
      ip('link', 'set', t.bridge, 'up');
      for (const h of t.hosts.values()) t.addHost(h);
      return t;
    } catch (e) {
      t.destroy();
      throw e;
    }
  }

  private addHost(h: Host): void {
    ip('netns', 'add', h.netns);
    ip('link', 'add', h.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.netns);
    if (this.ipv6 !== 'on') disableIpv6(null, h.veth);
    ip('link', 'set', h.veth, 'master', this.bridge, 'up');
    if (this.ipv6 === 'off') {
      disableIpv6(h.netns, 'eth0');
      disableIpv6(h.netns, 'lo');
    }
    ip('-n', h.netns, 'addr', 'add', h.addr, 'dev', 'eth0');
    // nodad: usable at once, without waiting for duplicate address detection.
    if (h.addr6) ip('-n', h.netns, 'addr', 'add', h.addr6, 'dev', 'eth0', 'nodad');
    ip('-n', h.netns, 'link', 'set', 'eth0', 'up');
    ip('-n', h.netns, 'link', 'set', 'lo', 'up');
    h.ifindex = Number(fs.readFileSync(`/sys/class/net/${h.veth}/ifindex`, 'utf8'));
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`topology ${this.id} has no host ${name}`);
    return h;
  }

  /** Adds another IPv4 address (with prefix, from 198.18.0.0/15) to a host's eth0. */
  addAddress(hostName: string, addr: string): void {
    const h = this.host(hostName);
    checkBenchmarkingIpv4(addr, `host ${JSON.stringify(hostName)}, extra address`);
    ip('-n', h.netns, 'addr', 'add', addr, 'dev', 'eth0');
  }

  /** MAC address of a host's eth0. */
  mac(hostName: string): string {
    const out = execFileSync('ip', ['-n', this.host(hostName).netns, '-j', 'link', 'show', 'eth0'], { encoding: 'utf8' });
    return (JSON.parse(out) as Array<{ address: string }>)[0].address;
  }

  /**
   * A permanent neighbour entry in `hostName` for `addr` at the MAC of
   * `peerName`: no ARP request or reply crosses the bridge for it later.
   */
  pinNeighbour(hostName: string, addr: string, peerName: string): void {
    ip('-n', this.host(hostName).netns, 'neigh', 'replace', addr, 'lladdr', this.mac(peerName), 'dev', 'eth0', 'nud', 'permanent');
  }

  /** Permanent neighbour entries between every pair of hosts (their first IPv4 addresses). */
  pinNeighbours(): void {
    for (const h of this.hosts.values()) {
      for (const peer of this.hosts.values()) if (peer !== h) this.pinNeighbour(h.name, peer.ip, peer.name);
    }
  }

  /** argv prefix that runs a command in a host's namespace */
  inHost(name: string): string[] {
    return ['ip', 'netns', 'exec', this.host(name).netns];
  }

  /** Runs a command inside a host's namespace and returns its output; throws with its stderr when it fails. */
  exec(hostName: string, cmd: string, args: string[], timeoutMs = 20000): string {
    const r = spawnSync('ip', ['netns', 'exec', this.host(hostName).netns, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${hostName} failed (${r.status ?? r.signal}): ${r.stderr}`);
    return r.stdout;
  }

  /** Names of this topology's namespaces and root-namespace links that still exist. */
  leftovers(): string[] {
    return Topology.existingNames({ netnsPrefix: this.netnsPrefix, vethPrefix: this.vethPrefix, bridge: this.bridge });
  }

  /** Leaves the topology in place when this process exits (remove it later with Topology.destroyNames). */
  keep(): void {
    live.delete(this);
  }

  /** Removes everything the topology created. Idempotent; never throws. */
  destroy(): void {
    live.delete(this);
    for (const h of this.hosts.values()) {
      // Deleting the namespace deletes its end of the veth pair, and with it the host side.
      ipQuiet('netns', 'del', h.netns);
      ipQuiet('link', 'del', h.veth);
    }
    ipQuiet('link', 'del', this.bridge);
  }

  /** Namespaces and root-namespace links that carry these names. */
  static existingNames(n: { netnsPrefix: string; vethPrefix: string; bridge: string }): string[] {
    return [...listNetns().filter((x) => x.startsWith(n.netnsPrefix)), ...listLinks().filter((x) => x === n.bridge || x.startsWith(n.vethPrefix))];
  }

  /** Removes the namespaces and links that carry these names (a topology left in place); returns the names removed. */
  static destroyNames(n: { netnsPrefix: string; vethPrefix: string; bridge: string }): string[] {
    const names = Topology.existingNames(n);
    for (const x of names) if (x.startsWith(n.netnsPrefix)) ipQuiet('netns', 'del', x);
    for (const x of names) if (!x.startsWith(n.netnsPrefix)) ipQuiet('link', 'del', x);
    return names;
  }
}

/** Switches IPv6 off on an interface (in a namespace, or the root one for null); no IPv6 in the kernel: nothing to do. */
function disableIpv6(netns: string | null, ifname: string): void {
  if (netns === null) {
    try {
      fs.writeFileSync(`/proc/sys/net/ipv6/conf/${ifname}/disable_ipv6`, '1');
    } catch {
      // No IPv6 in this kernel: nothing to disable.
    }
    return;
  }
  spawnSync('ip', ['netns', 'exec', netns, 'sysctl', '-w', '-q', `net.ipv6.conf.${ifname}.disable_ipv6=1`], { stdio: 'ignore' });
}
