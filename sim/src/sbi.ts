/**
 * SBI traffic of the testbed: HTTP/2 cleartext (prior knowledge) between the
 * core's NFs, on Node's http2 module. What is asked of whom, how the
 * producers answer, and how the consumers connect. Pure: the agent
 * (agents/sbi-agent.ts) does the I/O.
 *
 * Call flow per UE registration (TS 23.502 §4.2.2.2, simplified), each step
 * after the previous one's response:
 *   AMF → NRF   GET   /nnrf-disc/v1/nf-instances?target-nf-type=AUSF   discovery
 *   AMF → AUSF  POST  /nausf-auth/v1/ue-authentications                  201
 *   AMF → AUSF  PUT   /nausf-auth/v1/ue-authentications/ID/5g-aka-confirmation
 *   AMF → NRF   GET   /nnrf-disc/v1/nf-instances?target-nf-type=UDM
 *   AMF → UDM   PUT   /nudm-uecm/v1/SUPI/registrations/amf-3gpp-access  201
 *   AMF → UDM   GET   /nudm-sdm/v2/SUPI/am-data
 *   AMF → SMF   POST  /nsmf-pdusession/v1/sm-contexts                    201, after
 *     SMF → PCF POST  /npcf-smpolicycontrol/v1/sm-policies               201
 * Every NF registers with the NRF at start (PUT /nnrf-nfm/v1/nf-instances/ID,
 * 201) and sends heartbeats (PATCH, 204).
 */
import type { Behaviour } from './behaviour';
import type { Distribution } from './distributions';
import type { SbiAgentArgs } from './agents/sbi-agent';
import type { CommonArgs, NfRef } from './agents/runtime';

export const SBI_PORT = 7777;
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export const SBI_METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** How a consumer NF connects: one connection per producer kept open (Open5GS), or a new one per request (free5GC). */
export type SbiConnections = 'long' | 'short';

export interface SbiResponder {
  /** Processing delay before the response HEADERS. */
  delay: Distribution;
  /** Probability of answering with an error status instead of the success status. */
  errorRate: number;
  /** Error statuses, picked uniformly (400, 404, 500 are in the HPACK static table; 403, 503 are not). */
  errorStatuses: number[];
  /** Probability of never answering (the consumer cancels the stream after timeoutMs). */
  noResponseRate: number;
}

export interface SbiScenario {
  /** UE registrations per second started by amf-1 (the call flow above); 0 = none. */
  registrationsPerSecond: number;
  /** NRF heartbeat (PATCH) of every NF, in ms; 0 = registration only. */
  nrfHeartbeatMs: number;
  /** Consumer → how it connects, by consumer NF type; types not listed keep connections open. */
  connections: Partial<Record<'AMF' | 'SMF' | 'AUSF' | 'UDM' | 'PCF', SbiConnections>>;
  /** How producers answer, and per producer NF type overrides, field by field. */
  responder: SbiResponder;
  producers: Partial<Record<'NRF' | 'AUSF' | 'UDM' | 'SMF' | 'PCF', Partial<SbiResponder>>>;
  /** A consumer cancels a stream (RST_STREAM) that got no response in this time. */
  timeoutMs: number;
  port: number;
}

export const DEFAULT_SBI: Readonly<SbiScenario> = Object.freeze({
  registrationsPerSecond: 1,
  nrfHeartbeatMs: 5000,
  connections: { AMF: 'short', SMF: 'long' },
  responder: { delay: { kind: 'lognormal', medianMs: 3, sigma: 0.5 }, errorRate: 0, errorStatuses: [500], noResponseRate: 0 },
  producers: {},
  timeoutMs: 3000,
  port: SBI_PORT,
}) as SbiScenario;

/** The NF types that serve SBI requests in the testbed, and those that only consume. */
export const SBI_PRODUCERS = ['NRF', 'AUSF', 'UDM', 'SMF', 'PCF'] as const;
export const SBI_NF_TYPES = ['AMF', 'SMF', 'NRF', 'AUSF', 'UDM', 'PCF'] as const;

/** One request of a flow: to which producer type, what, and the status a success carries. */
export interface SbiStep {
  to: (typeof SBI_PRODUCERS)[number];
  method: HttpMethod;
  /** `{ue}` stands for the UE's SUPI, `{id}` for a per-request id. */
  path: string;
  success: number;
  body: boolean;
}

export const UE_REGISTRATION: readonly SbiStep[] = [
  { to: 'NRF', method: 'GET', path: '/nnrf-disc/v1/nf-instances?target-nf-type=AUSF&requester-nf-type=AMF', success: 200, body: false },
  { to: 'AUSF', method: 'POST', path: '/nausf-auth/v1/ue-authentications', success: 201, body: true },
  { to: 'AUSF', method: 'PUT', path: '/nausf-auth/v1/ue-authentications/{id}/5g-aka-confirmation', success: 200, body: true },
  { to: 'NRF', method: 'GET', path: '/nnrf-disc/v1/nf-instances?target-nf-type=UDM&requester-nf-type=AMF', success: 200, body: false },
  { to: 'UDM', method: 'PUT', path: '/nudm-uecm/v1/{ue}/registrations/amf-3gpp-access', success: 201, body: true },
  { to: 'UDM', method: 'GET', path: '/nudm-sdm/v2/{ue}/am-data', success: 200, body: false },
  { to: 'SMF', method: 'POST', path: '/nsmf-pdusession/v1/sm-contexts', success: 201, body: true },
];
/** What the SMF asks the PCF for while it creates an SM context (before it answers the AMF). */
export const SM_POLICY: SbiStep = { to: 'PCF', method: 'POST', path: '/npcf-smpolicycontrol/v1/sm-policies', success: 201, body: true };
export const NRF_REGISTER: SbiStep = { to: 'NRF', method: 'PUT', path: '/nnrf-nfm/v1/nf-instances/{id}', success: 201, body: true };
export const NRF_HEARTBEAT: SbiStep = { to: 'NRF', method: 'PATCH', path: '/nnrf-nfm/v1/nf-instances/{id}', success: 204, body: true };

/** The success status of a request, from what it asks (the producer side of the table above). */
export function successStatus(method: string, path: string): number {
  if (path.startsWith('/nnrf-nfm/')) return method === 'PUT' ? 201 : 204;
  if (method === 'POST') return 201;
  if (method === 'PUT' && path.includes('/registrations/')) return 201;
  if (method === 'DELETE' || method === 'PATCH') return 204;
  return 200;
}

/** A producer's behaviour as the generic responder decision (behaviour.ts) sees it: an error status is a "reject". */
export function sbiBehaviour(s: SbiScenario, producerType: string): Behaviour {
  const r = { ...s.responder, ...(s.producers[producerType as keyof SbiScenario['producers']] ?? {}) };
  return { delay: r.delay, rejectRate: r.errorRate, rejectCauses: r.errorStatuses, noResponseRate: r.noResponseRate, dropFirstCopyRate: 0 };
}

/** Requests per second the scenario makes, for the packet-rate estimate: about 4 packets each (HEADERS, DATA, their ACKs). */
export function estimateSbiRequestsPerSecond(s: SbiScenario, nfs = 5): number {
  return s.registrationsPerSecond * (UE_REGISTRATION.length + 1) + (s.nrfHeartbeatMs > 0 ? (nfs * 1000) / s.nrfHeartbeatMs : 0);
}

export const HTTP_STATUS_MIN = 100;
export const HTTP_STATUS_MAX = 599;

/** Whether the scenario makes SBI traffic at all (otherwise no SBI agent runs). */
export function sbiEnabled(s: SbiScenario): boolean {
  return s.registrationsPerSecond > 0 || s.nrfHeartbeatMs > 0;
}

/**
 * One SBI agent per NF of the testbed whose type takes part (sbi.ts), with
 * the producers it talks to: the first NF of each producer type.
 */
export function planSbiAgents<N extends { name: string; type: string; netns: string }>(
  nfs: readonly N[],
  s: SbiScenario,
  common: (nf: N) => CommonArgs,
  ref: (nf: N) => NfRef,
): Array<{ nf: string; netns: string; script: 'sbi-agent'; args: SbiAgentArgs }> {
  if (!sbiEnabled(s)) return [];
  const members = nfs.filter((nf) => (SBI_NF_TYPES as readonly string[]).includes(nf.type));
  const producers: Record<string, NfRef> = {};
  for (const t of SBI_PRODUCERS) {
    const nf = members.find((n) => n.type === t);
    if (nf) producers[t] = ref(nf);
  }
  return members.map((nf) => ({
    nf: nf.name,
    netns: nf.netns,
    script: 'sbi-agent' as const,
    args: {
      ...common(nf),
      sbi: {
        port: s.port,
        timeoutMs: s.timeoutMs,
        registrationsPerSecond: nf.type === 'AMF' ? s.registrationsPerSecond : 0,
        nrfHeartbeatMs: s.nrfHeartbeatMs,
        register: nf.type !== 'NRF',
        connections: s.connections[nf.type as keyof SbiScenario['connections']] ?? 'long',
        behaviour: (SBI_PRODUCERS as readonly string[]).includes(nf.type) ? sbiBehaviour(s, nf.type) : null,
      },
      // The SMF consumes only the PCF (and the NRF); the AMF everything it calls.
      producers: Object.fromEntries(Object.entries(producers).filter(([t]) => nf.type === 'AMF' || t === 'NRF' || (nf.type === 'SMF' && t === 'PCF'))),
    },
  }));
}
