/**
 * The client side of request/response protocols over UDP (PFCP, GTP-U Echo):
 * sends a request, retransmits the same bytes with the same sequence number
 * every `timerMs` until `retries` retransmissions were made (TS 29.244 §6.4:
 * T1/N1; TS 29.281 §7.2.1 with TS 29.060 §7.6: T3-RESPONSE/N3-REQUESTS), and
 * records one outcome per request: accepted, rejected or timeout.
 */
import { afterAtLeast, epochNs, type Timer } from './clock';
import type { ClientTransaction, Interface, Procedure } from './record';

export interface Peer {
  name: string;
  type: string;
  address: string;
  port: number;
}

export interface RequestSpec {
  interface: Interface;
  procedure: Procedure;
  seq: number;
  bytes: Buffer;
  peer: Peer;
  /** Called once with the finished transaction (after it was emitted). */
  onDone?: (t: ClientTransaction) => void;
}

export interface ResponseResult {
  outcome: 'accepted' | 'rejected';
  cause?: number;
}

interface Pending {
  spec: RequestSpec;
  tx: ClientTransaction;
  timer: Timer;
}

export interface TrackerOptions {
  client: string;
  clientType: string;
  clientAddress: string;
  timerMs: number;
  retries: number;
  /** Hands a datagram to the socket. */
  send: (bytes: Buffer, peer: Peer) => void;
  /** Receives every finished transaction. */
  emit: (t: ClientTransaction) => void;
}

export class RequestTracker {
  private readonly pending = new Map<string, Pending>();
  /** Timed-out transactions kept for a while so that a late response can be noted before they are emitted. */
  private readonly late = new Map<string, { tx: ClientTransaction; spec: RequestSpec; until: number }>();
  private readonly lateSweep: NodeJS.Timeout;
  /** Responses that matched nothing outstanding (duplicates for retransmissions, or very late). */
  unmatchedResponses = 0;

  constructor(private readonly o: TrackerOptions) {
    this.lateSweep = setInterval(() => this.flushLate(false), 250);
  }

  private static key(address: string, procedure: string, seq: number): string {
    return `${address}|${procedure}|${seq}`;
  }

  /** Sends a request and tracks it until it is answered or given up. */
  request(spec: RequestSpec): void {
    const k = RequestTracker.key(spec.peer.address, spec.procedure, spec.seq);
    if (this.pending.has(k)) throw new Error(`${spec.procedure} seq ${spec.seq} to ${spec.peer.name} is still outstanding`);
    const tx: ClientTransaction = {
      interface: spec.interface,
      procedure: spec.procedure,
      client: this.o.client,
      client_type: this.o.clientType,
      server: spec.peer.name,
      server_type: spec.peer.type,
      client_address: this.o.clientAddress,
      server_address: spec.peer.address,
      seq: spec.seq,
      sentAtNs: epochNs().toString(),
      transmissions: 1,
      respondedAtNs: null,
      latencyNs: null,
      outcome: 'timeout',
    };
    this.o.send(spec.bytes, spec.peer);
    // T1 is a minimum: the retransmission never leaves earlier (afterAtLeast).
    const p: Pending = { spec, tx, timer: afterAtLeast(this.o.timerMs, () => this.expire(k)) };
    this.pending.set(k, p);
  }

  private expire(k: string): void {
    const p = this.pending.get(k);
    if (!p) return;
    if (p.tx.transmissions <= this.o.retries) {
      // Retransmission: the same bytes, hence the same sequence number.
      p.tx.transmissions++;
      this.o.send(p.spec.bytes, p.spec.peer);
      p.timer = afterAtLeast(this.o.timerMs, () => this.expire(k));
      return;
    }
    this.pending.delete(k);
    this.late.set(k, { tx: p.tx, spec: p.spec, until: Date.now() + this.o.timerMs });
  }

  /** A response arrived. Returns false if no request was waiting for it. */
  response(address: string, procedure: Procedure, seq: number, r: ResponseResult): boolean {
    const now = epochNs();
    const k = RequestTracker.key(address, procedure, seq);
    const p = this.pending.get(k);
    if (!p) {
      const l = this.late.get(k);
      if (l && l.tx.lateResponseAtNs === undefined) l.tx.lateResponseAtNs = now.toString();
      else this.unmatchedResponses++;
      return false;
    }
    p.timer.cancel();
    this.pending.delete(k);
    p.tx.respondedAtNs = now.toString();
    p.tx.latencyNs = Number(now - BigInt(p.tx.sentAtNs));
    p.tx.outcome = r.outcome;
    if (r.cause !== undefined) p.tx.cause = r.cause;
    this.finish(p.tx, p.spec);
    return true;
  }

  private finish(tx: ClientTransaction, spec: RequestSpec): void {
    this.o.emit(tx);
    spec.onDone?.(tx);
  }

  private flushLate(all: boolean): void {
    const now = Date.now();
    for (const [k, l] of this.late) {
      if (all || l.until <= now) {
        this.late.delete(k);
        this.finish(l.tx, l.spec);
      }
    }
  }

  /** Requests still waiting for a response or their next retransmission. */
  get outstanding(): number {
    return this.pending.size;
  }

  /** Ends tracking: timed-out transactions are emitted; unfinished ones too, as interrupted timeouts when `interrupted`. */
  close(interrupted: boolean): void {
    clearInterval(this.lateSweep);
    this.flushLate(true);
    for (const p of this.pending.values()) {
      p.timer.cancel();
      if (interrupted) p.tx.interrupted = true;
      this.o.emit(p.tx);
    }
    this.pending.clear();
  }
}
