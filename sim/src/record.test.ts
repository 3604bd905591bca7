import { joinGpdu, joinTransactions, summarize, type ClientTransaction, type ResponderView } from './record';

const tx = (seq: number, over: Partial<ClientTransaction> = {}): ClientTransaction => ({
  interface: 'N4',
  procedure: 'Heartbeat',
  client: 'smf-1',
  client_type: 'SMF',
  server: 'upf-1',
  server_type: 'UPF',
  client_address: '198.18.0.3',
  server_address: '198.18.0.4',
  seq,
  sentAtNs: `${1_000_000_000 + seq}`,
  transmissions: 1,
  respondedAtNs: `${1_000_000_000 + seq + 2_000_000}`,
  latencyNs: 2_000_000,
  outcome: 'accepted',
  ...over,
});
const view = (seq: number, over: Partial<ResponderView> = {}): ResponderView => ({
  interface: 'N4',
  procedure: 'Heartbeat',
  client: 'smf-1',
  server: 'upf-1',
  seq,
  decision: 'answer',
  delayMs: 1,
  reply: 'accepted',
  copies: 1,
  responses: 1,
  ...over,
});

describe('record', () => {
  test('joins client and responder views on interface, procedure, client, server and sequence number', () => {
    const { transactions, unmatched } = joinTransactions(
      [tx(2), tx(1), tx(1, { procedure: 'SessionDeletion', sentAtNs: '1000000005' })],
      [view(1, { delayMs: 7 }), view(1, { procedure: 'SessionDeletion', decision: 'reject', reply: 'rejected', cause: 65 }), view(3)],
    );
    expect(transactions.map((t) => [t.seq, t.procedure, t.responder?.delayMs, t.responder?.decision])).toEqual([
      [1, 'Heartbeat', 7, 'answer'],
      [2, 'Heartbeat', undefined, undefined],
      [1, 'SessionDeletion', 1, 'reject'],
    ]);
    expect(transactions[1].responder).toBeNull();
    expect(transactions[0].responder).toEqual({ decision: 'answer', delayMs: 7, reply: 'accepted', copies: 1, responses: 1 });
    expect(unmatched).toEqual([view(3)]);
  });

  test('a wrapped sequence number pairs in order', () => {
    const { transactions } = joinTransactions([tx(5, { sentAtNs: '10' }), tx(5, { sentAtNs: '20' })], [view(5, { delayMs: 1 }), view(5, { delayMs: 2 })]);
    expect(transactions.map((t) => t.responder?.delayMs)).toEqual([1, 2]);
  });

  test('G-PDU flows: sender and receiver counters side by side', () => {
    const flows = joinGpdu(
      [
        { direction: 'sent', interface: 'N3', from: 'gnb-1', to: 'upf-1', teid: 256, packets: 10, bytes: 2160 },
        { direction: 'received', interface: 'N3', from: 'gnb-1', to: 'upf-1', teid: 256, packets: 9, bytes: 1944 },
        { direction: 'received', interface: 'N9', from: 'upf-1', to: 'upf-2', teid: 512, packets: 9, bytes: 1944 },
      ],
      (nf) => (nf.startsWith('gnb') ? 'gNB' : 'UPF'),
    );
    expect(flows).toEqual([
      { interface: 'N3', from: 'gnb-1', from_type: 'gNB', to: 'upf-1', to_type: 'UPF', teid: 256, sent: { packets: 10, bytes: 2160 }, received: { packets: 9, bytes: 1944 } },
      { interface: 'N9', from: 'upf-1', from_type: 'UPF', to: 'upf-2', to_type: 'UPF', teid: 512, sent: { packets: 0, bytes: 0 }, received: { packets: 9, bytes: 1944 } },
    ]);
  });

  test('summary: counts, retransmissions and nearest-rank percentiles per group', () => {
    const rows = summarize([
      ...Array.from({ length: 100 }, (_, i) => tx(i, { latencyNs: (i + 1) * 1_000_000 })),
      tx(200, { outcome: 'timeout', latencyNs: null, respondedAtNs: null, transmissions: 4 }),
      tx(201, { outcome: 'rejected', cause: 64, transmissions: 2 }),
    ]);
    expect(rows).toEqual([
      {
        client: 'smf-1',
        server: 'upf-1',
        interface: 'N4',
        procedure: 'Heartbeat',
        count: 102,
        accepted: 100,
        rejected: 1,
        timeouts: 1,
        retransmissions: 4,
        p50_ms: 50,
        p99_ms: 99,
        max_ms: 100, // the rejected one answered in 2 ms too: 101 latencies
      },
    ]);
  });
});
