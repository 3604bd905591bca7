/**
 * The 5G testbed: one network namespace per NF, each with eth0 joined by a
 * veth pair to a bridge in the root namespace, as containers and pods are
 * (built by topology.ts, as the tests' and benchmarks' hosts are). Addresses
 * come from the benchmarking range 198.18.0.0/24 (and 2001:2::/64 with ipv6).
 * Every name carries the run's id; destroy() removes them all, and so does
 * process exit unless keep() was called (then `Testbed.destroyById(id)` /
 * `nfscope remove-testbed ID`).
 */
import * as crypto from 'crypto';
import * as os from 'os';
import { exporterConfigYaml, type ExporterConfigExtra } from './exporter-config';
import { runAgents, type RunOptions } from './run';
import type { RunRecord } from './record';
import { resolveScenario, type Scenario, type ScenarioInput } from './scenario';
import { Topology, topologyNames, type TopologyOptions } from './topology';

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
  return topologyNames(topologyOptions(id));
}

/** How the testbed's topology is named: nfsim-ID-NF, nfvIDn, nfsbID; IPv6 off on the bridge ports. */
function topologyOptions(id: string): TopologyOptions & { id: string } {
  return { id, netnsPrefix: 'nfsim-', vethPrefix: 'nfv', bridgePrefix: 'nfsb', ipv6: 'off-host-side' };
}

export class Testbed {
  readonly id: string;
  readonly bridge: string;
  /** Glob matching every host-side veth of this testbed (for the exporter's `interfaces`). */
  readonly vethGlob: string;
  readonly nfs: readonly TestbedNf[];
  private destroyed = false;
  private running = false;
  private readonly topology: Topology;

  private constructor(topology: Topology, nfs: TestbedNf[]) {
    this.topology = topology;
    this.id = topology.id;
    this.bridge = topology.bridge;
    this.vethGlob = topology.vethGlob;
    this.nfs = nfs;
  }

  /** Creates the namespaces, veths and bridge. Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN). Cleans up after itself when it fails. */
  static create(opts: TestbedOptions = {}): Testbed {
    const id = opts.id ?? crypto.randomBytes(3).toString('hex');
    if (!ID_RE.test(id)) throw new Error(`testbed id ${JSON.stringify(id)} is not six lower-case hex digits`);
    const existing = Testbed.existingNames(id);
    if (existing.length > 0) throw new Error(`testbed ${id} already exists (${existing.join(', ')}); remove it with: nfscope remove-testbed ${id}`);
    const ipv6 = opts.ipv6 ?? false;
    const specs = TESTBED_NFS.map((nf, i) => ({ name: nf.name, type: nf.type, addr: `198.18.0.${i + 1}/24`, ...(ipv6 ? { addr6: `2001:2::${i + 1}/64` } : {}) }));
    const topology = Topology.create(specs, topologyOptions(id));
    const nfs = TESTBED_NFS.map((nf) => {
      const h = topology.host(nf.name);
      return { ...nf, ipv4: h.ip, ipv6: h.ip6, addresses: h.ip6 ? [h.ip, h.ip6] : [h.ip], netns: h.netns, veth: h.veth };
    });
    return new Testbed(topology, nfs);
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
    this.nf(nfName);
    return this.topology.exec(nfName, cmd, args, timeoutMs);
  }

  /** Names of this testbed's namespaces and links that still exist. */
  leftovers(): string[] {
    return Testbed.existingNames(this.id);
  }

  /** Leaves the testbed in place when this process exits (remove it later with Testbed.destroyById). */
  keep(): void {
    this.topology.keep();
  }

  /** Removes everything the testbed created. Idempotent; never throws. */
  destroy(): void {
    this.destroyed = true;
    this.topology.destroy();
  }

  /** Names of namespaces and root-namespace links that belong to testbed `id`. */
  static existingNames(id: string): string[] {
    return Topology.existingNames(testbedNames(id));
  }

  /** Removes a testbed left in place (keep()); returns the names removed. */
  static destroyById(id: string): string[] {
    if (!ID_RE.test(id)) throw new Error(`testbed id ${JSON.stringify(id)} is not six lower-case hex digits`);
    return Topology.destroyNames(testbedNames(id));
  }
}
