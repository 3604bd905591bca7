/**
 * The 5G testbed: one network namespace per NF, each with eth0 joined by a
 * veth pair to a bridge in the root namespace, as containers and pods are. Addresses come from the benchmarking range
 * 198.18.0.0/24 (and 2001:2::/64 with ipv6). Every name carries the run's id;
 * destroy() removes them all, and so does process exit unless keep() was
 * called (then `Testbed.destroyById(id)` / `nfscope remove-testbed ID`).
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import { exporterConfigYaml, type ExporterConfigExtra } from './exporter-config';
import { ip, ipQuiet, listLinks, listNetns } from './netns';
import { runAgents, type RunOptions } from './run';
import type { RunRecord } from './record';
import { resolveScenario, type Scenario, type ScenarioInput } from './scenario';

export interface TestbedOptions {
  /** Also give every NF an IPv6 address, 2001:2::N/64 (added with nodad: usable at once). */
  ipv6?: boolean;
  /** Six lower-case hex digits; default: random. */
  id?: string;
}

export interface TestbedNf {
  name: string;
  type: string;
  /** IPv4 address, without prefix. */
  ipv4: string;
  /** IPv6 address, without prefix, when the testbed has IPv6. */
  ipv6?: string;
  /** Every address of the NF (IPv4 first). */
  addresses: string[];
  /** Network namespace holding the NF's eth0. */
  netns: string;
  /** Host-side veth in the root namespace. */
  veth: string;
}

/** The NFs of the testbed, in order (the index gives the address and the veth suffix). */
export const TESTBED_NFS: ReadonlyArray<{ name: string; type: string }> = [
  { name: 'gnb-1', type: 'gNB' },
  { name: 'amf-1', type: 'AMF' },
  { name: 'smf-1', type: 'SMF' },
  { name: 'upf-1', type: 'UPF' },
  { name: 'upf-2', type: 'UPF' },
  { name: 'nrf-1', type: 'NRF' },
  { name: 'ausf-1', type: 'AUSF' },
  { name: 'udm-1', type: 'UDM' },
  { name: 'pcf-1', type: 'PCF' },
];

const ID_RE = /^[0-9a-f]{6}$/;

/** Names a testbed with this id uses. */
export function testbedNames(id: string): { netnsPrefix: string; vethPrefix: string; bridge: string } {
  return { netnsPrefix: `nfsim-${id}-`, vethPrefix: `nfv${id}`, bridge: `nfsb${id}` };
}

const live = new Set<Testbed>();
let exitHookInstalled = false;

export class Testbed {
  readonly id: string;
  readonly bridge: string;
  /** Glob matching every host-side veth of this testbed (for the exporter's `interfaces`). */
  readonly vethGlob: string;
  readonly nfs: readonly TestbedNf[];
  private destroyed = false;
  private running = false;

  private constructor(id: string, ipv6: boolean) {
    this.id = id;
    const n = testbedNames(id);
    this.bridge = n.bridge;
    this.vethGlob = `${n.vethPrefix}*`;
    this.nfs = TESTBED_NFS.map((nf, i) => {
      const ipv4 = `198.18.0.${i + 1}`;
      const v6 = ipv6 ? `2001:2::${i + 1}` : undefined;
      return { ...nf, ipv4, ipv6: v6, addresses: v6 ? [ipv4, v6] : [ipv4], netns: `${n.netnsPrefix}${nf.name}`, veth: `${n.vethPrefix}${i}` };
    });
  }

  /** Creates the namespaces, veths and bridge. Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN). Cleans up after itself when it fails. */
  static create(opts: TestbedOptions = {}): Testbed {
    const id = opts.id ?? crypto.randomBytes(3).toString('hex');
    if (!ID_RE.test(id)) throw new Error(`testbed id ${JSON.stringify(id)} is not six lower-case hex digits`);
    const existing = Testbed.existingNames(id);
    if (existing.length > 0) throw new Error(`testbed ${id} already exists (${existing.join(', ')}); remove it with: nfscope remove-testbed ${id}`);
    const tb = new Testbed(id, opts.ipv6 ?? false);
    live.add(tb);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      // Last resort: a process that ends without destroy() (exception, process.exit) leaves nothing behind.
      process.on('exit', () => {
        for (const t of live) t.destroy();
      });
    }
    try {
      ip('link', 'add', tb.bridge, 'type', 'bridge');
      disableIpv6(tb.bridge);
      ip('link', 'set', tb.bridge, 'up');
      for (const nf of tb.nfs) tb.addNf(nf);
      return tb;
    } catch (e) {
      tb.destroy();
      throw e;
    }
  }

  private addNf(nf: TestbedNf): void {
    ip('netns', 'add', nf.netns);
    ip('link', 'add', nf.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', nf.netns);
    // The host side is a bridge port only: no addresses, no IPv6 chatter (router solicitations, MLD).
    disableIpv6(nf.veth);
    ip('link', 'set', nf.veth, 'master', this.bridge, 'up');
    ip('-n', nf.netns, 'addr', 'add', `${nf.ipv4}/24`, 'dev', 'eth0');
    if (nf.ipv6) ip('-n', nf.netns, 'addr', 'add', `${nf.ipv6}/64`, 'dev', 'eth0', 'nodad');
    ip('-n', nf.netns, 'link', 'set', 'eth0', 'up');
    ip('-n', nf.netns, 'link', 'set', 'lo', 'up');
  }

  nf(name: string): TestbedNf {
    const nf = this.nfs.find((n) => n.name === name);
    if (!nf) throw new Error(`testbed ${this.id} has no NF ${name}`);
    return nf;
  }

  /** An exporter configuration (YAML) for this testbed: its veths and its NFs. */
  exporterConfigYaml(extra?: ExporterConfigExtra): string {
    return exporterConfigYaml(this.id, this.vethGlob, this.nfs, os.hostname(), extra);
  }

  /**
   * Runs a scenario (defaults filled in, see scenario.ts) with agents in the
   * NFs' namespaces; resolves with the record once every agent has finished.
   * Throws ScenarioError for a bad scenario before anything starts.
   */
  async run(scenario: ScenarioInput | Scenario = {}, opts: RunOptions = {}): Promise<RunRecord> {
    if (this.destroyed) throw new Error(`testbed ${this.id} was destroyed`);
    if (this.running) throw new Error(`testbed ${this.id} is already running a scenario`);
    const s = resolveScenario(scenario);
    this.running = true;
    try {
      return await runAgents({ runId: this.id, nfs: this.nfs }, s, opts);
    } finally {
      this.running = false;
    }
  }

  /** Runs a command in an NF's namespace and returns its output; throws with its stderr when it fails. */
  exec(nfName: string, cmd: string, args: string[], timeoutMs = 20000): string {
    const r = spawnSync('ip', ['netns', 'exec', this.nf(nfName).netns, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${nfName} failed (${r.status ?? r.signal}): ${r.stderr}`);
    return r.stdout;
  }

  /** Names of this testbed's namespaces and links that still exist. */
  leftovers(): string[] {
    return Testbed.existingNames(this.id);
  }

  /** Leaves the testbed in place when this process exits (remove it later with Testbed.destroyById). */
  keep(): void {
    live.delete(this);
  }

  /** Removes everything the testbed created. Idempotent; never throws. */
  destroy(): void {
    live.delete(this);
    this.destroyed = true;
    for (const nf of this.nfs) {
      // Deleting the namespace deletes its end of the veth pair, and with it the host side.
      ipQuiet('netns', 'del', nf.netns);
      ipQuiet('link', 'del', nf.veth);
    }
    ipQuiet('link', 'del', this.bridge);
  }

  /** Names of namespaces and root-namespace links that belong to testbed `id`. */
  static existingNames(id: string): string[] {
    const n = testbedNames(id);
    return [...listNetns().filter((x) => x.startsWith(n.netnsPrefix)), ...listLinks().filter((x) => x === n.bridge || x.startsWith(n.vethPrefix))];
  }

  /** Removes a testbed left in place (keep()); returns the names removed. */
  static destroyById(id: string): string[] {
    if (!ID_RE.test(id)) throw new Error(`testbed id ${JSON.stringify(id)} is not six lower-case hex digits`);
    const names = Testbed.existingNames(id);
    const n = testbedNames(id);
    for (const x of names) {
      if (x.startsWith(n.netnsPrefix)) ipQuiet('netns', 'del', x);
    }
    for (const x of names) {
      if (!x.startsWith(n.netnsPrefix)) ipQuiet('link', 'del', x);
    }
    return names;
  }
}

function disableIpv6(ifname: string): void {
  try {
    fs.writeFileSync(`/proc/sys/net/ipv6/conf/${ifname}/disable_ipv6`, '1');
  } catch {
    // No IPv6 in this kernel: nothing to disable.
  }
}
