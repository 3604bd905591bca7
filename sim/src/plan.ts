/**
 * Which agent runs in which namespace, with which arguments: the scenario
 * turned into processes. Pure: the testbed's NFs and a scenario in, agent
 * specifications out.
 */
import type { Behaviour } from './behaviour';
import type { GtpuAgentArgs } from './agents/gtpu-agent';
import type { NgapAgentArgs } from './agents/ngap-agent';
import type { PfcpAgentArgs } from './agents/pfcp-agent';
import type { NfRef } from './agents/runtime';
import { PFCP_PROCEDURES, type PfcpProcedure } from './pfcp';
import { NGAP_PROCEDURE_NAMES, type NgapProcedure } from './ngap';
import { graceMs, ngapBehaviour, pfcpBehaviour, type Scenario } from './scenario';
import type { SbiAgentArgs } from './agents/sbi-agent';
import { planSbiAgents } from './sbi';

export interface PlanNf {
  name: string;
  type: string;
  netns: string;
  ipv4: string;
  ipv6?: string;
}

export type AgentSpec =
  | { nf: string; netns: string; script: 'pfcp-agent'; args: PfcpAgentArgs }
  | { nf: string; netns: string; script: 'gtpu-agent'; args: GtpuAgentArgs }
  | { nf: string; netns: string; script: 'ngap-agent'; args: NgapAgentArgs }
  | { nf: string; netns: string; script: 'sbi-agent'; args: SbiAgentArgs };

/** TEIDs of the simulated PDU session's tunnels (chosen by the receiving side). */
export const TEID = { n3Uplink: 0x00000100, n9Uplink: 0x00000200, n3Downlink: 0x00000300, n9Downlink: 0x00000400 } as const;

/** The NFs the traffic needs, by name. */
export const REQUIRED_NFS = ['gnb-1', 'smf-1', 'upf-1', 'upf-2'] as const;

export function planAgents(nfs: readonly PlanNf[], s: Scenario, runId: string): AgentSpec[] {
  const find = (name: string): PlanNf => {
    const nf = nfs.find((n) => n.name === name);
    if (!nf) throw new Error(`the testbed has no NF ${name} (the simulator needs ${REQUIRED_NFS.join(', ')})`);
    return nf;
  };
  const addressOf = (nf: PlanNf): string => {
    if (s.ipFamily === 4) return nf.ipv4;
    if (!nf.ipv6) throw new Error(`scenario ipFamily 6: ${nf.name} has no IPv6 address (create the testbed with ipv6: true)`);
    return nf.ipv6;
  };
  const ref = (nf: PlanNf): NfRef => ({ name: nf.name, type: nf.type, address: addressOf(nf) });
  const all = nfs.filter((nf) => s.ipFamily === 4 || nf.ipv6).map(ref);
  const common = (nf: PlanNf) => ({ runId, name: nf.name, type: nf.type, address: addressOf(nf), seed: s.seed, durationMs: s.durationMs, graceMs: graceMs(s), nfs: all });

  const [gnb, smf, upf1, upf2] = REQUIRED_NFS.map(find);
  const { t1Ms, n1, heartbeatIntervalMs, sessionsPerSecond, sessionHoldMs, reportsPerSecond } = s.pfcp;
  const pfcpParams = { t1Ms, n1, heartbeatIntervalMs, sessionsPerSecond, sessionHoldMs, reportsPerSecond };
  const behaviours = Object.fromEntries(PFCP_PROCEDURES.map((p) => [p, pfcpBehaviour(s, p)])) as Record<PfcpProcedure, Behaviour>;
  const pfcpAgent = (nf: PlanNf, role: 'SMF' | 'UPF', peers: PlanNf[]): AgentSpec => ({
    nf: nf.name,
    netns: nf.netns,
    script: 'pfcp-agent',
    args: { ...common(nf), role, peers: peers.map(ref), pfcp: pfcpParams, behaviours },
  });

  const g = s.gtpu;
  const echo = (peers: Array<[PlanNf, 'N3' | 'N9']>) => ({
    peers: g.echoIntervalMs > 0 ? peers.map(([nf, i]) => ({ ...ref(nf), interface: i })) : [],
    intervalMs: g.echoIntervalMs,
    t3Ms: g.t3Ms,
    n3: g.n3,
  });
  const echoResponder: Behaviour = { ...g.responder, rejectRate: 0, rejectCauses: [] };
  const gtpuAgent = (nf: PlanNf, a: Pick<GtpuAgentArgs, 'echo' | 'send' | 'receive' | 'forward'>): AgentSpec => ({
    nf: nf.name,
    netns: nf.netns,
    script: 'gtpu-agent',
    args: { ...common(nf), responder: echoResponder, ...a },
  });
  const uplink = g.gpduPerSecond > 0;

  const agents: AgentSpec[] = [pfcpAgent(smf, 'SMF', [upf1, upf2]), pfcpAgent(upf1, 'UPF', [smf]), pfcpAgent(upf2, 'UPF', [smf])];
  agents.push(
    gtpuAgent(gnb, {
      echo: echo([[upf1, 'N3']]),
      send: uplink ? [{ to: ref(upf1), interface: 'N3', teid: TEID.n3Uplink, perSecond: g.gpduPerSecond, size: g.gpduSize, qfi: g.qfi }] : [],
      receive: [],
      forward: [],
    }),
    gtpuAgent(upf1, {
      echo: echo(g.n9 ? [[upf2, 'N9']] : []),
      send: [],
      receive: [{ teid: TEID.n3Uplink, interface: 'N3' }],
      forward: g.n9 ? [{ inTeid: TEID.n3Uplink, to: ref(upf2), interface: 'N9', teid: TEID.n9Uplink }] : [],
    }),
  );
  if (g.n9) agents.push(gtpuAgent(upf2, { echo: echo([]), send: [], receive: [{ teid: TEID.n9Uplink, interface: 'N9' }], forward: [] }));

  // Downlink G-PDUs: from the anchor UPF (upf-2 behind N9, else upf-1) to gnb-1, through upf-1.
  if (g.downlinkGpduPerSecond > 0) {
    const args = (nf: PlanNf): GtpuAgentArgs => {
      const a = agents.find((x) => x.nf === nf.name && x.script === 'gtpu-agent');
      if (!a || a.script !== 'gtpu-agent') throw new Error(`no GTP-U agent on ${nf.name}`);
      return a.args;
    };
    const flow = (to: PlanNf, i: 'N3' | 'N9', teid: number) => ({ to: ref(to), interface: i, teid, perSecond: g.downlinkGpduPerSecond, size: g.gpduSize, qfi: g.qfi, downlink: true });
    args(gnb).receive.push({ teid: TEID.n3Downlink, interface: 'N3' });
    if (g.n9) {
      args(upf2).send.push(flow(upf1, 'N9', TEID.n9Downlink));
      args(upf1).receive.push({ teid: TEID.n9Downlink, interface: 'N9' });
      args(upf1).forward.push({ inTeid: TEID.n9Downlink, to: ref(gnb), interface: 'N3', teid: TEID.n3Downlink });
    } else args(upf1).send.push(flow(gnb, 'N3', TEID.n3Downlink));
  }

  // N2: NGAP over SCTP between gnb-1 and amf-1.
  if (s.ngap.enabled) {
    const amf = find('amf-1');
    const { uesPerSecond, ueHoldMs, responseTimeoutMs, sackDelayMs, sackEveryPackets } = s.ngap;
    const ngapBehaviours = Object.fromEntries(NGAP_PROCEDURE_NAMES.map((p) => [p, ngapBehaviour(s, p)])) as Record<NgapProcedure, Behaviour>;
    const ngapAgent = (nf: PlanNf, role: 'gNB' | 'AMF', peer: PlanNf): AgentSpec => ({
      nf: nf.name,
      netns: nf.netns,
      script: 'ngap-agent',
      args: { ...common(nf), role, peer: ref(peer), ngap: { uesPerSecond, ueHoldMs, responseTimeoutMs, sackDelayMs, sackEveryPackets }, behaviours: ngapBehaviours },
    });
    agents.push(ngapAgent(gnb, 'gNB', amf), ngapAgent(amf, 'AMF', gnb));
  }

  // SBI (sbi.ts): the core's NFs over HTTP/2, unless the scenario turns it off.
  agents.push(
    ...planSbiAgents(
      nfs.filter((nf) => s.ipFamily === 4 || nf.ipv6),
      s.sbi,
      common,
      ref,
    ),
  );
  return agents;
}
