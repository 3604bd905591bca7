'use strict';
/**
 * Test hosts in network namespaces behind a bridge, for the benchmarks (the
 * plain-JS sibling of test/lib/netns.ts): each host has eth0 in its own
 * namespace, joined by a veth pair to a bridge in the root namespace. Every
 * name carries the run id and the topology's letter, so two topologies of one
 * run and concurrent runs never collide; destroy() removes everything, and is
 * safe to call twice or after a half-built create().
 *
 * IPv6 is switched off on every interface the topology makes, so router
 * solicitations and MLD reports do not add program runs to a measurement.
 */
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');

function ip(...args) {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function noIpv6(netns, dev) {
  const args = ['-w', '-q', `net.ipv6.conf.${dev}.disable_ipv6=1`];
  const r = netns ? spawnSync('ip', ['netns', 'exec', netns, 'sysctl', ...args], { stdio: 'ignore' }) : spawnSync('sysctl', args, { stdio: 'ignore' });
  return r.status === 0;
}

class Topology {
  /**
   * @param {string} runId short hex id of this run
   * @param {string} letter one character naming this topology within the run
   * @param {{name: string, addr: string}[]} specs hosts, addresses with prefix from 198.18.0.0/15
   */
  constructor(runId, letter, specs) {
    this.id = `${runId}${letter}`;
    this.bridge = `nbb${this.id}`;
    /** glob matching every host-side veth of this topology and nothing else */
    this.vethGlob = `nbv${this.id}*`;
    this.specs = specs;
    this.hosts = new Map();
    if (`nbv${this.id}0`.length > 15) throw new Error(`interface names too long for run id ${runId}`);
  }

  create() {
    ip('link', 'add', this.bridge, 'type', 'bridge');
    noIpv6(null, this.bridge);
    ip('link', 'set', this.bridge, 'up');
    this.specs.forEach((s, i) => this.addHost(s, i));
    return this;
  }

  addHost(spec, index) {
    const host = { ...spec, netns: `nfscope-bench-${this.id}-${spec.name}`, veth: `nbv${this.id}${index}`, ip: spec.addr.split('/')[0] };
    this.hosts.set(spec.name, host);
    ip('netns', 'add', host.netns);
    ip('link', 'add', host.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.netns);
    noIpv6(null, host.veth);
    ip('link', 'set', host.veth, 'master', this.bridge, 'up');
    noIpv6(host.netns, 'eth0');
    noIpv6(host.netns, 'lo');
    ip('-n', host.netns, 'addr', 'add', spec.addr, 'dev', 'eth0');
    ip('-n', host.netns, 'link', 'set', 'eth0', 'up');
    ip('-n', host.netns, 'link', 'set', 'lo', 'up');
    host.ifindex = Number(fs.readFileSync(`/sys/class/net/${host.veth}/ifindex`, 'utf8'));
  }

  host(name) {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no bench host ${name}`);
    return h;
  }

  /**
   * Static ARP entries between every pair of hosts, so no ARP request or reply
   * crosses the hooks in the middle of a measurement.
   */
  pinNeighbours() {
    const macs = new Map();
    for (const h of this.hosts.values()) {
      macs.set(h.name, execFileSync('ip', ['-n', h.netns, '-j', 'link', 'show', 'eth0'], { encoding: 'utf8' }));
    }
    for (const h of this.hosts.values()) {
      for (const peer of this.hosts.values()) {
        if (peer === h) continue;
        const mac = JSON.parse(macs.get(peer.name))[0].address;
        ip('-n', h.netns, 'neigh', 'replace', peer.ip, 'lladdr', mac, 'dev', 'eth0', 'nud', 'permanent');
      }
    }
  }

  /** argv prefix that runs a command in a host's namespace */
  inHost(name) {
    return ['ip', 'netns', 'exec', this.host(name).netns];
  }

  /** Names of everything this topology made that still exists. */
  leftovers() {
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(':')[1]?.trim().split('@')[0])
      .filter((n) => n && n.includes(this.id));
    const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(' ')[0])
      .filter((n) => n.includes(`-${this.id}-`));
    return [...links, ...netns];
  }

  destroy() {
    for (const spec of this.specs) {
      const netns = `nfscope-bench-${this.id}-${spec.name}`;
      // Deleting the namespace deletes its end of the veth pair and with it the host side.
      spawnSync('ip', ['netns', 'del', netns], { stdio: 'ignore' });
    }
    this.specs.forEach((_, i) => spawnSync('ip', ['link', 'del', `nbv${this.id}${i}`], { stdio: 'ignore' }));
    spawnSync('ip', ['link', 'del', this.bridge], { stdio: 'ignore' });
  }
}

module.exports = { Topology };
