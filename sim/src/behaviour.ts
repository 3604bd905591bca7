/**
 * What a responder does with a request it receives for the first time:
 * answer after a processing delay, reject (answer with a rejection cause),
 * ignore it and its retransmissions (the client sees a timeout), or drop the
 * first copy only (the client's retransmission is answered).
 */
import { sample, type Distribution } from './distributions';
import { Rng } from './random';

export interface Behaviour {
  /** Processing delay before the response is sent. */
  delay: Distribution;
  /** Probability of answering with a rejection cause (PFCP only; not Heartbeat, which has no Cause IE). */
  rejectRate: number;
  /** Cause values to reject with, picked uniformly (TS 29.244 §8.2.1: ≥ 64). */
  rejectCauses: number[];
  /** Probability of never answering this request nor its retransmissions. */
  noResponseRate: number;
  /** Probability of dropping the first copy and answering the first retransmission. */
  dropFirstCopyRate: number;
}

export type DecisionKind = 'answer' | 'reject' | 'ignore' | 'drop-first';

export interface Decision {
  decision: DecisionKind;
  /** Delay chosen before answering (0 for 'ignore'). For 'drop-first' it applies to the retransmission. */
  delayMs: number;
  /** The rejection cause, for 'reject'. */
  cause?: number;
}

/**
 * One decision from `rng`. The draws are made in a fixed order (outcome,
 * delay, cause) whatever the outcome, so a stream gives the same sequence of
 * decisions for the same behaviour.
 */
export function decide(b: Behaviour, rng: Rng): Decision {
  const u = rng.next();
  const delayMs = Math.max(0, sample(b.delay, rng));
  const cause = b.rejectCauses.length > 0 ? b.rejectCauses[Math.floor(rng.next() * b.rejectCauses.length)] : undefined;
  let edge = b.noResponseRate;
  if (u < edge) return { decision: 'ignore', delayMs: 0 };
  edge += b.rejectRate;
  if (u < edge) return { decision: 'reject', delayMs, cause };
  edge += b.dropFirstCopyRate;
  if (u < edge) return { decision: 'drop-first', delayMs };
  return { decision: 'answer', delayMs };
}

/**
 * The decision for one request, independent of the order in which requests
 * arrive: derived from the run's seed and what identifies the request.
 */
export function decideFor(b: Behaviour, seed: number, responder: string, client: string, procedure: string, seq: number): Decision {
  return decide(b, Rng.derive(seed, 'respond', responder, client, procedure, seq));
}
