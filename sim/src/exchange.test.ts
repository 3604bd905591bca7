/**
 * RequestTracker (client) and Responder wired to each other in memory, no
 * sockets: retransmissions, timeouts, duplicate handling and the recorded
 * views, with real timers kept short.
 */
import type { Behaviour } from './behaviour';
import { RequestTracker, type Peer } from './client';
import * as P from './pfcp';
import type { ClientTransaction, ResponderView } from './record';
import { Responder } from './responder';

const T1 = 40;
const N1 = 2;
const UPF: Peer = { name: 'upf-1', type: 'UPF', address: '198.18.0.4', port: 8805 };
const quiet: Behaviour = { delay: { kind: 'constant', ms: 2 }, rejectRate: 0, rejectCauses: [64], noResponseRate: 0, dropFirstCopyRate: 0 };

/** One client, one responder; `loseResponses` drops that many responses on the way back. */
function pair(behaviour: Behaviour, loseResponses = 0) {
  const txs: ClientTransaction[] = [];
  const views: ResponderView[] = [];
  let lose = loseResponses;
  const responder = new Responder({
    name: 'upf-1',
    seed: 1,
    rememberMs: 10_000,
    send: (bytes) => {
      if (lose-- > 0) return;
      const m = P.decodeMessage(bytes);
      const c = P.causeOf(m);
      setImmediate(() => tracker.response(UPF.address, 'SessionDeletion', m.seq, { outcome: c !== undefined && P.isAcceptedCause(c) ? 'accepted' : 'rejected', cause: c }));
    },
    emit: (v) => views.push(v),
  });
  const tracker: RequestTracker = new RequestTracker({
    client: 'smf-1',
    clientType: 'SMF',
    clientAddress: '198.18.0.3',
    timerMs: T1,
    retries: N1,
    send: (bytes) => {
      const m = P.decodeMessage(bytes);
      setImmediate(() =>
        responder.handle({ interface: 'N4', procedure: 'SessionDeletion', seq: m.seq, client: 'smf-1', from: '198.18.0.3 8805', behaviour }, (d) => {
          const cause = d.decision === 'reject' ? (d.cause as number) : 1;
          return { bytes: P.encodeMessage(P.sessionResponse('SessionDeletion', { seq: m.seq, peerSeid: 1n, cause })), cause };
        }),
      );
    },
    emit: (t) => txs.push(t),
  });
  const request = (seq: number) => tracker.request({ interface: 'N4', procedure: 'SessionDeletion', seq, bytes: P.encodeMessage(P.sessionDeletionRequest({ seq, upSeid: 1n })), peer: UPF });
  const finish = async (waitMs: number) => {
    await new Promise((r) => setTimeout(r, waitMs));
    tracker.close(false);
    responder.close();
    return { txs, views };
  };
  return { request, finish, tracker };
}

describe('client and responder', () => {
  test('answer: one transmission, latency at least the processing delay', async () => {
    const p = pair({ ...quiet, delay: { kind: 'constant', ms: 15 } });
    p.request(1);
    const { txs, views } = await p.finish(60);
    expect(txs).toHaveLength(1);
    expect(txs[0]).toMatchObject({ outcome: 'accepted', cause: 1, transmissions: 1, seq: 1, client: 'smf-1', server: 'upf-1', procedure: 'SessionDeletion' });
    expect(txs[0].latencyNs! / 1e6).toBeGreaterThanOrEqual(15);
    expect(BigInt(txs[0].respondedAtNs!) - BigInt(txs[0].sentAtNs)).toBe(BigInt(txs[0].latencyNs!));
    expect(views).toEqual([
      { interface: 'N4', procedure: 'SessionDeletion', client: 'smf-1', server: 'upf-1', seq: 1, decision: 'answer', delayMs: 15, reply: 'accepted', copies: 1, responses: 1, cause: 1 },
    ]);
  });

  test('reject: the cause comes back', async () => {
    const p = pair({ ...quiet, rejectRate: 1, rejectCauses: [74] });
    p.request(2);
    const { txs, views } = await p.finish(30);
    expect(txs[0]).toMatchObject({ outcome: 'rejected', cause: 74, transmissions: 1 });
    expect(views[0]).toMatchObject({ decision: 'reject', reply: 'rejected', cause: 74, responses: 1 });
  });

  test('ignore: every copy ignored, timeout after N1 retransmissions', async () => {
    const p = pair({ ...quiet, noResponseRate: 1 });
    p.request(3);
    expect(p.tracker.outstanding).toBe(1);
    const { txs, views } = await p.finish((N1 + 1) * T1 + 40);
    expect(txs[0]).toMatchObject({ outcome: 'timeout', transmissions: N1 + 1, respondedAtNs: null, latencyNs: null });
    expect(txs[0].cause).toBeUndefined();
    expect(views[0]).toMatchObject({ decision: 'ignore', reply: 'none', copies: N1 + 1, responses: 0 });
  });

  test('drop-first: the retransmission is answered', async () => {
    const p = pair({ ...quiet, dropFirstCopyRate: 1 });
    p.request(4);
    const { txs, views } = await p.finish(T1 + 40);
    expect(txs[0]).toMatchObject({ outcome: 'accepted', transmissions: 2 });
    expect(txs[0].latencyNs! / 1e6).toBeGreaterThanOrEqual(T1 + 2);
    expect(views[0]).toMatchObject({ decision: 'drop-first', reply: 'accepted', copies: 2, responses: 1 });
  });

  test('a lost response: the retransmission gets the same response again, processed once', async () => {
    const p = pair(quiet, 1);
    p.request(5);
    const { txs, views } = await p.finish(T1 + 40);
    expect(txs[0]).toMatchObject({ outcome: 'accepted', transmissions: 2 });
    expect(views[0]).toMatchObject({ decision: 'answer', copies: 2, responses: 2 });
  });

  test('a copy arriving while the response is being prepared is dropped', async () => {
    const p = pair({ ...quiet, delay: { kind: 'constant', ms: T1 + 20 } });
    p.request(6);
    const { txs, views } = await p.finish(T1 + 60);
    expect(txs[0]).toMatchObject({ outcome: 'accepted', transmissions: 2 });
    expect(views[0]).toMatchObject({ decision: 'answer', copies: 2, responses: 1 });
  });

  test('a response after the client gave up is noted as late, and the outcome stays a timeout', async () => {
    const p = pair({ ...quiet, delay: { kind: 'constant', ms: (N1 + 1) * T1 + 15 } });
    p.request(7);
    const { txs } = await p.finish((N1 + 1) * T1 + 50);
    expect(txs[0]).toMatchObject({ outcome: 'timeout', transmissions: N1 + 1 });
    expect(txs[0].lateResponseAtNs).toBeDefined();
  });

  test('closing with requests outstanding emits them as interrupted timeouts', async () => {
    const p = pair({ ...quiet, noResponseRate: 1 });
    p.request(8);
    await new Promise((r) => setTimeout(r, 5));
    p.tracker.close(true);
    const { txs } = await p.finish(0);
    expect(txs).toEqual([expect.objectContaining({ seq: 8, outcome: 'timeout', interrupted: true, transmissions: 1 })]);
  });

  test('the same sequence number twice while outstanding is a bug, and says so', () => {
    const p = pair({ ...quiet, noResponseRate: 1 });
    p.request(9);
    expect(() => p.request(9)).toThrow(/still outstanding/);
    p.tracker.close(false);
    void p.finish(0);
  });
});
