/**
 * The responder side: one decision per request (not per copy), taken when its
 * first copy arrives, and duplicate handling for retransmissions:
 *
 *  - ignored request: every copy is ignored, so the client times out;
 *  - drop-first: the first copy is dropped, the first retransmission is
 *    processed as if it were new;
 *  - while a response is being prepared (processing delay), further copies
 *    are dropped;
 *  - after the response was sent, a retransmitted request is answered with the
 *    same response again, without processing it twice (TS 29.244 §6.4: the
 *    receiver of a duplicate request resends its response).
 *
 * Every request's view (decision, delay, copies) is emitted once it is
 * forgotten, i.e. when no retransmission of it can come any more.
 */
import { decideFor, type Behaviour, type Decision } from './behaviour';
import { sleepAtLeast } from './clock';
import type { Interface, Procedure, ResponderView } from './record';

export interface IncomingRequest {
  interface: Interface;
  procedure: Procedure;
  seq: number;
  /** Client NF name (from its address). */
  client: string;
  /** Identifies the client's socket: address and port. */
  from: string;
  behaviour: Behaviour;
}

/**
 * Builds the response for a request once the processing delay is over. The
 * responder's state may turn an answer into a rejection (a UPF that does not
 * know the SEID rejects with cause 65 whatever was drawn): `overrideNote` says
 * why. null: send nothing.
 */
export type Answer = (d: Decision) => { bytes: Buffer; cause?: number; overrideNote?: string } | null;

interface Entry {
  view: ResponderView;
  /** The client's address and port, where responses go. */
  from: string;
  state: 'ignored' | 'dropped-first' | 'processing' | 'answered';
  response?: Buffer;
  forgetAt: number;
  decision: Decision;
  answer: Answer;
}

export interface ResponderOptions {
  /** This NF's name. */
  name: string;
  seed: number;
  /** How long a request is remembered after its first copy (at least the client's whole retransmission chain). */
  rememberMs: number;
  send: (bytes: Buffer, from: string) => void;
  emit: (v: ResponderView) => void;
}

export class Responder {
  private readonly entries = new Map<string, Entry>();
  private readonly sweep: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly o: ResponderOptions) {
    this.sweep = setInterval(() => this.forget(false), 250);
  }

  handle(req: IncomingRequest, answer: Answer): void {
    if (this.closed) return;
    const k = `${req.from}|${req.procedure}|${req.seq}`;
    const e = this.entries.get(k);
    if (e) {
      e.view.copies++;
      if (e.state === 'dropped-first') this.process(e);
      else if (e.state === 'answered' && e.response) {
        e.view.responses++;
        this.o.send(e.response, req.from);
      }
      return;
    }
    const decision = decideFor(req.behaviour, this.o.seed, this.o.name, req.client, req.procedure, req.seq);
    const entry: Entry = {
      view: {
        interface: req.interface,
        procedure: req.procedure,
        client: req.client,
        server: this.o.name,
        seq: req.seq,
        decision: decision.decision,
        delayMs: Math.round(decision.delayMs * 1000) / 1000,
        copies: 1,
        responses: 0,
        reply: 'none',
      },
      from: req.from,
      state: 'ignored',
      forgetAt: Date.now() + this.o.rememberMs,
      decision,
      answer,
    };
    if (decision.decision === 'reject') entry.view.cause = decision.cause;
    this.entries.set(k, entry);
    if (decision.decision === 'drop-first') entry.state = 'dropped-first';
    else if (decision.decision !== 'ignore') this.process(entry);
  }

  private process(e: Entry): void {
    e.state = 'processing';
    // The recorded delay is what we wait: the response leaves at least delayMs after this copy arrived.
    void sleepAtLeast(e.view.delayMs).then(() => {
      if (this.closed) return;
      const r = e.answer(e.decision);
      if (!r) return;
      if (r.cause !== undefined) e.view.cause = r.cause;
      if (r.overrideNote) e.view.note = r.overrideNote;
      e.view.reply = r.cause !== undefined && r.cause >= 64 ? 'rejected' : 'accepted';
      e.response = r.bytes;
      e.state = 'answered';
      e.view.responses++;
      this.o.send(r.bytes, e.from);
    });
  }

  private forget(all: boolean): void {
    const now = Date.now();
    for (const [k, e] of this.entries) {
      if (all || e.forgetAt <= now) {
        this.entries.delete(k);
        this.o.emit(e.view);
      }
    }
  }

  /** Stops answering and emits the views of every request still remembered. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweep);
    this.forget(true);
  }
}
