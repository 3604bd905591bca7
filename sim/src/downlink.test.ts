import * as G from './gtpu';
import { ethernetIpv4Udp } from './pcap';
import { planAgents, TEID, type PlanNf } from './plan';
import { estimatePacketsPerSecond, resolveScenario } from './scenario';
import { TESTBED_NFS } from './testbed';
import { testWithTshark, tsharkFields } from './test-helpers/tshark';

const nfs: PlanNf[] = TESTBED_NFS.map((nf, i) => ({ ...nf, netns: `nfsim-abcdef-${nf.name}`, ipv4: `198.18.0.${i + 1}` }));
const gtpuArgs = (agents: ReturnType<typeof planAgents>, nf: string) => {
  const a = agents.find((x) => x.nf === nf && x.script === 'gtpu-agent');
  return a?.script === 'gtpu-agent' ? a.args : undefined;
};

describe('downlink G-PDUs', () => {
  test('DL PDU Session Information (PDU type 0) and a T-PDU from the data network to the UE', () => {
    const b = G.gpdu(0x300, G.downlinkTpdu(60), { qfi: 5, downlink: true });
    const m = G.decodeGtpu(b);
    expect(m.extensions).toEqual([{ type: 0x85, content: Buffer.from([0x00, 5]) }]);
    expect([...m.payload.subarray(12, 20)]).toEqual([198, 19, 255, 1, 198, 19, 0, 2]);
    expect(m.payload.length).toBe(60);
  });

  test('with N9, upf-2 originates, upf-1 forwards to gnb-1 on N3; without, upf-1 sends; none by default', () => {
    const s = resolveScenario({ gtpu: { downlinkGpduPerSecond: 40, gpduSize: 300 }, ngap: { enabled: false } });
    const agents = planAgents(nfs, s, 'abcdef');
    expect(gtpuArgs(agents, 'upf-2')?.send).toEqual([
      { to: { name: 'upf-1', type: 'UPF', address: '198.18.0.4' }, interface: 'N9', teid: TEID.n9Downlink, perSecond: 40, size: 300, qfi: 9, downlink: true },
    ]);
    expect(gtpuArgs(agents, 'upf-1')?.receive).toContainEqual({ teid: TEID.n9Downlink, interface: 'N9' });
    expect(gtpuArgs(agents, 'upf-1')?.forward).toContainEqual({ inTeid: TEID.n9Downlink, to: { name: 'gnb-1', type: 'gNB', address: '198.18.0.1' }, interface: 'N3', teid: TEID.n3Downlink });
    expect(gtpuArgs(agents, 'gnb-1')?.receive).toEqual([{ teid: TEID.n3Downlink, interface: 'N3' }]);
    // 40/s downlink plus 100/s uplink, each over two hops.
    expect(estimatePacketsPerSecond(s).gpdu).toBe(280);

    const direct = planAgents(nfs, resolveScenario({ gtpu: { downlinkGpduPerSecond: 40, n9: false } }), 'abcdef');
    expect(gtpuArgs(direct, 'upf-1')?.send).toMatchObject([{ to: { name: 'gnb-1' }, interface: 'N3', teid: TEID.n3Downlink, downlink: true }]);
    expect(gtpuArgs(planAgents(nfs, resolveScenario({}), 'abcdef'), 'gnb-1')?.receive).toEqual([]);
  });

  testWithTshark('tshark reads the downlink PDU type and QFI', () => {
    const frame = ethernetIpv4Udp({ src: '198.18.0.4', dst: '198.18.0.1', srcPort: 2152, dstPort: 2152, payload: G.gpdu(0x300, G.downlinkTpdu(100), { qfi: 7, downlink: true }) });
    const rows = tsharkFields([{ timeNs: 1n, frame }], ['gtp.teid', 'gtp.ext_hdr.pdu_ses_con.pdu_type', 'gtp.ext_hdr.pdu_ses_con.qos_flow_id', 'ip.src', '_ws.malformed']);
    expect(rows).toEqual([['0x00000300', '0', '7', '198.18.0.4,198.19.255.1', '']]);
  });
});
