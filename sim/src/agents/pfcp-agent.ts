/**
 * PFCP agent (N4, UDP 8805), run inside an NF's namespace:
 *   ip netns exec NS node pfcp-agent.js '{"role":"SMF",…}'
 *
 * SMF role: Association Setup with each UPF at start, Heartbeats, sessions
 * (Establishment → Modification → Deletion), and answers Session Reports.
 * UPF role: answers the SMF's requests, keeps the sessions, and sends Session
 * Reports about them. Both roles answer Heartbeat and Association Setup.
 * Requests are tracked by RequestTracker (T1/N1 retransmissions), requests
 * received go through Responder (decisions, delays, duplicates).
 */
import type { Behaviour } from '../behaviour';
import { RequestTracker, type Peer } from '../client';
import * as pfcp from '../pfcp';
import type { PfcpProcedure } from '../pfcp';
import { Rng } from '../random';
import { Responder } from '../responder';
import type { PfcpScenario } from '../scenario';
import { atRate, everyMs, type Ticker } from '../schedule';
import { bindUdp, endpoint, parseEndpoint } from '../socket';
import { agentMain, AgentRuntime, type CommonArgs, type NfRef } from './runtime';

export interface PfcpAgentArgs extends CommonArgs {
  role: 'SMF' | 'UPF';
  /** SMF: the UPFs it controls; UPF: its SMF. */
  peers: NfRef[];
  pfcp: Pick<PfcpScenario, 'heartbeatIntervalMs' | 'sessionsPerSecond' | 'sessionHoldMs' | 'reportsPerSecond' | 't1Ms' | 'n1'>;
  /** Responder behaviour per procedure (already merged with the defaults). */
  behaviours: Record<PfcpProcedure, Behaviour>;
}

/** A set with O(1) add, delete and uniform random pick. */
class PickableSet<T> {
  private readonly items: T[] = [];
  private readonly index = new Map<T, number>();
  add(x: T): void {
    if (this.index.has(x)) return;
    this.index.set(x, this.items.length);
    this.items.push(x);
  }
  delete(x: T): void {
    const i = this.index.get(x);
    if (i === undefined) return;
    const last = this.items.pop() as T;
    this.index.delete(x);
    if (i < this.items.length) {
      this.items[i] = last;
      this.index.set(last, i);
    }
  }
  get size(): number {
    return this.items.length;
  }
  pick(rng: Rng): T | undefined {
    return this.items.length ? rng.pick(this.items) : undefined;
  }
}

async function main(): Promise<void> {
  const args = AgentRuntime.parseArgs<PfcpAgentArgs>(process.argv.slice(2), ['role', 'peers', 'pfcp', 'behaviours']);
  const rt = new AgentRuntime(args);
  const p = args.pfcp;
  const recoveryS = Math.floor(Date.now() / 1000);
  const sock = await bindUdp(args.address, pfcp.PFCP_PORT);
  const send = (bytes: Buffer, to: { address: string; port: number }): void => {
    sock.send(bytes, to.port, to.address, (err) => {
      if (err) {
        rt.count('sendErrors');
        rt.log(`send to ${to.address}: ${err.message}`);
      }
    });
  };

  const tracker = new RequestTracker({
    client: args.name,
    clientType: args.type,
    clientAddress: args.address,
    timerMs: p.t1Ms,
    retries: p.n1,
    send,
    emit: (t) => rt.emit({ t: 'tx', ...t }),
  });
  const responder = new Responder({
    name: args.name,
    seed: args.seed,
    // A client retransmits for (N1 + 1)·T1; remember a little longer so a late copy is still recognised.
    rememberMs: (p.n1 + 1) * p.t1Ms + 1000,
    send: (bytes, from) => send(bytes, parseEndpoint(from)),
    emit: (v) => rt.emit({ t: 'rx', ...v }),
  });
  const peers: Peer[] = args.peers.map((x) => ({ ...x, port: pfcp.PFCP_PORT }));

  let seq = 0;
  const nextSeq = (): number => (seq = (seq + 1) & 0xffffff);
  let nextSeid = 1n;
  const rng = Rng.derive(args.seed, args.name, 'pfcp-client');
  const tickers: Ticker[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const request = (procedure: PfcpProcedure, peer: Peer, msg: pfcp.PfcpMessage, onDone?: Parameters<RequestTracker['request']>[0]['onDone']): void => {
    tracker.request({ interface: 'N4', procedure, seq: msg.seq, bytes: pfcp.encodeMessage(msg), peer, onDone });
  };

  // ------------------------------------------------------------ SMF state and procedures
  /** SMF: sessions by CP SEID, once established. */
  const smfSessions = new Map<bigint, { upf: Peer; upSeid: bigint }>();
  /** SMF: UP SEIDs learnt from Establishment Responses, by CP SEID, until the transaction finishes. */
  const upSeidFromResponse = new Map<bigint, bigint>();

  const establish = (upf: Peer): void => {
    const cpSeid = nextSeid++;
    request('SessionEstablishment', upf, pfcp.sessionEstablishmentRequest({ seq: nextSeq(), nodeId: args.address, cpSeid, cpAddress: args.address }), (tx) => {
      const upSeid = upSeidFromResponse.get(cpSeid);
      upSeidFromResponse.delete(cpSeid);
      if (tx.outcome !== 'accepted' || upSeid === undefined) return;
      smfSessions.set(cpSeid, { upf, upSeid });
      later(p.sessionHoldMs / 2, () => modify(cpSeid));
    });
  };
  const modify = (cpSeid: bigint): void => {
    const s = smfSessions.get(cpSeid);
    if (!s || !rt.initiating) return;
    request('SessionModification', s.upf, pfcp.sessionModificationRequest({ seq: nextSeq(), upSeid: s.upSeid }), () => {
      later(p.sessionHoldMs / 2, () => release(cpSeid));
    });
  };
  const release = (cpSeid: bigint): void => {
    const s = smfSessions.get(cpSeid);
    if (!s || !rt.initiating) return;
    // The SMF forgets the session when the deletion is over, whatever its outcome.
    request('SessionDeletion', s.upf, pfcp.sessionDeletionRequest({ seq: nextSeq(), upSeid: s.upSeid }), () => smfSessions.delete(cpSeid));
  };

  // ------------------------------------------------------------ UPF state and procedures
  /** UPF: sessions by UP SEID. */
  const upfSessions = new Map<bigint, { cpSeid: bigint }>();
  const reportable = new PickableSet<bigint>();

  const report = (): void => {
    const upSeid = reportable.pick(rng);
    const s = upSeid === undefined ? undefined : upfSessions.get(upSeid);
    if (!s) return void rt.count('reportsSkippedNoSession');
    request('SessionReport', peers[0], pfcp.sessionReportRequest({ seq: nextSeq(), cpSeid: s.cpSeid }));
  };

  // ------------------------------------------------------------ requests received
  const causeFor = (d: { decision: string; cause?: number }): number => (d.decision === 'reject' ? (d.cause ?? pfcp.Cause.RequestRejected) : pfcp.Cause.RequestAccepted);

  const onRequest = (msg: pfcp.PfcpMessage, procedure: PfcpProcedure, from: string, fromAddress: string): void => {
    const base = { interface: 'N4' as const, procedure, seq: msg.seq, client: rt.nameAt(fromAddress), from, behaviour: args.behaviours[procedure] };
    switch (procedure) {
      case 'Heartbeat':
        return responder.handle(base, () => ({ bytes: pfcp.encodeMessage(pfcp.heartbeatResponse(msg.seq, recoveryS)) }));
      case 'AssociationSetup':
        return responder.handle(base, (d) => {
          const cause = causeFor(d);
          return { bytes: pfcp.encodeMessage(pfcp.associationSetupResponse(msg.seq, args.address, cause, recoveryS)), cause };
        });
      case 'SessionEstablishment': {
        if (args.role !== 'UPF') break;
        const fseidIe = pfcp.findIe(msg.ies, pfcp.IeType.FSeid);
        const cpSeid = fseidIe ? pfcp.decodeFSeid(fseidIe.value).seid : 0n;
        return responder.handle(base, (d) => {
          // §7.2.2.4.2: the response carries the CP SEID from the request's F-SEID.
          if (!fseidIe) {
            const c = pfcp.Cause.MandatoryIeMissing;
            return { bytes: pfcp.encodeMessage(pfcp.sessionEstablishmentResponse({ seq: msg.seq, cpSeid: 0n, nodeId: args.address, cause: c })), cause: c, overrideNote: 'no CP F-SEID' };
          }
          const cause = causeFor(d);
          let upSeid: bigint | undefined;
          if (pfcp.isAcceptedCause(cause)) {
            upSeid = nextSeid++;
            upfSessions.set(upSeid, { cpSeid });
            reportable.add(upSeid);
          }
          return { bytes: pfcp.encodeMessage(pfcp.sessionEstablishmentResponse({ seq: msg.seq, cpSeid, nodeId: args.address, cause, upSeid, upAddress: args.address })), cause };
        });
      }
      case 'SessionModification':
      case 'SessionDeletion': {
        if (args.role !== 'UPF') break;
        const upSeid = msg.seid ?? 0n;
        return responder.handle(base, (d) => {
          const s = upfSessions.get(upSeid);
          if (!s) {
            // §7.2.2.4.2: unknown SEID → SEID 0 in the response header; Cause 65.
            const c = pfcp.Cause.SessionContextNotFound;
            return { bytes: pfcp.encodeMessage(pfcp.sessionResponse(procedure, { seq: msg.seq, peerSeid: 0n, cause: c })), cause: c, overrideNote: 'unknown SEID' };
          }
          const cause = causeFor(d);
          if (procedure === 'SessionDeletion' && pfcp.isAcceptedCause(cause)) {
            upfSessions.delete(upSeid);
            reportable.delete(upSeid);
          }
          return { bytes: pfcp.encodeMessage(pfcp.sessionResponse(procedure, { seq: msg.seq, peerSeid: s.cpSeid, cause })), cause };
        });
      }
      case 'SessionReport': {
        if (args.role !== 'SMF') break;
        const cpSeid = msg.seid ?? 0n;
        return responder.handle(base, (d) => {
          const s = smfSessions.get(cpSeid);
          if (!s) {
            const c = pfcp.Cause.SessionContextNotFound;
            return { bytes: pfcp.encodeMessage(pfcp.sessionResponse('SessionReport', { seq: msg.seq, peerSeid: 0n, cause: c })), cause: c, overrideNote: 'unknown SEID' };
          }
          const cause = causeFor(d);
          return { bytes: pfcp.encodeMessage(pfcp.sessionResponse('SessionReport', { seq: msg.seq, peerSeid: s.upSeid, cause })), cause };
        });
      }
    }
    rt.count(`unexpectedRequests.${procedure}`);
  };

  const onResponse = (msg: pfcp.PfcpMessage, procedure: PfcpProcedure, fromAddress: string): void => {
    const cause = pfcp.causeOf(msg);
    if (procedure === 'SessionEstablishment' && cause !== undefined && pfcp.isAcceptedCause(cause) && msg.seid !== undefined) {
      const f = pfcp.findIe(msg.ies, pfcp.IeType.FSeid);
      if (f) upSeidFromResponse.set(msg.seid, pfcp.decodeFSeid(f.value).seid);
    }
    // Heartbeat Response has no Cause: an answer is a success. Elsewhere a missing Cause is a rejection.
    const accepted = procedure === 'Heartbeat' || (cause !== undefined && pfcp.isAcceptedCause(cause));
    tracker.response(fromAddress, procedure, msg.seq, { outcome: accepted ? 'accepted' : 'rejected', cause });
  };

  sock.on('message', (buf, rinfo) => {
    let msgs: pfcp.PfcpMessage[];
    try {
      msgs = pfcp.decodeMessages(buf);
    } catch {
      rt.count('malformed');
      return;
    }
    for (const msg of msgs) {
      const c = pfcp.classify(msg.type);
      if (!c) {
        rt.count('unknownMessageTypes');
        continue;
      }
      if (c.request) onRequest(msg, c.procedure, endpoint(rinfo.address, rinfo.port), rinfo.address);
      else onResponse(msg, c.procedure, rinfo.address);
    }
  });

  rt.onStart(() => {
    if (args.role === 'SMF') {
      for (const upf of peers) request('AssociationSetup', upf, pfcp.associationSetupRequest(nextSeq(), args.address, recoveryS));
      tickers.push(everyMs(p.heartbeatIntervalMs, () => peers.forEach((upf) => request('Heartbeat', upf, pfcp.heartbeatRequest(nextSeq(), recoveryS)))));
      for (const upf of peers) tickers.push(atRate(p.sessionsPerSecond, () => establish(upf)));
    } else {
      tickers.push(atRate(p.reportsPerSecond, report));
    }
  });
  rt.onEnd(() => tickers.forEach((t) => t.stop()));
  rt.setDrained(() => tracker.outstanding === 0);
  rt.onShutdown((interrupted) => {
    for (const t of timers) clearTimeout(t);
    tracker.close(interrupted);
    responder.close();
    rt.count('unmatchedResponses', tracker.unmatchedResponses);
    rt.count('sessionsOpenAtEnd', args.role === 'SMF' ? smfSessions.size : upfSessions.size);
    sock.close();
  });
  rt.run();
}

if (require.main === module) agentMain(main);
