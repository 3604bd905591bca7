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

/** DATA chunks this side sent, held until a SACK covers them: the transport round trips the record keeps. */
class SentData {
  private readonly unacked = new Map<number, SctpDataRecord>();

  constructor(private readonly rt: AgentRuntime<NgapAgentArgs>) {}

  get size(): number {
    return this.unacked.size;
  }

  add(rec: SctpDataRecord): void {
    this.unacked.set(rec.tsn, rec);
  }

  /** When the DATA chunk with this TSN was sent (it must be held). */
  sentAtNs(tsn: number): string {
    return this.unacked.get(tsn)!.sentAtNs;
  }

  /** A SACK with this cumulative TSN ack arrived at `at`: every chunk it covers is done; the one it names exactly is timed. */
  onSack(cumTsnAck: number, at: bigint, bundled: boolean): void {
    let exact = false;
    for (const [tsn, rec] of this.unacked) {
      if (sctp.tsnDiff(tsn, cumTsnAck) > 0) continue;
      this.unacked.delete(tsn);
      rec.sackAtNs = at.toString();
      if (tsn === cumTsnAck) {
        exact = true;
        rec.ack = 'exact';
        rec.rttNs = Number(at - BigInt(rec.sentAtNs));
        if (bundled) rec.sackBundled = true;
      } else rec.ack = 'cumulative';
      this.rt.emit({ t: 'sctp-data', ...rec });
    }
    if (!exact) this.rt.count('sacksAcknowledgingNothingNew');
  }

  /** Records the chunks no SACK covered (ack 'none'). */
  flush(): void {
    for (const rec of this.unacked.values()) this.rt.emit({ t: 'sctp-data', ...rec });
  }
}

/**
 * The SCTP association over a raw socket: set-up (INIT … COOKIE ACK), DATA
 * out with a pending SACK bundled, DATA in acknowledged as Linux does
 * (SackPolicy), SACKs in (SentData), and the graceful shutdown. NGAP
 * payloads received in sequence go to onMessage.
 */
class Association {
  stage: Stage = 'closed';
  /** Called on the gNB once the association is up. */
  onEstablished: () => void = () => {};
  /** Called for each NGAP payload received in sequence. */
  onMessage: (payload: Buffer, tsn: number, at: bigint) => void = () => {};
  readonly data: SentData;
  private readonly gnb: boolean;
  private readonly peer: NfRef;
  private readonly localPort: number;
  private peerPort: number;
  private readonly localTag: number;
  private peerTag = 0;
  private nextTsn: number;
  /** Highest TSN received in sequence (the cumulative TSN ack we report). */
  private cumRecv = 0;
  private readonly ssn = new Array<number>(STREAMS).fill(0);
  private readonly cookie: Buffer;
  private readonly sackPolicy: sctp.SackPolicy;
  private sackTimer: Timer | undefined;
  private initTimer: Timer | undefined;
  private initTries = 0;
  private shutdownTimer: Timer | undefined;
  private shutdowns = 0;
  private readonly sent = { packets: 0, bytes: 0 };
  private readonly sock: RawSocket;

  constructor(
    private readonly args: NgapAgentArgs,
    private readonly rt: AgentRuntime<NgapAgentArgs>,
  ) {
    this.gnb = args.role === 'gNB';
    this.peer = args.peer;
    this.data = new SentData(rt);
    const rng = Rng.derive(args.seed, args.name, 'sctp');
    // The AMF listens on 38412; the gNB's end is an ephemeral port (as a Linux client socket's would be), learnt by the AMF from the INIT.
    this.localPort = this.gnb ? rng.int(32768, 60999) : sctp.NGAP_PORT;
    this.peerPort = this.gnb ? sctp.NGAP_PORT : 0;
    this.localTag = rng.uint32() || 1;
    this.nextTsn = rng.uint32();
    this.cookie = Buffer.from(Rng.derive(args.seed, args.name, 'cookie').uint32().toString(16).padStart(8, '0').repeat(4));
    this.sackPolicy = new sctp.SackPolicy({ delayMs: args.ngap.sackDelayMs, everyPackets: args.ngap.sackEveryPackets });
    this.sock = new RawSocket(
      args.address,
      sctp.IPPROTO_SCTP,
      (pkt) => this.onPacket(pkt),
      (e) => {
        rt.log(`raw socket read: ${e.message}`);
        rt.count('readErrors');
      },
    );
  }

  private sendChunks(chunks: sctp.Chunk[], vtag = this.peerTag): void {
    const bytes = sctp.encodePacket({ srcPort: this.localPort, dstPort: this.peerPort, vtag, chunks });
    try {
      this.sock.send(bytes, this.peer.address);
      this.sent.packets++;
      this.sent.bytes += bytes.length;
    } catch (e) {
      this.rt.count('sendErrors');
      this.rt.log(`send to ${this.peer.address}: ${(e as Error).message}`);
    }
  }

  private readonly sendSack = (): void => {
    this.sackTimer?.cancel();
    this.sackTimer = undefined;
    this.sackPolicy.sent();
    this.rt.count('sacksSent');
    this.sendChunks([sctp.sack(this.cumRecv, ARWND)]);
  };

  /** Sends one NGAP message in one DATA chunk, with a pending SACK bundled ahead of it (as Linux does); returns its TSN. */
  sendNgap(m: ngap.NgapMessage, ue: number | null): number {
    const tsn = this.nextTsn >>> 0;
    this.nextTsn = (this.nextTsn + 1) >>> 0;
    const stream = ue === null ? 0 : 1 + (ue % (STREAMS - 1));
    const chunks: sctp.Chunk[] = [];
    if (this.sackPolicy.pending) {
      this.sackTimer?.cancel();
      this.sackTimer = undefined;
      this.sackPolicy.sent();
      this.rt.count('sacksBundled');
      chunks.push(sctp.sack(this.cumRecv, ARWND));
    }
    chunks.push(sctp.data({ tsn, stream, ssn: this.ssn[stream]++, ppid: sctp.PPID_NGAP, payload: ngap.encode(m) }));
    const a = this.args;
    this.data.add({
      interface: 'N2',
      from: a.name,
      from_type: a.type,
      to: this.peer.name,
      to_type: this.peer.type,
      procedure: m.procedure,
      pdu: m.kind,
      tsn,
      stream,
      sentAtNs: epochNs().toString(),
      ack: 'none',
      sackAtNs: null,
      rttNs: null,
    });
    this.sendChunks(chunks);
    return tsn;
  }

  private onPacket(raw: Buffer): void {
    const at = epochNs();
    const gnb = this.gnb;
    let bytes = raw;
    // An IPv6 raw socket delivers no header, so the sender is not known here: on the testbed only the peer sends SCTP to this namespace.
    if (this.sock.family === 4) {
      const ip = sctp.ipv4Payload(raw);
      if (!ip || ip.src !== this.peer.address) return; // not our peer
      bytes = ip.payload;
    }
    let p: sctp.SctpPacket;
    try {
      p = sctp.decodePacket(bytes);
    } catch (e) {
      if (bytes.length > 4) {
        this.rt.count('malformedSctp');
        this.rt.log((e as Error).message);
      }
      return;
    }
    if (p.dstPort !== this.localPort || (this.peerPort !== 0 && p.srcPort !== this.peerPort)) return void this.rt.count('otherPorts');
    const first = p.chunks[0];
    // §8.5: an INIT carries tag 0; everything else must carry the tag we chose.
    if (first?.type === sctp.ChunkType.Init ? p.vtag !== 0 : p.vtag !== this.localTag) return void this.rt.count('wrongVerificationTag');
    const hasData = p.chunks.some((c) => c.type === sctp.ChunkType.Data);
    const messages: Array<{ payload: Buffer; tsn: number }> = [];
    for (const c of p.chunks) {
      switch (c.type) {
        case sctp.ChunkType.Init: {
          if (gnb) break;
          const i = sctp.decodeInit(c);
          this.peerTag = i.tag;
          this.peerPort = p.srcPort;
          this.cumRecv = (i.initialTsn - 1) >>> 0;
          this.stage = 'cookie-wait';
          this.sendChunks([sctp.initAck({ tag: this.localTag, arwnd: ARWND, outStreams: STREAMS, inStreams: STREAMS, initialTsn: this.nextTsn }, this.cookie)], this.peerTag);
          break;
        }
        case sctp.ChunkType.InitAck: {
          if (!gnb || this.stage !== 'cookie-wait') break;
          const i = sctp.decodeInit(c);
          this.initTimer?.cancel();
          this.peerTag = i.tag;
          this.cumRecv = (i.initialTsn - 1) >>> 0;
          this.stage = 'cookie-echoed';
          this.sendChunks([sctp.cookieEcho(i.cookie ?? Buffer.alloc(0))]);
          break;
        }
        case sctp.ChunkType.CookieEcho:
          if (gnb) break;
          if (!c.value.equals(this.cookie)) {
            this.rt.count('badCookies');
            break;
          }
          this.stage = 'established';
          this.sendChunks([sctp.cookieAck()]);
          break;
        case sctp.ChunkType.CookieAck:
          if (!gnb || this.stage !== 'cookie-echoed') break;
          this.stage = 'established';
          this.rt.count('associations');
          this.onEstablished();
          break;
        case sctp.ChunkType.Sack:
          this.data.onSack(sctp.decodeSack(c).cumTsnAck, at, hasData);
          break;
        case sctp.ChunkType.Shutdown:
          // The AMF: everything it sent is acknowledged by now (the gNB shuts down only then), so it answers at once.
          if (gnb || (this.stage !== 'established' && this.stage !== 'shutdown-ack-sent')) break;
          this.stage = 'shutdown-ack-sent';
          this.sendChunks([sctp.shutdownAck()]);
          break;
        case sctp.ChunkType.ShutdownAck:
          if (!gnb || this.stage !== 'shutdown-sent') break;
          this.shutdownTimer?.cancel();
          this.stage = 'shut';
          // §8.5.1: SHUTDOWN COMPLETE carries the peer's tag (T bit clear).
          this.sendChunks([sctp.shutdownComplete()]);
          break;
        case sctp.ChunkType.ShutdownComplete:
          if (gnb || this.stage !== 'shutdown-ack-sent') break;
          this.stage = 'shut';
          break;
        case sctp.ChunkType.Data: {
          const d = sctp.decodeData(c);
          const gap = sctp.tsnDiff(d.tsn, this.cumRecv);
          if (gap <= 0) this.rt.count('duplicateTsns');
          else if (gap > 1) this.rt.count('tsnGaps');
          else {
            this.cumRecv = d.tsn;
            if (d.ppid === sctp.PPID_NGAP) messages.push({ payload: d.payload, tsn: d.tsn });
            else this.rt.count('otherPpids');
          }
          break;
        }
        default:
          this.rt.count(`chunkType.${c.type}`);
      }
    }
    if (hasData) {
      // Acknowledge first: a response sent at once (no delay) then carries the pending SACK bundled, as Linux's would.
      const due = this.sackPolicy.onDataPacket();
      if (due === 'now') this.sendSack();
      else if (due === 'arm') this.sackTimer = afterAtLeast(this.args.ngap.sackDelayMs, this.sendSack);
    }
    for (const m of messages) this.onMessage(m.payload, m.tsn, at);
  }

  private readonly sendInit = (): void => {
    if (this.stage !== 'cookie-wait') return;
    if (this.initTries++ > MAX_INIT_RETRANSMITS) return void this.rt.log(`no INIT ACK from ${this.peer.name} after ${this.initTries} INITs`);
    this.sendChunks([sctp.init({ tag: this.localTag, arwnd: ARWND, outStreams: STREAMS, inStreams: STREAMS, initialTsn: this.nextTsn })], 0);
    this.initTimer = afterAtLeast(T1_INIT_MS, this.sendInit);
  };

  /** The gNB opens the association; the AMF waits for the INIT. */
  open(): void {
    if (!this.gnb) return;
    this.stage = 'cookie-wait';
    this.sendInit();
  }

  private readonly sendShutdown = (): void => {
    if (this.stage !== 'shutdown-sent') return;
    if (this.shutdowns++ >= MAX_SHUTDOWNS) {
      this.rt.log(`no SHUTDOWN ACK from ${this.peer.name} after ${MAX_SHUTDOWNS} SHUTDOWNs`);
      this.stage = 'shut';
      return;
    }
    this.sendChunks([sctp.shutdown(this.cumRecv)]);
    this.shutdownTimer = afterAtLeast(T2_SHUTDOWN_MS, this.sendShutdown);
  };

  /** Every DATA sent is acknowledged and no SACK is owed. */
  idle(): boolean {
    return this.data.size === 0 && !this.sackPolicy.pending;
  }

  /**
   * Once idle: the gNB shuts the association down; true when it is shut (or,
   * on the AMF, was never set up).
   */
  drain(): boolean {
    if (this.gnb && this.stage === 'established') {
      this.stage = 'shutdown-sent';
      this.sendShutdown();
    }
    const s = this.stage;
    return s === 'shut' || (s !== 'established' && s !== 'shutdown-sent' && s !== 'shutdown-ack-sent');
  }

  cancelTimers(): void {
    this.initTimer?.cancel();
    this.sackTimer?.cancel();
    this.shutdownTimer?.cancel();
  }

  /** Records what is left (unacknowledged DATA, packet counts, whether it shut down) and closes the socket. */
  close(interrupted: boolean): void {
    this.data.flush();
    this.rt.emit({ t: 'sctp-packets', interface: 'N2', from: this.args.name, to: this.peer.name, ipFamily: this.sock.family, ...this.sent });
    if (this.gnb && this.stage !== 'shut' && !interrupted) this.rt.log(`the SCTP association with ${this.peer.name} did not shut down (stage ${this.stage})`);
    this.rt.count('associationShutDown', this.stage === 'shut' ? 1 : 0);
    this.sock.close();
  }
}

interface Pending {
  rec: NgapProcedureRecord;
  timer: Timer;
  onDone: (outcome: 'successful' | 'unsuccessful' | 'timeout') => void;
}

/**
 * The NGAP procedures over the association: those this side initiates
 * (class 1 waiting for their response), the reactions to initiating
 * messages received (after the behaviour's delay), and the UE flows: the
 * gNB's NG Setup and UEs at uesPerSecond, the AMF's Initial Context Setup,
 * PDU Session Resource Setup and UE Context Release.
 */
class Procedures {
  /** Class 1 procedures waiting for their response, by procedure and UE. */
  private readonly pending = new Map<string, Pending>();
  /** Reactions waiting for their processing delay; emitted as 'none' if the run stops first. */
  private readonly reacting = new Set<{ view: NgapResponderView; timer: Timer }>();
  /** AMF: UE contexts by RAN-UE-NGAP-ID. */
  private readonly amfIds = new Map<number, number>();
  private nextAmfId = 1;
  /** gNB: UEs by AMF-UE-NGAP-ID once the AMF named them, and the UE counter. */
  private readonly gnbUes = new Map<number, number>();
  private nextRanId = 1;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly tickers: Ticker[] = [];
  private readonly gnb: boolean;
  private readonly peer: NfRef;

  constructor(
    private readonly args: NgapAgentArgs,
    private readonly rt: AgentRuntime<NgapAgentArgs>,
    private readonly assoc: Association,
  ) {
    this.gnb = args.role === 'gNB';
    this.peer = args.peer;
  }

  private static key(p: NgapProcedure, ue: number | null): string {
    return `${p}|${ue ?? '-'}`;
  }

  private initiate(procedure: NgapProcedure, ue: ngap.UeIds | undefined, onDone?: Pending['onDone']): void {
    const ueId = ue?.ran ?? null;
    const tsn = this.assoc.sendNgap(ngap.request(procedure, ue), ueId);
    const cls = ngap.NGAP_PROCEDURES[procedure].class;
    const rec: NgapProcedureRecord = {
      interface: 'N2',
      procedure,
      class: cls,
      initiator: this.args.name,
      initiator_type: this.args.type,
      responder: this.peer.name,
      responder_type: this.peer.type,
      ue: ueId,
      tsn,
      sentAtNs: this.assoc.data.sentAtNs(tsn),
      outcome: null,
      respondedAtNs: null,
      latencyNs: null,
    };
    if (cls === 2) return void this.rt.emit({ t: 'ngap-proc', ...rec });
    const k = Procedures.key(procedure, ueId);
    const timer = afterAtLeast(this.args.ngap.responseTimeoutMs, () => {
      this.pending.delete(k);
      rec.outcome = 'timeout';
      this.rt.emit({ t: 'ngap-proc', ...rec });
      onDone?.('timeout');
    });
    this.pending.set(k, { rec, timer, onDone: onDone ?? (() => {}) });
  }

  private onResponse(m: ngap.DecodedNgap, procedure: NgapProcedure, at: bigint): void {
    const ue = procedure === 'NGSetup' ? null : (m.ranUeNgapId ?? null);
    const k = Procedures.key(procedure, ue);
    const p = this.pending.get(k);
    if (!p) return void this.rt.count('unmatchedResponses');
    this.pending.delete(k);
    p.timer.cancel();
    p.rec.outcome = m.kind === 'successful' ? 'successful' : 'unsuccessful';
    p.rec.respondedAtNs = at.toString();
    p.rec.latencyNs = Number(at - BigInt(p.rec.sentAtNs));
    this.rt.emit({ t: 'ngap-proc', ...p.rec });
    p.onDone(p.rec.outcome);
  }

  /**
   * Decides what to do with an initiating message and, unless ignored, calls
   * `act` after the delay with whether to reject. `act` returns what was sent.
   */
  private receive(procedure: NgapProcedure, tsn: number, ue: number | null, act: (reject: boolean) => NgapResponderView['reply']): void {
    const d = decideFor(this.args.behaviours[procedure], this.args.seed, this.args.name, this.peer.name, procedure, tsn);
    const view: NgapResponderView = { procedure, initiator: this.peer.name, responder: this.args.name, tsn, ue, decision: d.decision, delayMs: Math.round(d.delayMs * 1000) / 1000, reply: 'none' };
    if (d.decision === 'ignore') return void this.rt.emit({ t: 'ngap-view', ...view });
    const entry = {
      view,
      timer: afterAtLeast(view.delayMs, () => {
        this.reacting.delete(entry);
        view.reply = act(d.decision === 'reject');
        if (view.reply === 'none') view.note = 'the run was over: no new procedure';
        this.rt.emit({ t: 'ngap-view', ...view });
      }),
    };
    this.reacting.add(entry);
  }

  /** The next class 2 step of a UE's flow: only while the run initiates procedures. */
  private follow(procedure: NgapProcedure, ue: ngap.UeIds): NgapResponderView['reply'] {
    if (!this.rt.initiating) return 'none';
    this.initiate(procedure, ue);
    return 'followed';
  }

  private answer(procedure: NgapProcedure, successful: boolean, ue?: ngap.UeIds): NgapResponderView['reply'] {
    this.assoc.sendNgap(ngap.response(procedure, successful, ue), ue?.ran ?? null);
    return successful ? 'successful' : 'unsuccessful';
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private release(ue: ngap.UeIds): void {
    if (!this.rt.initiating) return;
    this.initiate('UEContextRelease', ue, () => this.amfIds.delete(ue.ran));
  }

  private onInitiating(m: ngap.DecodedNgap, procedure: NgapProcedure, tsn: number): void {
    const ran = m.ranUeNgapId ?? null;
    const ue = (): ngap.UeIds => ({ ran: ran ?? 0, amf: m.amfUeNgapId ?? (ran !== null ? this.amfIds.get(ran) : undefined) });
    if (this.gnb) {
      switch (procedure) {
        case 'DownlinkNASTransport':
          return this.receive(procedure, tsn, ran, () => this.follow('UplinkNASTransport', ue()));
        case 'InitialContextSetup':
          return this.receive(procedure, tsn, ran, (reject) => this.answer(procedure, !reject, ue()));
        case 'PDUSessionResourceSetup':
          return this.receive(procedure, tsn, ran, () => this.answer(procedure, true, ue()));
        case 'UEContextRelease': {
          // The command names the UE by its AMF-UE-NGAP-ID only: the gNB knows the RAN one.
          const amf = m.amfUeNgapId ?? 0;
          const r = this.gnbUes.get(amf) ?? 0;
          return this.receive(procedure, tsn, r, () => {
            this.gnbUes.delete(amf);
            return this.answer(procedure, true, { ran: r, amf });
          });
        }
      }
    } else {
      switch (procedure) {
        case 'NGSetup':
          return this.receive(procedure, tsn, null, (reject) => this.answer(procedure, !reject));
        case 'InitialUEMessage':
          return this.receive(procedure, tsn, ran, () => {
            if (!this.rt.initiating || ran === null) return 'none';
            this.amfIds.set(ran, this.nextAmfId++);
            return this.follow('DownlinkNASTransport', ue());
          });
        case 'UplinkNASTransport':
          return this.receive(procedure, tsn, ran, () => {
            if (!this.rt.initiating) return 'none';
            const u = ue();
            this.initiate('InitialContextSetup', u, (outcome) => {
              if (outcome === 'successful') {
                if (!this.rt.initiating) return;
                this.initiate('PDUSessionResourceSetup', u, (o2) => (o2 === 'successful' ? this.later(this.args.ngap.ueHoldMs, () => this.release(u)) : this.release(u)));
              } else if (outcome === 'unsuccessful') this.release(u);
              else this.amfIds.delete(u.ran);
            });
            return 'followed';
          });
      }
    }
    this.rt.count(`unexpectedRequests.${procedure}`);
  }

  private readonly startUe = (): void => {
    if (!this.rt.initiating) return;
    this.initiate('InitialUEMessage', { ran: this.nextRanId++ });
  };

  /** gNB: NG Setup, then UEs at uesPerSecond; after a failure, NG Setup again later. */
  readonly ngSetup = (): void => {
    if (!this.rt.initiating) return;
    this.initiate('NGSetup', undefined, (outcome) => {
      if (outcome === 'successful') this.tickers.push(atRate(this.args.ngap.uesPerSecond, this.startUe));
      else this.later(NG_SETUP_RETRY_MS, this.ngSetup);
    });
  };

  /** An NGAP payload received in sequence in the DATA chunk with this TSN, at `at`. */
  onNgap(payload: Buffer, tsn: number, at: bigint): void {
    let m: ngap.DecodedNgap;
    try {
      m = ngap.decode(payload);
    } catch (e) {
      this.rt.count('malformedNgap');
      this.rt.log(`NGAP in TSN ${tsn}: ${(e as Error).message}`);
      return;
    }
    if (!m.procedure) return void this.rt.count('unknownProcedures');
    if (this.gnb && m.amfUeNgapId !== undefined && m.ranUeNgapId !== undefined) this.gnbUes.set(m.amfUeNgapId, m.ranUeNgapId);
    if (m.kind === 'initiating') this.onInitiating(m, m.procedure, tsn);
    else this.onResponse(m, m.procedure, at);
  }

  /** No UE is started any more. */
  stopTickers(): void {
    this.tickers.forEach((t) => t.stop());
  }

  /** No procedure waiting for a response and no response being prepared. */
  idle(): boolean {
    return this.pending.size === 0 && ![...this.reacting].some((r) => isClass1(r.view.procedure));
  }

  /** Stops every timer and records what was still waiting (as timeouts, or reactions cut short). */
  shutdown(interrupted: boolean): void {
    for (const t of this.timers) clearTimeout(t);
    for (const t of this.tickers) t.stop();
    for (const p of this.pending.values()) {
      p.timer.cancel();
      if (interrupted) p.rec.interrupted = true;
      p.rec.outcome = 'timeout';
      this.rt.emit({ t: 'ngap-proc', ...p.rec });
    }
    for (const r of this.reacting) {
      r.timer.cancel();
      r.view.note = 'the run stopped during the processing delay';
      this.rt.emit({ t: 'ngap-view', ...r.view });
    }
  }
}

async function main(): Promise<void> {
  const args = AgentRuntime.parseArgs<NgapAgentArgs>(process.argv.slice(2), ['role', 'peer', 'ngap', 'behaviours']);
  const rt = new AgentRuntime(args);
  const assoc = new Association(args, rt);
  const procedures = new Procedures(args, rt, assoc);
  assoc.onEstablished = procedures.ngSetup;
  assoc.onMessage = (payload, tsn, at) => procedures.onNgap(payload, tsn, at);

  rt.onStart(() => assoc.open());
  rt.onEnd(() => procedures.stopTickers());
  // Drained: no procedure waiting for a response, no response being prepared, every DATA acknowledged, no SACK owed;
  // then the association is shut down (by the gNB; the AMF waits for it, or for nothing if it was never set up).
  rt.setDrained(() => procedures.idle() && assoc.idle() && assoc.drain());
  rt.onShutdown((interrupted) => {
    assoc.cancelTimers();
    procedures.shutdown(interrupted);
    assoc.close(interrupted);
  });
  rt.run();
}

const isClass1 = (p: NgapProcedure): boolean => ngap.NGAP_PROCEDURES[p].class === 1;

if (require.main === module) agentMain(main);
