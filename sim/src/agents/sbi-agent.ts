/**
 * SBI agent (HTTP/2 cleartext with prior knowledge, Node's http2 module), run
 * inside an NF's namespace:
 *   ip netns exec NS node sbi-agent.js '{"sbi":{…},…}'
 *
 * A producer NF serves its API on the SBI port and answers each request after
 * a seeded decision (delay, error status, or no answer at all). A consumer
 * NF makes requests (sbi.ts: NRF registration and heartbeats, the AMF's UE
 * registration flow, the SMF's policy request to the PCF) over connections
 * kept open or opened per request, and reports each as a transaction.
 * Every request carries `x-nfscope-seq`, unique per consumer, so the
 * producer's view joins the consumer's.
 */
import * as http2 from 'http2';
import { isIPv6 } from 'net';
import type { Behaviour } from '../behaviour';
import { decideFor } from '../behaviour';
import { afterAtLeast, epochNs } from '../clock';
import { atRate, everyMs, type Ticker } from '../schedule';
import { NRF_HEARTBEAT, NRF_REGISTER, SM_POLICY, successStatus, UE_REGISTRATION, type SbiConnections, type SbiStep } from '../sbi';
import { agentMain, AgentRuntime, type CommonArgs, type NfRef } from './runtime';

export interface SbiAgentArgs extends CommonArgs {
  sbi: {
    port: number;
    timeoutMs: number;
    /** UE registrations per second this NF starts (the AMF); 0 for the others. */
    registrationsPerSecond: number;
    /** NRF registration at start and heartbeats (every NF but the NRF). */
    nrfHeartbeatMs: number;
    register: boolean;
    connections: SbiConnections;
    /** How this NF answers requests; null: it serves nothing. */
    behaviour: Behaviour | null;
  };
  /** The producer of each NF type this NF talks to. */
  producers: Record<string, NfRef>;
}

const SEQ_HEADER = 'x-nfscope-seq';

async function main(): Promise<void> {
  const args = AgentRuntime.parseArgs<SbiAgentArgs>(process.argv.slice(2), ['sbi', 'producers']);
  const rt = new AgentRuntime(args);
  const cfg = args.sbi;
  const sessions = new Map<string, http2.ClientHttp2Session>();
  const outstanding = new Set<() => void>();
  const tickers: Ticker[] = [];
  let seq = 0;
  let activeFlows = 0;
  let instanceId = `${args.name}-${args.runId}`;

  const urlOf = (nf: NfRef) => `http://${isIPv6(nf.address) ? `[${nf.address}]` : nf.address}:${cfg.port}`;
  const session = (nf: NfRef): http2.ClientHttp2Session => {
    if (cfg.connections === 'long') {
      const s = sessions.get(nf.address);
      if (s && !s.closed && !s.destroyed) return s;
    }
    const s = http2.connect(urlOf(nf), { localAddress: args.address } as http2.SecureClientSessionOptions);
    s.on('error', (e) => rt.log(`session to ${nf.name}: ${e.message}`));
    if (cfg.connections === 'long') {
      sessions.set(nf.address, s);
      s.on('close', () => sessions.get(nf.address) === s && sessions.delete(nf.address));
    }
    return s;
  };

  /** One request; resolves with its status (null on timeout). Emitted as a transaction. */
  const request = (step: SbiStep, path: string): Promise<number | null> => {
    const to = args.producers[step.to];
    if (!to) throw new Error(`no ${step.to} among the producers of ${args.name}`);
    const n = ++seq;
    const s = session(to);
    return new Promise((resolve) => {
      const sentAtNs = epochNs();
      const stream = s.request({ ':method': step.method, ':path': path, [SEQ_HEADER]: String(n), ...(step.body ? { 'content-type': 'application/json' } : {}) });
      let finished = false;
      const finish = (status: number | null, respondedAtNs: bigint | null): void => {
        if (finished) return;
        finished = true;
        timer.cancel();
        outstanding.delete(abort);
        rt.emit({
          t: 'tx',
          interface: 'SBI',
          procedure: step.method,
          client: args.name,
          client_type: args.type,
          server: to.name,
          server_type: to.type,
          client_address: args.address,
          server_address: to.address,
          seq: n,
          sentAtNs: sentAtNs.toString(),
          transmissions: 1,
          respondedAtNs: respondedAtNs?.toString() ?? null,
          latencyNs: respondedAtNs === null ? null : Number(respondedAtNs - sentAtNs),
          outcome: status === null ? 'timeout' : status >= 200 && status < 300 ? 'accepted' : 'rejected',
          ...(status !== null ? { status } : {}),
          path,
        });
        rt.count(status === null ? 'timeouts' : 'responses');
        if (cfg.connections === 'short') s.close();
        resolve(status);
      };
      const abort = (): void => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        finish(null, null);
      };
      const timer = afterAtLeast(cfg.timeoutMs, abort);
      outstanding.add(abort);
      stream.on('response', (h) => finish(Number(h[':status']), epochNs()));
      stream.on('error', () => finish(null, null));
      stream.on('data', () => {});
      stream.end(step.body ? JSON.stringify({ nfInstanceId: instanceId, seq: n }) : undefined);
    });
  };
  const fill = (step: SbiStep, ue: string, id: string) => step.path.replace('{ue}', ue).replace('{id}', id);

  // ------------------------------------------------------------- producer
  let server: http2.Http2Server | undefined;
  if (cfg.behaviour) {
    const behaviour = cfg.behaviour;
    server = http2.createServer();
    server.on('sessionError', () => {});
    server.on('stream', (stream, headers) => {
      const method = String(headers[':method']);
      const path = String(headers[':path']);
      const n = Number(headers[SEQ_HEADER] ?? 0);
      const client = rt.nameAt(stream.session?.socket?.remoteAddress ?? '');
      const d = decideFor(behaviour, args.seed, args.name, client, method, n);
      const status = d.decision === 'reject' ? d.cause! : successStatus(method, path);
      stream.on('error', () => {});
      stream.resume();
      const view = { t: 'rx', interface: 'SBI', procedure: method, client, server: args.name, seq: n, decision: d.decision, delayMs: d.delayMs, copies: 1 };
      if (d.decision === 'ignore') {
        rt.emit({ ...view, reply: 'none', responses: 0 });
        return;
      }
      const answer = (): void => {
        afterAtLeast(d.delayMs, () => {
          if (stream.destroyed || stream.closed) return rt.emit({ ...view, reply: 'none', responses: 0, note: 'stream cancelled by the consumer' });
          stream.respond({ ':status': status, 'content-type': 'application/json' });
          stream.end(JSON.stringify({ status }));
          rt.emit({ ...view, reply: status < 300 ? 'accepted' : 'rejected', status, responses: 1 });
        });
      };
      // The SMF asks the PCF for a policy before it answers an SM context create.
      if (args.type === 'SMF' && method === 'POST' && path.startsWith('/nsmf-pdusession/') && args.producers.PCF && d.decision !== 'reject') {
        void request(SM_POLICY, SM_POLICY.path).then(answer);
      } else {
        answer();
      }
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(cfg.port, args.address, () => resolve());
    });
  }

  // ------------------------------------------------------------- consumer
  const ueFlow = async (ue: string): Promise<void> => {
    activeFlows++;
    try {
      let id = '';
      for (const step of UE_REGISTRATION) {
        if (!args.producers[step.to]) continue;
        // The confirmation goes to the authentication context the POST created.
        if (step.method === 'POST' && step.to === 'AUSF') id = `${ue}-${seq + 1}`;
        await request(step, fill(step, ue, id));
      }
    } finally {
      activeFlows--;
    }
  };
  let ues = 0;
  rt.onStart(() => {
    if (cfg.register && args.producers.NRF) {
      activeFlows++;
      void request(NRF_REGISTER, fill(NRF_REGISTER, '', instanceId)).finally(() => activeFlows--);
      tickers.push(everyMs(cfg.nrfHeartbeatMs, () => rt.initiating && void request(NRF_HEARTBEAT, fill(NRF_HEARTBEAT, '', instanceId))));
    }
    tickers.push(atRate(cfg.registrationsPerSecond, () => rt.initiating && void ueFlow(`imsi-00101${String(++ues).padStart(10, '0')}`)));
  });
  rt.onEnd(() => {
    for (const t of tickers) t.stop();
  });
  rt.setDrained(() => outstanding.size === 0 && activeFlows === 0);
  rt.onShutdown(() => {
    for (const abort of [...outstanding]) abort();
    for (const s of sessions.values()) s.destroy();
    server?.close();
  });
  instanceId = `${args.name}-${args.runId}`;
  rt.run();
}

agentMain(main);
