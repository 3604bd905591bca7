/**
 * End to end: real exporter, real kernel, real packets between test hosts.
 * A gNB host sends GTP-U-port datagrams to a UPF host where nothing listens
 * (NO_SOCKET) and datagrams with a wrong UDP checksum (UDP_CSUM); the exporter
 * must report exactly those counts under the UPF, with the gNB as peer, on N3.
 */
import { describeRoot, SEND_UDP, waitFor } from './lib/env';
import { startExporter, type RunningExporter } from './lib/exporter';
import { Topology } from './lib/netns';

interface Drop {
  nf: string;
  nf_type: string;
  peer_nf: string;
  interface: string;
  reason: string;
  count: number;
}

const GTPU_PORT = 2152;
const NO_SOCKET_COUNT = 17;
const BAD_CSUM_COUNT = 11;

describeRoot('kernel drop accounting', () => {
  let topo: Topology;
  let exporter: RunningExporter | undefined;

  beforeAll(async () => {
    topo = Topology.create([
      { name: 'gnb', addr: '198.18.0.1/24' },
      { name: 'upf', addr: '198.18.0.2/24', addr6: '2001:2::2/64' },
      { name: 'smf', addr: '198.18.0.3/24', addr6: '2001:2::3/64' },
    ]);
    exporter = await startExporter(`
node: test-node
interfaces: ["${topo.vethGlob}"]
program_stats: true
nfs:
  - { name: gnb-1, type: gNB, addresses: ["198.18.0.1"] }
  - { name: upf-1, type: UPF, addresses: ["198.18.0.2", "2001:2::2"] }
  - { name: smf-1, type: SMF, addresses: ["198.18.0.3", "2001:2::3"] }
`);
  });

  afterAll(async () => {
    await exporter?.stop();
    topo?.destroy();
  });

  const n3Drops = async (): Promise<Drop[]> => {
    const s = await exporter!.getJson<{ drops: Drop[] }>('/api/v1/summary?window=5m');
    return s.drops.filter((d) => d.interface === 'N3');
  };

  test('counts each drop reason exactly, under the NF the packets were addressed to', async () => {
    expect(await n3Drops()).toEqual([]);

    topo.exec('gnb', process.execPath, [SEND_UDP, '--to', '198.18.0.2', '--port', `${GTPU_PORT}`, '--count', `${NO_SOCKET_COUNT}`]);
    topo.exec('gnb', process.execPath, [SEND_UDP, '--to', '198.18.0.2', '--port', `${GTPU_PORT}`, '--count', `${BAD_CSUM_COUNT}`, '--bad-checksum']);

    const expected = [
      { nf: 'upf-1', nf_type: 'UPF', peer_nf: 'gnb-1', interface: 'N3', reason: 'NO_SOCKET', count: NO_SOCKET_COUNT },
      { nf: 'upf-1', nf_type: 'UPF', peer_nf: 'gnb-1', interface: 'N3', reason: 'UDP_CSUM', count: BAD_CSUM_COUNT },
    ];
    const byReason = (a: Drop, b: Drop) => a.reason.localeCompare(b.reason);
    await waitFor('both drop reasons in the summary', async () => {
      const d = await n3Drops();
      return d.reduce((n, x) => n + x.count, 0) >= NO_SOCKET_COUNT + BAD_CSUM_COUNT ? d : undefined;
    });
    // Two more reads of the maps: nothing is counted twice or late.
    await new Promise((r) => setTimeout(r, 2200));
    expect((await n3Drops()).sort(byReason)).toEqual(expected);

    const metrics = await exporter!.getText('/metrics');
    for (const e of expected) {
      expect(metrics).toContain(
        `nfscope_packet_drops_total{nf="upf-1",nf_type="UPF",peer_nf="gnb-1",interface="N3",reason="${e.reason}"} ${e.count}\n`,
      );
    }
    // The tc programs on the hosts' veths saw every datagram once, however many interfaces it crossed.
    expect(metrics).toContain(`nfscope_packets_total{src_nf="gnb-1",dst_nf="upf-1",interface="N3"} ${NO_SOCKET_COUNT + BAD_CSUM_COUNT}\n`);
  });

  test('IPv6 drops are attributed the same way (PFCP port, N4)', async () => {
    const count = 9;
    topo.exec('smf', process.execPath, [SEND_UDP, '--to', '2001:2::2', '--port', '8805', '--count', `${count}`]);
    const n4 = async () => (await exporter!.getJson<{ drops: Drop[] }>('/api/v1/summary?window=5m')).drops.filter((d) => d.interface === 'N4');
    await waitFor('IPv6 drops', async () => ((await n4()).length > 0 ? true : undefined));
    await new Promise((r) => setTimeout(r, 2200));
    expect(await n4()).toEqual([{ nf: 'upf-1', nf_type: 'UPF', peer_nf: 'smf-1', interface: 'N4', reason: 'NO_SOCKET', count }]);
  });

  test('a window that ends before the drops does not count them', async () => {
    await new Promise((r) => setTimeout(r, 2100));
    const s = await exporter!.getJson<{ window_s: number; drops: Drop[] }>('/api/v1/summary?window=1s');
    expect(s.window_s).toBe(1);
    expect(s.drops.filter((d) => d.interface === 'N3')).toEqual([]);
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
