import { exporterConfigYaml } from './exporter-config';
import { planAgents, TEID, type PlanNf } from './plan';
import { graceMs, resolveScenario } from './scenario';
import { TESTBED_NFS } from './testbed';

const nfs: PlanNf[] = TESTBED_NFS.map((nf, i) => ({ ...nf, netns: `nfsim-abcdef-${nf.name}`, ipv4: `198.18.0.${i + 1}`, ipv6: `2001:2::${i + 1}` }));

describe('agent plan', () => {
  test('one PFCP agent per SMF/UPF, GTP-U agents on the gNB and UPFs, with the scenario split between them', () => {
    const s = resolveScenario({ seed: 4, durationMs: 5000, pfcp: { t1Ms: 200 }, ngap: { enabled: false }, sbi: { registrationsPerSecond: 0, nrfHeartbeatMs: 0 } });
    const agents = planAgents(nfs, s, 'abcdef');
    expect(agents.map((a) => `${a.script}@${a.nf}`)).toEqual(['pfcp-agent@smf-1', 'pfcp-agent@upf-1', 'pfcp-agent@upf-2', 'gtpu-agent@gnb-1', 'gtpu-agent@upf-1', 'gtpu-agent@upf-2']);
    for (const a of agents) {
      expect(a.netns).toBe(`nfsim-abcdef-${a.nf}`);
      expect(a.args).toMatchObject({ runId: 'abcdef', seed: 4, durationMs: 5000, graceMs: graceMs(s) });
      expect(a.args.nfs).toHaveLength(9);
    }
    const [smf, upf1, , gnb, gupf1, gupf2] = agents;
    expect(smf.script === 'pfcp-agent' && smf.args).toMatchObject({
      role: 'SMF',
      address: '198.18.0.3',
      peers: [
        { name: 'upf-1', address: '198.18.0.4' },
        { name: 'upf-2', address: '198.18.0.5' },
      ],
    });
    expect(upf1.script === 'pfcp-agent' && upf1.args).toMatchObject({ role: 'UPF', peers: [{ name: 'smf-1', type: 'SMF', address: '198.18.0.3' }] });
    expect(smf.script === 'pfcp-agent' && smf.args.behaviours.Heartbeat.rejectRate).toBe(0);
    expect(gnb.script === 'gtpu-agent' && gnb.args).toMatchObject({
      echo: { peers: [{ name: 'upf-1', interface: 'N3' }], intervalMs: 1000 },
      send: [{ to: { name: 'upf-1' }, interface: 'N3', teid: TEID.n3Uplink, perSecond: 100, size: 200, qfi: 9 }],
    });
    expect(gupf1.script === 'gtpu-agent' && gupf1.args).toMatchObject({
      echo: { peers: [{ name: 'upf-2', interface: 'N9' }] },
      receive: [{ teid: TEID.n3Uplink, interface: 'N3' }],
      forward: [{ inTeid: TEID.n3Uplink, to: { name: 'upf-2' }, interface: 'N9', teid: TEID.n9Uplink }],
    });
    expect(gupf2.script === 'gtpu-agent' && gupf2.args).toMatchObject({ echo: { peers: [] }, receive: [{ teid: TEID.n9Uplink, interface: 'N9' }] });
  });

  test('without N9, upf-1 terminates the tunnel and upf-2 has no GTP-U agent; IPv6 addresses with ipFamily 6', () => {
    const agents = planAgents(nfs, resolveScenario({ ipFamily: 6, gtpu: { n9: false, echoIntervalMs: 0 }, ngap: { enabled: false }, sbi: { registrationsPerSecond: 0, nrfHeartbeatMs: 0 } }), 'abcdef');
    expect(agents.map((a) => `${a.script}@${a.nf}`)).toEqual(['pfcp-agent@smf-1', 'pfcp-agent@upf-1', 'pfcp-agent@upf-2', 'gtpu-agent@gnb-1', 'gtpu-agent@upf-1']);
    expect(agents[0].args.address).toBe('2001:2::3');
    expect(agents[3].script === 'gtpu-agent' && agents[3].args.echo.peers).toEqual([]);
    expect(agents[4].script === 'gtpu-agent' && agents[4].args.forward).toEqual([]);
  });

  test('ipFamily 6 on a testbed without IPv6 is refused clearly', () => {
    const v4only = nfs.map(({ ipv6: _drop, ...nf }) => nf);
    expect(() => planAgents(v4only, resolveScenario({ ipFamily: 6 }), 'abcdef')).toThrow(/ipFamily 6: smf-1 has no IPv6 address \(create the testbed with ipv6: true\)/);
    expect(() =>
      planAgents(
        nfs.filter((n) => n.name !== 'upf-2'),
        resolveScenario({}),
        'abcdef',
      ),
    ).toThrow(/no NF upf-2/);
  });
});

describe('exporter configuration', () => {
  test('veth glob, every NF with its addresses, extras', () => {
    const yaml = exporterConfigYaml('abcdef', 'nfvabcdef*', [{ name: 'smf-1', type: 'SMF', addresses: ['198.18.0.3', '2001:2::3'] }], 'host-1', { peers: ['10.0.0.2:9810'], requestTimeout: '5s' });
    expect(yaml).toBe(
      [
        '# nfscope exporter configuration for testbed abcdef (written by nfscope testbed)',
        'node: "host-1"',
        'interfaces: ["nfvabcdef*"]',
        'nfs:',
        '  - { name: "smf-1", type: "SMF", addresses: ["198.18.0.3", "2001:2::3"] }',
        'peers: ["10.0.0.2:9810"]',
        'request_timeout: "5s"',
        '',
      ].join('\n'),
    );
    expect(exporterConfigYaml('abcdef', 'g*', [], 'bad host name!')).toContain('node: "testbed"');
    expect(exporterConfigYaml('abcdef', 'g*', [], 'h', { node: 'n1', interfaces: ['eth0'] })).toContain('node: "n1"\ninterfaces: ["g*", "eth0"]');
  });
});
