/**
 * Test hosts in network namespaces behind a bridge, as containers are: each
 * host has eth0 in its own namespace, joined by a veth pair to a bridge in the
 * root namespace. Names carry a per-run id and everything is removed by
 * destroy(), also after a failed test.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'child_process';
import * as crypto from 'crypto';

export interface HostSpec {
  /** short name, e.g. "gnb" */
  name: string;
  /** IPv4 address with prefix, from 198.18.0.0/15, e.g. "198.18.0.1/24" */
  addr: string;
  /** optional IPv6 address with prefix, from the benchmarking range 2001:2::/48, e.g. "2001:2::1/64" */
  addr6?: string;
}

export interface Host extends HostSpec {
  /** namespace name */
  netns: string;
  /** host-side veth in the root namespace */
  veth: string;
  ip: string;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export class Topology {
  readonly hosts = new Map<string, Host>();
  readonly bridge: string;
  /** glob matching every host-side veth of this topology */
  readonly vethGlob: string;
  private readonly id: string;

  private constructor() {
    this.id = crypto.randomBytes(3).toString('hex');
    this.bridge = `nfb${this.id}`;
    this.vethGlob = `nfv${this.id}*`;
  }

  static create(specs: HostSpec[]): Topology {
    const t = new Topology();
    try {
      ip('link', 'add', t.bridge, 'type', 'bridge');
      ip('link', 'set', t.bridge, 'up');
      specs.forEach((s, i) => t.addHost(s, i));
      return t;
    } catch (e) {
      t.destroy();
      throw e;
    }
  }

  private addHost(spec: HostSpec, index: number): void {
    const host: Host = { ...spec, netns: `nfscope-${this.id}-${spec.name}`, veth: `nfv${this.id}${index}`, ip: spec.addr.split('/')[0] };
    this.hosts.set(spec.name, host);
    ip('netns', 'add', host.netns);
    ip('link', 'add', host.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.netns);
    ip('link', 'set', host.veth, 'master', this.bridge, 'up');
    ip('-n', host.netns, 'addr', 'add', spec.addr, 'dev', 'eth0');
    // nodad: usable at once, without waiting for duplicate address detection.
    if (spec.addr6) ip('-n', host.netns, 'addr', 'add', spec.addr6, 'dev', 'eth0', 'nodad');
    ip('-n', host.netns, 'link', 'set', 'eth0', 'up');
    ip('-n', host.netns, 'link', 'set', 'lo', 'up');
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no test host ${name}`);
    return h;
  }

  /** Runs a command inside a host's namespace; throws with its stderr when it fails. */
  exec(hostName: string, cmd: string, args: string[], timeoutMs = 20000): string {
    const r: SpawnSyncReturns<string> = spawnSync('ip', ['netns', 'exec', this.host(hostName).netns, cmd, ...args], {
      encoding: 'utf8',
      timeout: timeoutMs,
    });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${hostName} failed (${r.status ?? r.signal}): ${r.stderr}`);
    return r.stdout;
  }

  /** Names of everything this topology created that still exists. */
  leftovers(): string[] {
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    return [
      ...links
        .split('\n')
        .map((l) => l.split(':')[1]?.trim().split('@')[0])
        .filter((n): n is string => !!n && n.includes(this.id)),
      ...netns
        .split('\n')
        .map((l) => l.split(' ')[0])
        .filter((n) => n.includes(this.id)),
    ];
  }

  destroy(): void {
    for (const h of this.hosts.values()) {
      // Deleting the namespace deletes its end of the veth pair and with it the host side.
      spawnSync('ip', ['netns', 'del', h.netns], { stdio: 'ignore' });
      spawnSync('ip', ['link', 'del', h.veth], { stdio: 'ignore' });
    }
    spawnSync('ip', ['link', 'del', this.bridge], { stdio: 'ignore' });
  }
}
