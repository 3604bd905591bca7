/**
 * NGAP agent (N2, SCTP port 38412 on the AMF), run inside the gNB's or the AMF's
 * namespace:  ip netns exec NS node ngap-agent.js '{"role":"gNB",…}'
 *
 * SCTP is spoken over a raw IP socket (the kernel has no SCTP sockets):
 * the gNB opens the association (INIT, INIT ACK, COOKIE ECHO, COOKIE ACK),
 * then runs NG Setup, then one flow per UE at uesPerSecond:
 *
 *   gNB → AMF  InitialUEMessage            (class 2)
 *   AMF → gNB  DownlinkNASTransport        (class 2, after the AMF's delay)
 *   gNB → AMF  UplinkNASTransport          (class 2, after the gNB's delay)
 *   AMF → gNB  InitialContextSetup         (class 1: Response or Failure from the gNB)
 *   AMF → gNB  PDUSessionResourceSetup     (class 1, on a successful Initial Context Setup)
 *   AMF → gNB  UEContextRelease            (class 1, ueHoldMs later, or at once after a failure)
 *
 * Whoever receives an initiating message decides once, from the seed and the
 * message's identity (procedure, sender, TSN), what to do: answer or follow
 * on after a delay, reject (procedures with an unsuccessful outcome), or
 * ignore. The receiver acknowledges DATA the way Linux does (sctp.ts,
 * SackPolicy). After durationMs no procedure is initiated; responses still go.
 * Once nothing is outstanding, the gNB closes the association gracefully
 * (SHUTDOWN, SHUTDOWN ACK, SHUTDOWN COMPLETE; RFC 9260 §9.2).
 */
import type { Behaviour } from '../behaviour';
import { decideFor } from '../behaviour';
import { afterAtLeast, epochNs, type Timer } from '../clock';
import * as ngap from '../ngap';
import type { NgapProcedure } from '../ngap';
import type { NgapProcedureRecord, NgapResponderView, SctpDataRecord } from '../ngap-record';
import { Rng } from '../random';
import { RawSocket } from '@nfscope/exporter/raw-socket';
import * as sctp from '../sctp';
import type { NgapScenario } from '../scenario';
import { atRate, type Ticker } from '../schedule';
import { agentMain, AgentRuntime, type CommonArgs, type NfRef } from './runtime';

export interface NgapAgentArgs extends CommonArgs {
  role: 'gNB' | 'AMF';
  peer: NfRef;
  ngap: Pick<NgapScenario, 'uesPerSecond' | 'ueHoldMs' | 'responseTimeoutMs' | 'sackDelayMs' | 'sackEveryPackets'>;
  /** Behaviour of this side as the receiver of each procedure's initiating message (already merged). */
  behaviours: Record<NgapProcedure, Behaviour>;
}

/** Streams each side asks for: 0 carries non-UE-associated signalling, the others UE-associated (TS 38.412 §7). */
const STREAMS = 4;
const ARWND = 106_496;
/** T1-init (RFC 9260 §6.3.1 recommends 3 s; the testbed's link is a bridge) and Max.Init.Retransmits. */
const T1_INIT_MS = 1000;
const MAX_INIT_RETRANSMITS = 8;
/** T2-shutdown (RFC 9260 §9.2) and how often SHUTDOWN is sent before giving up. */
const T2_SHUTDOWN_MS = 1000;
const MAX_SHUTDOWNS = 3;
/** TS 38.413 §8.7.1.4: after an NG Setup Failure the gNB may try again. */
const NG_SETUP_RETRY_MS = 1000;

type Stage = 'closed' | 'cookie-wait' | 'cookie-echoed' | 'established' | 'shutdown-sent' | 'shutdown-ack-sent' | 'shut';

async function main(): Promise<void> {
  const args = AgentRuntime.parseArgs<NgapAgentArgs>(process.argv.slice(2), ['role', 'peer', 'ngap', 'behaviours']);
  const rt = new AgentRuntime(args);
  const o = args.ngap;
  const gnb = args.role === 'gNB';
  const peer = args.peer;
  const rng = Rng.derive(args.seed, args.name, 'sctp');

  // ------------------------------------------------------------ association state
  let stage: Stage = 'closed';
  // The AMF listens on 38412; the gNB's end is an ephemeral port (as a Linux client socket's would be), learnt by the AMF from the INIT.
  const localPort = gnb ? rng.int(32768, 60999) : sctp.NGAP_PORT;
  let peerPort = gnb ? sctp.NGAP_PORT : 0;
  const localTag = rng.uint32() || 1;
  let peerTag = 0;
  let nextTsn = rng.uint32();
  /** Highest TSN received in sequence (the cumulative TSN ack we report). */
  let cumRecv = 0;
  const ssn = new Array<number>(STREAMS).fill(0);
  const cookie = Buffer.from(Rng.derive(args.seed, args.name, 'cookie').uint32().toString(16).padStart(8, '0').repeat(4));
  const sackPolicy = new sctp.SackPolicy({ delayMs: o.sackDelayMs, everyPackets: o.sackEveryPackets });
  let sackTimer: Timer | undefined;
  let initTimer: Timer | undefined;
  let initTries = 0;
  const sent = { packets: 0, bytes: 0 };
  /** DATA chunks sent and not yet acknowledged, by TSN. */
  const unacked = new Map<number, SctpDataRecord>();

  const sock = new RawSocket(
    args.address,
    sctp.IPPROTO_SCTP,
    (pkt) => onPacket(pkt),
    (e) => {
      rt.log(`raw socket read: ${e.message}`);
      rt.count('readErrors');
    },
  );

  const sendChunks = (chunks: sctp.Chunk[], vtag = peerTag): void => {
    const bytes = sctp.encodePacket({ srcPort: localPort, dstPort: peerPort, vtag, chunks });
    try {
      sock.send(bytes, peer.address);
      sent.packets++;
      sent.bytes += bytes.length;
    } catch (e) {
      rt.count('sendErrors');
      rt.log(`send to ${peer.address}: ${(e as Error).message}`);
    }
  };

  const sendSack = (): void => {
    sackTimer?.cancel();
    sackTimer = undefined;
    sackPolicy.sent();
    rt.count('sacksSent');
    sendChunks([sctp.sack(cumRecv, ARWND)]);
  };

  /** Sends one NGAP message in one DATA chunk, with a pending SACK bundled ahead of it (as Linux does). */
  const sendNgap = (m: ngap.NgapMessage, ue: number | null): number => {
    const tsn = nextTsn >>> 0;
    nextTsn = (nextTsn + 1) >>> 0;
    const stream = ue === null ? 0 : 1 + (ue % (STREAMS - 1));
    const chunks: sctp.Chunk[] = [];
    if (sackPolicy.pending) {
      sackTimer?.cancel();
      sackTimer = undefined;
      sackPolicy.sent();
      rt.count('sacksBundled');
      chunks.push(sctp.sack(cumRecv, ARWND));
    }
    chunks.push(sctp.data({ tsn, stream, ssn: ssn[stream]++, ppid: sctp.PPID_NGAP, payload: ngap.encode(m) }));
    const rec: SctpDataRecord = {
      interface: 'N2',
      from: args.name,
      from_type: args.type,
      to: peer.name,
      to_type: peer.type,
      procedure: m.procedure,
      pdu: m.kind,
      tsn,
      stream,
      sentAtNs: epochNs().toString(),
      ack: 'none',
      sackAtNs: null,
      rttNs: null,
    };
    unacked.set(tsn, rec);
    sendChunks(chunks);
    return tsn;
  };

  // ------------------------------------------------------------ NGAP: procedures this side initiates
  interface Pending {
    rec: NgapProcedureRecord;
    timer: Timer;
    onDone: (outcome: 'successful' | 'unsuccessful' | 'timeout') => void;
  }
  /** Class 1 procedures waiting for their response, by procedure and UE. */
  const pending = new Map<string, Pending>();
  const pendingKey = (p: NgapProcedure, ue: number | null): string => `${p}|${ue ?? '-'}`;

  const initiate = (procedure: NgapProcedure, ue: ngap.UeIds | undefined, onDone?: Pending['onDone']): void => {
    const ueId = ue?.ran ?? null;
    const tsn = sendNgap(ngap.request(procedure, ue), ueId);
    const cls = ngap.NGAP_PROCEDURES[procedure].class;
    const rec: NgapProcedureRecord = {
      interface: 'N2',
      procedure,
      class: cls,
      initiator: args.name,
      initiator_type: args.type,
      responder: peer.name,
      responder_type: peer.type,
      ue: ueId,
      tsn,
      sentAtNs: unacked.get(tsn)!.sentAtNs,
      outcome: null,
      respondedAtNs: null,
      latencyNs: null,
    };
    if (cls === 2) return void rt.emit({ t: 'ngap-proc', ...rec });
    const k = pendingKey(procedure, ueId);
    const timer = afterAtLeast(o.responseTimeoutMs, () => {
      pending.delete(k);
      rec.outcome = 'timeout';
      rt.emit({ t: 'ngap-proc', ...rec });
      onDone?.('timeout');
    });
    pending.set(k, { rec, timer, onDone: onDone ?? (() => {}) });
  };

  const onResponse = (m: ngap.DecodedNgap, procedure: NgapProcedure, at: bigint): void => {
    const ue = procedure === 'NGSetup' ? null : (m.ranUeNgapId ?? null);
    const k = pendingKey(procedure, ue);
    const p = pending.get(k);
    if (!p) return void rt.count('unmatchedResponses');
    pending.delete(k);
    p.timer.cancel();
    p.rec.outcome = m.kind === 'successful' ? 'successful' : 'unsuccessful';
    p.rec.respondedAtNs = at.toString();
    p.rec.latencyNs = Number(at - BigInt(p.rec.sentAtNs));
    rt.emit({ t: 'ngap-proc', ...p.rec });
    p.onDone(p.rec.outcome);
  };

  // ------------------------------------------------------------ NGAP: initiating messages received
  /** Reactions waiting for their processing delay; emitted as 'none' if the run stops first. */
  const reacting = new Set<{ view: NgapResponderView; timer: Timer }>();

  /**
   * Decides what to do with an initiating message and, unless ignored, calls
   * `act` after the delay with whether to reject. `act` returns what was sent.
   */
  const receive = (procedure: NgapProcedure, tsn: number, ue: number | null, act: (reject: boolean) => NgapResponderView['reply']): void => {
    const d = decideFor(args.behaviours[procedure], args.seed, args.name, peer.name, procedure, tsn);
    const view: NgapResponderView = { procedure, initiator: peer.name, responder: args.name, tsn, ue, decision: d.decision, delayMs: Math.round(d.delayMs * 1000) / 1000, reply: 'none' };
    if (d.decision === 'ignore') return void rt.emit({ t: 'ngap-view', ...view });
    const entry = {
      view,
      timer: afterAtLeast(view.delayMs, () => {
        reacting.delete(entry);
        view.reply = act(d.decision === 'reject');
        if (view.reply === 'none') view.note = 'the run was over: no new procedure';
        rt.emit({ t: 'ngap-view', ...view });
      }),
    };
    reacting.add(entry);
  };

  /** The next class 2 step of a UE's flow: only while the run initiates procedures. */
  const follow = (procedure: NgapProcedure, ue: ngap.UeIds): NgapResponderView['reply'] => {
    if (!rt.initiating) return 'none';
    initiate(procedure, ue);
    return 'followed';
  };
  const answer = (procedure: NgapProcedure, successful: boolean, ue?: ngap.UeIds): NgapResponderView['reply'] => {
    sendNgap(ngap.response(procedure, successful, ue), ue?.ran ?? null);
    return successful ? 'successful' : 'unsuccessful';
  };

  // AMF: UE contexts by RAN-UE-NGAP-ID.
  const amfIds = new Map<number, number>();
  let nextAmfId = 1;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const release = (ue: ngap.UeIds): void => {
    if (!rt.initiating) return;
    initiate('UEContextRelease', ue, () => amfIds.delete(ue.ran));
  };

  const onInitiating = (m: ngap.DecodedNgap, procedure: NgapProcedure, tsn: number): void => {
    const ran = m.ranUeNgapId ?? null;
    const ue = (): ngap.UeIds => ({ ran: ran ?? 0, amf: m.amfUeNgapId ?? (ran !== null ? amfIds.get(ran) : undefined) });
    if (gnb) {
      switch (procedure) {
        case 'DownlinkNASTransport':
          return receive(procedure, tsn, ran, () => follow('UplinkNASTransport', ue()));
        case 'InitialContextSetup':
          return receive(procedure, tsn, ran, (reject) => answer(procedure, !reject, ue()));
        case 'PDUSessionResourceSetup':
          return receive(procedure, tsn, ran, () => answer(procedure, true, ue()));
        case 'UEContextRelease': {
          // The command names the UE by its AMF-UE-NGAP-ID only: the gNB knows the RAN one.
          const amf = m.amfUeNgapId ?? 0;
          const r = gnbUes.get(amf) ?? 0;
          return receive(procedure, tsn, r, () => {
            gnbUes.delete(amf);
            return answer(procedure, true, { ran: r, amf });
          });
        }
      }
    } else {
      switch (procedure) {
        case 'NGSetup':
          return receive(procedure, tsn, null, (reject) => answer(procedure, !reject));
        case 'InitialUEMessage':
          return receive(procedure, tsn, ran, () => {
            if (!rt.initiating || ran === null) return 'none';
            amfIds.set(ran, nextAmfId++);
            return follow('DownlinkNASTransport', ue());
          });
        case 'UplinkNASTransport':
          return receive(procedure, tsn, ran, () => {
            if (!rt.initiating) return 'none';
            const u = ue();
            initiate('InitialContextSetup', u, (outcome) => {
              if (outcome === 'successful') {
                if (!rt.initiating) return;
                initiate('PDUSessionResourceSetup', u, (o2) => (o2 === 'successful' ? later(o.ueHoldMs, () => release(u)) : release(u)));
              } else if (outcome === 'unsuccessful') release(u);
              else amfIds.delete(u.ran);
            });
            return 'followed';
          });
      }
    }
    rt.count(`unexpectedRequests.${procedure}`);
  };

  // gNB: UEs by AMF-UE-NGAP-ID once the AMF named them, and the UE counter.
  const gnbUes = new Map<number, number>();
  let nextRanId = 1;
  const tickers: Ticker[] = [];
  const startUe = (): void => {
    if (!rt.initiating) return;
    initiate('InitialUEMessage', { ran: nextRanId++ });
  };
  const ngSetup = (): void => {
    if (!rt.initiating) return;
    initiate('NGSetup', undefined, (outcome) => {
      if (outcome === 'successful') tickers.push(atRate(o.uesPerSecond, startUe));
      else later(NG_SETUP_RETRY_MS, ngSetup);
    });
  };

  const onNgap = (payload: Buffer, tsn: number, at: bigint): void => {
    let m: ngap.DecodedNgap;
    try {
      m = ngap.decode(payload);
    } catch (e) {
      rt.count('malformedNgap');
      rt.log(`NGAP in TSN ${tsn}: ${(e as Error).message}`);
      return;
    }
    if (!m.procedure) return void rt.count('unknownProcedures');
    if (gnb && m.amfUeNgapId !== undefined && m.ranUeNgapId !== undefined) gnbUes.set(m.amfUeNgapId, m.ranUeNgapId);
    if (m.kind === 'initiating') onInitiating(m, m.procedure, tsn);
    else onResponse(m, m.procedure, at);
  };

  // ------------------------------------------------------------ SCTP receive path
  const onSack = (cumTsnAck: number, at: bigint, bundled: boolean): void => {
    let exact = false;
    for (const [tsn, rec] of unacked) {
      if (sctp.tsnDiff(tsn, cumTsnAck) > 0) continue;
      unacked.delete(tsn);
      rec.sackAtNs = at.toString();
      if (tsn === cumTsnAck) {
        exact = true;
        rec.ack = 'exact';
        rec.rttNs = Number(at - BigInt(rec.sentAtNs));
        if (bundled) rec.sackBundled = true;
      } else rec.ack = 'cumulative';
      rt.emit({ t: 'sctp-data', ...rec });
    }
    if (!exact) rt.count('sacksAcknowledgingNothingNew');
  };

  function onPacket(raw: Buffer): void {
    const at = epochNs();
    let bytes = raw;
    // An IPv6 raw socket delivers no header, so the sender is not known here: on the testbed only the peer sends SCTP to this namespace.
    if (sock.family === 4) {
      const ip = sctp.ipv4Payload(raw);
      if (!ip || ip.src !== peer.address) return; // not our peer
      bytes = ip.payload;
    }
    let p: sctp.SctpPacket;
    try {
      p = sctp.decodePacket(bytes);
    } catch (e) {
      if (bytes.length > 4) {
        rt.count('malformedSctp');
        rt.log((e as Error).message);
      }
      return;
    }
    if (p.dstPort !== localPort || (peerPort !== 0 && p.srcPort !== peerPort)) return void rt.count('otherPorts');
    const first = p.chunks[0];
    // §8.5: an INIT carries tag 0; everything else must carry the tag we chose.
    if (first?.type === sctp.ChunkType.Init ? p.vtag !== 0 : p.vtag !== localTag) return void rt.count('wrongVerificationTag');
    const hasData = p.chunks.some((c) => c.type === sctp.ChunkType.Data);
    const messages: Array<{ payload: Buffer; tsn: number }> = [];
    for (const c of p.chunks) {
      switch (c.type) {
        case sctp.ChunkType.Init: {
          if (gnb) break;
          const i = sctp.decodeInit(c);
          peerTag = i.tag;
          peerPort = p.srcPort;
          cumRecv = (i.initialTsn - 1) >>> 0;
          stage = 'cookie-wait';
          sendChunks([sctp.initAck({ tag: localTag, arwnd: ARWND, outStreams: STREAMS, inStreams: STREAMS, initialTsn: nextTsn }, cookie)], peerTag);
          break;
        }
        case sctp.ChunkType.InitAck: {
          if (!gnb || stage !== 'cookie-wait') break;
          const i = sctp.decodeInit(c);
          initTimer?.cancel();
          peerTag = i.tag;
          cumRecv = (i.initialTsn - 1) >>> 0;
          stage = 'cookie-echoed';
          sendChunks([sctp.cookieEcho(i.cookie ?? Buffer.alloc(0))]);
          break;
        }
        case sctp.ChunkType.CookieEcho:
          if (gnb) break;
          if (!c.value.equals(cookie)) {
            rt.count('badCookies');
            break;
          }
          stage = 'established';
          sendChunks([sctp.cookieAck()]);
          break;
        case sctp.ChunkType.CookieAck:
          if (!gnb || stage !== 'cookie-echoed') break;
          stage = 'established';
          rt.count('associations');
          ngSetup();
          break;
        case sctp.ChunkType.Sack:
          onSack(sctp.decodeSack(c).cumTsnAck, at, hasData);
          break;
        case sctp.ChunkType.Shutdown:
          // The AMF: everything it sent is acknowledged by now (the gNB shuts down only then), so it answers at once.
          if (gnb || (stage !== 'established' && stage !== 'shutdown-ack-sent')) break;
          stage = 'shutdown-ack-sent';
          sendChunks([sctp.shutdownAck()]);
          break;
        case sctp.ChunkType.ShutdownAck:
          if (!gnb || stage !== 'shutdown-sent') break;
          shutdownTimer?.cancel();
          stage = 'shut';
          // §8.5.1: SHUTDOWN COMPLETE carries the peer's tag (T bit clear).
          sendChunks([sctp.shutdownComplete()]);
          break;
        case sctp.ChunkType.ShutdownComplete:
          if (gnb || stage !== 'shutdown-ack-sent') break;
          stage = 'shut';
          break;
        case sctp.ChunkType.Data: {
          const d = sctp.decodeData(c);
          const gap = sctp.tsnDiff(d.tsn, cumRecv);
          if (gap <= 0) rt.count('duplicateTsns');
          else if (gap > 1) rt.count('tsnGaps');
          else {
            cumRecv = d.tsn;
            if (d.ppid === sctp.PPID_NGAP) messages.push({ payload: d.payload, tsn: d.tsn });
            else rt.count('otherPpids');
          }
          break;
        }
        default:
          rt.count(`chunkType.${c.type}`);
      }
    }
    if (hasData) {
      // Acknowledge first: a response sent at once (no delay) then carries the pending SACK bundled, as Linux's would.
      const due = sackPolicy.onDataPacket();
      if (due === 'now') sendSack();
      else if (due === 'arm') sackTimer = afterAtLeast(o.sackDelayMs, sendSack);
    }
    for (const m of messages) onNgap(m.payload, m.tsn, at);
  }

  const sendInit = (): void => {
    if (stage !== 'cookie-wait') return;
    if (initTries++ > MAX_INIT_RETRANSMITS) return void rt.log(`no INIT ACK from ${peer.name} after ${initTries} INITs`);
    sendChunks([sctp.init({ tag: localTag, arwnd: ARWND, outStreams: STREAMS, inStreams: STREAMS, initialTsn: nextTsn })], 0);
    initTimer = afterAtLeast(T1_INIT_MS, sendInit);
  };

  rt.onStart(() => {
    if (!gnb) return;
    stage = 'cookie-wait';
    sendInit();
  });
  rt.onEnd(() => tickers.forEach((t) => t.stop()));
  // Drained: no procedure waiting for a response, no response being prepared, every DATA acknowledged.
  let shutdownTimer: Timer | undefined;
  let shutdowns = 0;
  const sendShutdown = (): void => {
    if (stage !== 'shutdown-sent') return;
    if (shutdowns++ >= MAX_SHUTDOWNS) {
      rt.log(`no SHUTDOWN ACK from ${peer.name} after ${MAX_SHUTDOWNS} SHUTDOWNs`);
      stage = 'shut';
      return;
    }
    sendChunks([sctp.shutdown(cumRecv)]);
    shutdownTimer = afterAtLeast(T2_SHUTDOWN_MS, sendShutdown);
  };
  const idle = (): boolean => pending.size === 0 && unacked.size === 0 && !sackPolicy.pending && ![...reacting].some((r) => isClass1(r.view.procedure));
  // Drained: no procedure waiting for a response, no response being prepared, every DATA acknowledged, no SACK owed;
  // then the association is shut down (by the gNB; the AMF waits for it, or for nothing if it was never set up).
  rt.setDrained(() => {
    if (!idle()) return false;
    if (gnb && stage === 'established') {
      stage = 'shutdown-sent';
      sendShutdown();
    }
    return stage === 'shut' || (stage !== 'established' && stage !== 'shutdown-sent' && stage !== 'shutdown-ack-sent');
  });
  rt.onShutdown((interrupted) => {
    initTimer?.cancel();
    sackTimer?.cancel();
    shutdownTimer?.cancel();
    for (const t of timers) clearTimeout(t);
    for (const t of tickers) t.stop();
    for (const p of pending.values()) {
      p.timer.cancel();
      if (interrupted) p.rec.interrupted = true;
      p.rec.outcome = 'timeout';
      rt.emit({ t: 'ngap-proc', ...p.rec });
    }
    for (const r of reacting) {
      r.timer.cancel();
      r.view.note = 'the run stopped during the processing delay';
      rt.emit({ t: 'ngap-view', ...r.view });
    }
    for (const rec of unacked.values()) rt.emit({ t: 'sctp-data', ...rec });
    rt.emit({ t: 'sctp-packets', interface: 'N2', from: args.name, to: peer.name, ipFamily: sock.family, ...sent });
    if (gnb && stage !== 'shut' && !interrupted) rt.log(`the SCTP association with ${peer.name} did not shut down (stage ${stage})`);
    rt.count('associationShutDown', stage === 'shut' ? 1 : 0);
    sock.close();
  });
  rt.run();
}

const isClass1 = (p: NgapProcedure): boolean => ngap.NGAP_PROCEDURES[p].class === 1;

if (require.main === module) agentMain(main);
