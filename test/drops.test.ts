/**
 * End to end: real exporter, real kernel, real packets between test hosts.
 * A gNB host sends GTP-U-port datagrams to a UPF host where nothing listens
 * (NO_SOCKET) and datagrams with a wrong UDP checksum (UDP_CSUM); the exporter
 * must report exactly those counts under the UPF, with the gNB as peer, on N3.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { unclassifiedReasons } from '../exporter/src/drop-class';
import { kernelEnum } from '../exporter/src/kernel/bpf';
import { describeRoot, REPO, SEND_UDP, waitFor } from './lib/env';
import { startExporter, type RunningExporter } from './lib/exporter';
import { Topology } from './lib/netns';
import { Capture, tsharkFields } from './lib/tshark';

const TCP_CHURN = path.join(REPO, 'test/tools/tcp-churn.js');

interface Drop {
  nf: string;
  nf_type: string;
  peer_nf: string;
  interface: string;
  reason: string;
  class: string;
  count: number;
}

const GTPU_PORT = 2152;

/** Waits until the exporter has read the maps twice more (its status's last_read moved on by 2 s). */
async function twoMoreReads(e: RunningExporter): Promise<void> {
  const lastRead = async () => Date.parse((await e.getJson<{ last_read: string }>('/api/v1/status')).last_read);
  const was = await lastRead();
  await waitFor('two more reads of the maps', async () => ((await lastRead()) >= was + 2000 ? true : undefined));
}

/**
 * A /24 (and an IPv6 /64) for one describe block's hosts, random per run: drops are counted
 * system-wide, and other tests' hosts, on this machine at the same time, use 198.18.0.x.
 */
function runSubnet(): { v4: (host: number) => string; v6: (host: number) => string } {
  const net = 1 + Math.floor(Math.random() * 250);
  return { v4: (h) => `198.19.${net}.${h}`, v6: (h) => `2001:2:0:${net.toString(16)}::${h}` };
}

/** A drop between addresses no NF claims is some other test's (nf and peer both `unknown`). */
const ours = (d: Drop) => d.nf !== 'unknown';

const NO_SOCKET_COUNT = 17;
const BAD_CSUM_COUNT = 11;

describeRoot('kernel drop accounting', () => {
  const { v4, v6 } = runSubnet();
  let topo: Topology;
  let exporter: RunningExporter | undefined;

  beforeAll(async () => {
    topo = Topology.create([
      { name: 'gnb', addr: `${v4(1)}/24` },
      { name: 'upf', addr: `${v4(2)}/24`, addr6: `${v6(2)}/64` },
      { name: 'smf', addr: `${v4(3)}/24`, addr6: `${v6(3)}/64` },
    ]);
    exporter = await startExporter(`
node: test-node
interfaces: ["${topo.vethGlob}"]
program_stats: true
nfs:
  - { name: gnb-1, type: gNB, addresses: ["${v4(1)}"] }
  - { name: upf-1, type: UPF, addresses: ["${v4(2)}", "${v6(2)}"] }
  - { name: smf-1, type: SMF, addresses: ["${v4(3)}", "${v6(3)}"] }
`);
  });

  afterAll(async () => {
    await exporter?.stop();
    topo?.destroy();
  });

  const n3Drops = async (): Promise<Drop[]> => {
    const s = await exporter!.getJson<{ drops: Drop[] }>('/api/v1/summary?window=5m');
    return s.drops.filter((d) => d.interface === 'N3' && ours(d));
  };

  test('counts each drop reason exactly, under the NF the packets were addressed to', async () => {
    expect(await n3Drops()).toEqual([]);

    topo.exec('gnb', process.execPath, [SEND_UDP, '--to', v4(2), '--port', `${GTPU_PORT}`, '--count', `${NO_SOCKET_COUNT}`]);
    topo.exec('gnb', process.execPath, [SEND_UDP, '--to', v4(2), '--port', `${GTPU_PORT}`, '--count', `${BAD_CSUM_COUNT}`, '--bad-checksum']);

    const expected = [
      { nf: 'upf-1', nf_type: 'UPF', peer_nf: 'gnb-1', interface: 'N3', reason: 'NO_SOCKET', class: 'loss', count: NO_SOCKET_COUNT },
      { nf: 'upf-1', nf_type: 'UPF', peer_nf: 'gnb-1', interface: 'N3', reason: 'UDP_CSUM', class: 'loss', count: BAD_CSUM_COUNT },
    ];
    const byReason = (a: Drop, b: Drop) => a.reason.localeCompare(b.reason);
    await waitFor('both drop reasons in the summary', async () => {
      const d = await n3Drops();
      return d.reduce((n, x) => n + x.count, 0) >= NO_SOCKET_COUNT + BAD_CSUM_COUNT ? d : undefined;
    });
    // Two more reads of the maps: nothing is counted twice or late.
    await twoMoreReads(exporter!);
    expect((await n3Drops()).sort(byReason)).toEqual(expected);

    const metrics = await exporter!.getText('/metrics');
    for (const e of expected) {
      expect(metrics).toContain(`nfscope_packet_drops_total{nf="upf-1",nf_type="UPF",peer_nf="gnb-1",interface="N3",reason="${e.reason}",class="loss"} ${e.count}\n`);
    }
    // The tc programs on the hosts' veths saw every datagram once, however many interfaces it crossed.
    expect(metrics).toContain(`nfscope_packets_total{src_nf="gnb-1",dst_nf="upf-1",interface="N3"} ${NO_SOCKET_COUNT + BAD_CSUM_COUNT}\n`);
  });

  test('IPv6 drops are attributed the same way (PFCP port, N4)', async () => {
    const count = 9;
    topo.exec('smf', process.execPath, [SEND_UDP, '--to', v6(2), '--port', '8805', '--count', `${count}`]);
    const n4 = async () => (await exporter!.getJson<{ drops: Drop[] }>('/api/v1/summary?window=5m')).drops.filter((d) => d.interface === 'N4' && ours(d));
    await waitFor('IPv6 drops', async () => ((await n4()).length > 0 ? true : undefined));
    await twoMoreReads(exporter!);
    expect(await n4()).toEqual([{ nf: 'upf-1', nf_type: 'UPF', peer_nf: 'smf-1', interface: 'N4', reason: 'NO_SOCKET', class: 'loss', count }]);
  });

  test('a window that ends before the drops does not count them', async () => {
    await twoMoreReads(exporter!);
    const s = await exporter!.getJson<{ window_s: number; drops: Drop[] }>('/api/v1/summary?window=1s');
    expect(s.window_s).toBe(1);
    expect(s.drops.filter((d) => d.interface === 'N3' && ours(d))).toEqual([]);
  });

  test('status reports the programs, their attach points and run counts', async () => {
    const st = await exporter!.getJson<{
      node: string;
      program_stats: string;
      programs: { name: string; attach_points: string[]; run_count: number }[];
      interfaces: { name: string; mode: string }[];
    }>('/api/v1/status');
    expect(st.node).toBe('test-node');
    expect(st.program_stats).toBe('exporter');
    const drop = st.programs.find((p) => p.name === 'count_drop')!;
    expect(drop.attach_points).toEqual(['tp_btf/kfree_skb']);
    expect(drop.run_count).toBeGreaterThanOrEqual(NO_SOCKET_COUNT + BAD_CSUM_COUNT);
    const veths = [...topo.hosts.values()].map((h) => h.veth).sort();
    expect(st.interfaces.map((i) => i.name).sort()).toEqual(veths);
    const ingress = st.programs.find((p) => p.name === 'traffic_ingress')!;
    expect(ingress.attach_points.sort()).toEqual(veths.map((v) => `tc ingress ${v}`));
  });
});

/*
 * Drops that are not loss. dumpcap on the testbed bridge makes it promiscuous:
 * the bridge then hands every frame it forwards between two hosts to its own
 * stack too, which frees each one as OTHERHOST. Together with a few hundred
 * ordinary TCP connections between two hosts, that must give no loss drops at
 * all, while the UDP datagrams to a closed port and with a bad checksum sent
 * at the same time are still counted exactly as loss. The capture is also the
 * oracle: every IPv4 frame between the two hosts it holds is one OTHERHOST drop.
 */
describeRoot('drop classes under a promiscuous capture', () => {
  const { v4, v6 } = runSubnet();
  const GNB = v4(1);
  const UPF = v4(2);
  const UPF6 = v6(2);
  const TCP_PORT = 9000;
  const CONNECTIONS = 300;
  const CLOSED_PORT_COUNT = 23;
  const BAD_CSUM = 13;
  const MULTICAST = 7;
  let topo: Topology;
  let exporter: RunningExporter | undefined;
  let capture: Capture | undefined;
  let listener: ChildProcess | undefined;

  beforeAll(async () => {
    topo = Topology.create([
      { name: 'gnb', addr: `${GNB}/24` },
      { name: 'upf', addr: `${UPF}/24`, addr6: `${UPF6}/64` },
    ]);
    exporter = await startExporter(`
node: test-node
interfaces: ["${topo.vethGlob}"]
nfs:
  - { name: gnb-1, type: gNB, addresses: ["${GNB}"] }
  - { name: upf-1, type: UPF, addresses: ["${UPF}", "${UPF6}"] }
`);
  });

  afterAll(async () => {
    listener?.kill('SIGTERM');
    await capture?.stop().catch(() => undefined);
    capture?.remove();
    await exporter?.stop();
    topo?.destroy();
  });

  const nfDrops = async (): Promise<Drop[]> => {
    const s = await exporter!.getJson<{ drops: Drop[] }>('/api/v1/summary?window=15m');
    return s.drops.filter((d) => d.nf === 'gnb-1' || d.nf === 'upf-1');
  };
  const sum = (ds: Drop[]) => ds.reduce((n, d) => n + d.count, 0);

  test('the running kernel has no drop reason without a class', () => {
    const names = [...kernelEnum('skb_drop_reason').keys()];
    expect(names.length).toBeGreaterThan(60);
    expect(unclassifiedReasons(names)).toEqual([]);
    expect(exporter!.output()).not.toContain('counted as loss:');
  });

  test('a capture and short TCP connections give 0 loss drops; UDP to a closed port and bad checksums are still exact', async () => {
    expect(await nfDrops()).toEqual([]);
    capture = await Capture.start(topo.bridge, `ip and host ${GNB} and host ${UPF}`);
    expect(fs.readFileSync(`/sys/class/net/${topo.bridge}/flags`, 'utf8').trim()).toMatch(/^0x[0-9a-f]*[13579bdf][0-9a-f]{2}$/); // IFF_PROMISC (0x100)

    listener = spawn('ip', ['netns', 'exec', topo.host('upf').netns, process.execPath, TCP_CHURN, '--listen', UPF, '--port', `${TCP_PORT}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    listener.stdout!.on('data', (d) => (out += d));
    await waitFor('the TCP listener', () => (out.includes('listening') ? true : undefined));
    const done = topo.exec('gnb', process.execPath, [TCP_CHURN, '--connect', UPF, '--port', `${TCP_PORT}`, '--count', `${CONNECTIONS}`], 60000);
    expect(Number(done)).toBe(CONNECTIONS);
    topo.exec('gnb', process.execPath, [SEND_UDP, '--to', UPF, '--port', `${GTPU_PORT}`, '--count', `${CLOSED_PORT_COUNT}`]);
    topo.exec('gnb', process.execPath, [SEND_UDP, '--to', UPF, '--port', `${GTPU_PORT}`, '--count', `${BAD_CSUM}`, '--bad-checksum']);

    const file = await capture.stop();
    const frames = tsharkFields(file, `ip.addr == ${GNB} && ip.addr == ${UPF}`, ['frame.number']).length;
    // 300 connections of at least a handshake, a request, a reply and two FINs, and the datagrams
    expect(frames).toBeGreaterThanOrEqual(CONNECTIONS * 6 + CLOSED_PORT_COUNT + BAD_CSUM);

    const benign = (ds: Drop[]) => ds.filter((d) => d.class === 'benign');
    const loss = (ds: Drop[]) => ds.filter((d) => d.class === 'loss');
    await waitFor(
      'every captured frame as a benign drop, and the datagrams as loss',
      async () => {
        const d = await nfDrops();
        return sum(benign(d)) >= frames && sum(loss(d)) >= CLOSED_PORT_COUNT + BAD_CSUM ? d : undefined;
      },
      20000,
    );
    await twoMoreReads(exporter!);
    const drops = await nfDrops();
    const byCount = (a: Drop, b: Drop) => b.count - a.count || a.reason.localeCompare(b.reason);
    expect(loss(drops).sort(byCount)).toEqual([
      { nf: 'upf-1', nf_type: 'UPF', peer_nf: 'gnb-1', interface: 'N3', reason: 'NO_SOCKET', class: 'loss', count: CLOSED_PORT_COUNT },
      { nf: 'upf-1', nf_type: 'UPF', peer_nf: 'gnb-1', interface: 'N3', reason: 'UDP_CSUM', class: 'loss', count: BAD_CSUM },
    ]);
    // Each frame the bridge forwarded while promiscuous is one OTHERHOST drop, under whichever NF it was for.
    expect(benign(drops).map((d) => d.reason)).toEqual(benign(drops).map(() => 'OTHERHOST'));
    expect(sum(benign(drops))).toBe(frames);
    expect(benign(drops).find((d) => d.interface === 'N3' && d.nf === 'upf-1')!.count).toBe(CLOSED_PORT_COUNT + BAD_CSUM);
    console.log(
      `drops by class under a promiscuous capture (${CONNECTIONS} TCP connections, ${CLOSED_PORT_COUNT + BAD_CSUM} bad datagrams, ${frames} IPv4 frames captured): ` +
        `benign ${sum(benign(drops))} (${[...new Set(benign(drops).map((d) => d.reason))].join(', ')}), loss ${sum(loss(drops))} (${loss(drops)
          .map((d) => `${d.reason} ${d.count}`)
          .join(', ')})`,
    );

    // The metric and the class filter of the query API agree.
    const metrics = await exporter!.getText('/metrics');
    const series = metrics.split('\n').filter((l) => l.startsWith('nfscope_packet_drops_total{') && /nf="(gnb|upf)-1"/.test(l));
    const total = (cls: string) => series.filter((l) => l.includes(`class="${cls}"`)).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    expect(total('loss')).toBe(CLOSED_PORT_COUNT + BAD_CSUM);
    expect(total('benign')).toBe(frames);
    const q = await exporter!.getJson<{ frames: { fields: { labels?: Record<string, string>; values: number[] }[] }[] }>(
      `/api/v1/query?kind=drops&from=now-15m&step=15m&filter=class=loss&filter=nf=~${encodeURIComponent('(gnb|upf)-1')}&group_by=class`,
    );
    expect(q.frames.map((f) => f.fields[1].labels)).toEqual([{ class: 'loss' }]);
    const perSecond = q.frames[0].fields[1].values.reduce((a, b) => a + (b ?? 0), 0);
    expect(Math.round(perSecond * 900)).toBe(CLOSED_PORT_COUNT + BAD_CSUM);
  });

  test('an unspecified drop is named by the kernel function that freed the packet', async () => {
    // IPv6 multicast to a group no host joined, from the UPF's address: each receiving
    // stack (the other host's, the bridge's own) frees it in ip6_mc_input without a reason.
    topo.exec('upf', process.execPath, [
      '-e',
      `const s = require('dgram').createSocket('udp6');
       s.bind(0, '${UPF6}', async () => {
         s.setMulticastLoopback(false);
         for (let i = 0; i < ${MULTICAST}; i++) await new Promise((r) => s.send('x', 9, 'ff02::6e66:1%eth0', r));
         s.close();
       });`,
    ]);
    const unspecified = async () => (await nfDrops()).filter((d) => d.reason.startsWith('NOT_SPECIFIED'));
    await waitFor('the multicast drops', async () => (sum(await unspecified()) >= MULTICAST ? true : undefined));
    await twoMoreReads(exporter!);
    const d = await unspecified();
    expect(d.map(({ count: _count, ...rest }) => rest)).toEqual([{ nf: 'upf-1', nf_type: 'UPF', peer_nf: 'unknown', interface: 'other', reason: 'NOT_SPECIFIED@ip6_mc_input', class: 'loss' }]);
    // One per receiving stack and datagram: the gNB host's and the bridge's.
    expect(d[0].count).toBe(2 * MULTICAST);
  });
});
