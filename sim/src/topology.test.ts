/**
 * The namespace-topology library: what it refuses before touching the
 * kernel (no root needed), and, as root, that it builds working hosts and
 * removes everything, also when a step of create() fails half-way.
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import { describeRoot, netnsTestProblem } from '../../test/lib/env';
import { checkBenchmarkingIpv4, checkBenchmarkingIpv6, Topology, topologyNames } from './topology';

describe('topology: input checked before anything is created', () => {
  test('IPv4 addresses must be in 198.18.0.0/15, with a prefix', () => {
    expect(() => checkBenchmarkingIpv4('198.18.0.1/24', 'h')).not.toThrow();
    expect(() => checkBenchmarkingIpv4('198.19.255.254/16', 'h')).not.toThrow();
    expect(() => checkBenchmarkingIpv4('198.20.0.1/24', 'host "a", addr')).toThrow('host "a", addr: 198.20.0.1/24 is outside 198.18.0.0/15');
    expect(() => checkBenchmarkingIpv4('10.0.0.1/8', 'h')).toThrow(/outside 198\.18\.0\.0\/15/);
    expect(() => checkBenchmarkingIpv4('198.18.0.1', 'h')).toThrow(/not an IPv4 address with prefix/);
    expect(() => checkBenchmarkingIpv4('198.18.0.256/24', 'h')).toThrow(/not an IPv4 address with prefix/);
  });

  test('IPv6 addresses must be in 2001:2::/48, with a prefix', () => {
    expect(() => checkBenchmarkingIpv6('2001:2::1/64', 'h')).not.toThrow();
    expect(() => checkBenchmarkingIpv6('2001:2:0:a::3/64', 'h')).not.toThrow();
    expect(() => checkBenchmarkingIpv6('2001:2:1::1/64', 'h')).toThrow(/outside 2001:2::\/48/);
    expect(() => checkBenchmarkingIpv6('2001:db8::1/64', 'h')).toThrow(/outside 2001:2::\/48/);
    expect(() => checkBenchmarkingIpv6('2001:2:::1/64', 'h')).toThrow(/not an IPv6 address with prefix/);
    expect(() => checkBenchmarkingIpv6('2001:2::1', 'h')).toThrow(/not an IPv6 address with prefix/);
  });

  test('create() refuses bad specs and names with a message naming the host or the name', () => {
    expect(() => Topology.create([])).toThrow('a topology needs at least one host');
    expect(() => Topology.create([{ name: 'a', addr: '192.0.2.1/24' }])).toThrow('host "a", addr: 192.0.2.1/24 is outside 198.18.0.0/15');
    expect(() => Topology.create([{ name: 'a', addr: '198.18.0.1/24', addr6: 'fe80::1/64' }])).toThrow('host "a", addr6: fe80::1/64 is outside 2001:2::/48');
    expect(() => Topology.create([{ name: 'x y', addr: '198.18.0.1/24' }])).toThrow(/host "x y": a host name is/);
    expect(() =>
      Topology.create([
        { name: 'a', addr: '198.18.0.1/24' },
        { name: 'a', addr: '198.18.0.2/24' },
      ]),
    ).toThrow('host "a" appears twice');
    expect(() => Topology.create([{ name: 'a', addr: '198.18.0.1/24' }], { id: 'ABC' })).toThrow(/topology id "ABC" is not lower-case/);
    expect(() => Topology.create([{ name: 'a', addr: '198.18.0.1/24' }], { id: '0123456789ab' })).toThrow(/interface name nfv0123456789ab0 is longer than 15 characters/);
  });

  test('names carry the id after each prefix', () => {
    expect(topologyNames({ id: 'abc123' })).toEqual({ netnsPrefix: 'nfscope-abc123-', vethPrefix: 'nfvabc123', bridge: 'nfbabc123' });
    expect(topologyNames({ id: '12ab', netnsPrefix: 'nfsim-', vethPrefix: 'nfv', bridgePrefix: 'nfsb' })).toEqual({ netnsPrefix: 'nfsim-12ab-', vethPrefix: 'nfv12ab', bridge: 'nfsb12ab' });
  });
});

/** Namespaces and root-namespace links whose names contain `s`, read with ip directly. */
function namesWith(s: string): string[] {
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n');
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '');
  return [...netns, ...links].filter((n) => n.includes(s));
}

/**
 * One UDP datagram from host `from` to `to` (addr): a receiver in `to`'s
 * namespace answers with what it got and from where. Resolves to that line.
 */
async function udpExchange(topo: Topology, from: string, to: string, addr: string): Promise<string> {
  const family = addr.includes(':') ? 'udp6' : 'udp4';
  const rx = spawn('ip', [
    'netns',
    'exec',
    topo.host(to).netns,
    process.execPath,
    '-e',
    `
    const s = require('dgram').createSocket('${family}');
    s.on('message', (m, r) => { process.stdout.write(m + ' from ' + r.address + '\\n', () => process.exit(0)); });
    s.bind(9999, () => process.stdout.write('ready\\n'));
    setTimeout(() => process.exit(3), 10000);
  `,
  ]);
  let out = '';
  const done = new Promise<number | null>((r) => rx.on('close', r));
  await new Promise<void>((resolve, reject) => {
    rx.stdout.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    rx.on('close', () => reject(new Error(`receiver in ${to} exited: ${out}`)));
  });
  topo.exec(from, process.execPath, ['-e', `const s = require('dgram').createSocket('${family}'); s.send('hello', 9999, '${addr}', () => s.close());`]);
  expect(await done).toBe(0);
  return out.split('\n').find((l) => l.startsWith('hello')) ?? out;
}

describeRoot(
  'topology (root: namespaces, veths, a bridge)',
  () => {
    let topo: Topology | undefined;
    afterEach(() => topo?.destroy());

    test('hosts behind one bridge reach each other; destroy() removes every namespace, veth and the bridge', async () => {
      topo = Topology.create(
        [
          { name: 'a', addr: '198.18.7.1/24', addr6: '2001:2:0:7::1/64' },
          { name: 'b', addr: '198.18.7.2/24', addr6: '2001:2:0:7::2/64', type: 'UPF' },
        ],
        { ipv6: 'off-host-side' },
      );
      const a = topo.host('a');
      const b = topo.host('b');
      expect(b).toMatchObject({ ip: '198.18.7.2', ip6: '2001:2:0:7::2', type: 'UPF', netns: `nfscope-${topo.id}-b`, veth: `nfv${topo.id}1` });
      expect(a.ifindex).toBe(Number(fs.readFileSync(`/sys/class/net/${a.veth}/ifindex`, 'utf8')));
      expect(fs.readFileSync(`/sys/class/net/${a.veth}/master/uevent`, 'utf8')).toContain(`INTERFACE=${topo.bridge}`);
      // Host side without IPv6, the hosts with it.
      expect(fs.readFileSync(`/proc/sys/net/ipv6/conf/${a.veth}/disable_ipv6`, 'utf8').trim()).toBe('1');
      expect(await udpExchange(topo, 'a', 'b', b.ip)).toBe(`hello from ${a.ip}`);
      expect(await udpExchange(topo, 'a', 'b', b.ip6!)).toBe(`hello from ${a.ip6}`);
      topo.addAddress('b', '198.18.7.20/24');
      topo.pinNeighbour('a', '198.18.7.20', 'b');
      expect(topo.exec('a', 'ip', ['neigh', 'show', '198.18.7.20'])).toContain(`lladdr ${topo.mac('b')} PERMANENT`);
      expect(await udpExchange(topo, 'a', 'b', '198.18.7.20')).toBe(`hello from ${a.ip}`);
      expect(() => topo!.addAddress('b', '203.0.113.1/24')).toThrow(/outside 198\.18\.0\.0\/15/);
      expect(() => topo!.host('c')).toThrow(`topology ${topo.id} has no host c`);
      expect(topo.leftovers().sort()).toEqual([a.netns, b.netns, topo.bridge, a.veth, b.veth].sort());
      topo.destroy();
      expect(namesWith(topo.id)).toEqual([]);
      expect(() => topo!.destroy()).not.toThrow();
    });

    test('ipv6 "off" switches it off inside the hosts too, and a second topology with the same id is refused', () => {
      topo = Topology.create([{ name: 'a', addr: '198.18.7.1/24' }], { ipv6: 'off' });
      expect(topo.exec('a', 'cat', ['/proc/sys/net/ipv6/conf/eth0/disable_ipv6']).trim()).toBe('1');
      expect(topo.exec('a', 'cat', ['/proc/sys/net/ipv6/conf/lo/disable_ipv6']).trim()).toBe('1');
      const id = topo.id;
      expect(() => Topology.create([{ name: 'z', addr: '198.18.7.9/24' }], { id })).toThrow(new RegExp(`topology ${id} already exists \\(.*nfb${id}`));
    });

    test('a create() that fails half-way removes what it made and throws the failing step', () => {
      const id = `f${Date.now().toString(16).slice(-5)}`;
      // A namespace name the kernel refuses: the second host fails after the bridge and the first host exist.
      const long = 'h'.repeat(300);
      expect(() =>
        Topology.create(
          [
            { name: 'a', addr: '198.18.7.1/24' },
            { name: long, addr: '198.18.7.2/24' },
          ],
          { id },
        ),
      ).toThrow(/^ip netns add nfscope-.*: Invalid netns name/);
      expect(namesWith(id)).toEqual([]);
    });
  },
  netnsTestProblem,
);
