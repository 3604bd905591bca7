/**
 * The heart of nfscope, checked against two independent witnesses: the 5G
 * testbed's own record of every transaction it made (counts, rejections,
 * timeouts, retransmissions) and tshark's pairing of the same traffic
 * captured on the testbed's bridge (pfcp.response_time, gtp.time), whose
 * p50/p90/p99 the exporter's must match within the band the sample's order
 * statistics and the histogram's slots allow (test/lib/quantile-bound.ts).
 */
import { Testbed, type RunRecord, type ScenarioInput, type Transaction } from '../sim/src';
import { describeRoot } from './lib/env';
import { metricSamples, startExporter, type RunningExporter, type SummaryRow } from './lib/exporter';
import { quantileBand } from './lib/quantile-bound';
import { Capture, gtpEchoTimes, pfcpResponseTimes } from './lib/tshark';

type Row = SummaryRow;

const PFCP_TYPES: Record<string, number> = {
  Heartbeat: 1,
  AssociationSetup: 5,
  SessionEstablishment: 50,
  SessionModification: 52,
  SessionDeletion: 54,
  SessionReport: 56,
};
const PROCEDURE_OF_TYPE = Object.fromEntries(Object.entries(PFCP_TYPES).map(([k, v]) => [v, k]));

const seriesKey = (t: { client: string; server: string; procedure: string }) => `${t.client}→${t.server}|${t.procedure}`;

/** What the testbed says happened, per series. */
function truth(txs: Transaction[]) {
  const out = new Map<string, { completed: number; rejected: number; timeouts: number; retransmissions: number }>();
  for (const t of txs) {
    const k = seriesKey(t);
    const e = out.get(k) ?? { completed: 0, rejected: 0, timeouts: 0, retransmissions: 0 };
    out.set(k, e);
    if (t.outcome === 'timeout') e.timeouts += 1;
    else e.completed += 1;
    if (t.outcome === 'rejected') e.rejected += 1;
    e.retransmissions += t.transmissions - 1;
  }
  return out;
}

describeRoot('latency between NFs on the testbed', () => {
  let tb: Testbed;
  let ex: RunningExporter | undefined;
  let capture: Capture | undefined;

  /** A fresh exporter, a capture on the bridge, one scenario run; the exporter's rows once its timeouts are swept. */
  async function measure(scenario: ScenarioInput): Promise<{ record: RunRecord; rows: Map<string, Row>; file: string; lost: Record<string, number> }> {
    ex = await startExporter(tb.exporterConfigYaml({ requestTimeout: '2s' }));
    capture = await Capture.start(tb.bridge, 'udp port 8805 or udp port 2152');
    // N4 and N3/N9 only: N2 and the SBI have tests of their own (n2, sbi-testbed).
    const record = await tb.run({ ngap: { enabled: false }, sbi: { registrationsPerSecond: 0, nrfHeartbeatMs: 0 }, ...scenario });
    const file = await capture.stop();
    // request_timeout (2 s) plus a sweep and a read.
    await new Promise((r) => setTimeout(r, 3500));
    const s = await ex.getJson<{ latency: Row[] }>('/api/v1/summary?window=10m');
    // What the programs could not record (a full map, a slot another CPU held that instant): none,
    // or the counts below cannot match the record; named here, so that a mismatch says why.
    const lost = Object.fromEntries([...metricSamples(await ex.getText('/metrics'), 'nfscope_bpf_lost_events_total')].filter(([, v]) => v > 0));
    await ex.stop();
    ex = undefined;
    return { record, rows: new Map(s.latency.map((r) => [seriesKey(r), r])), file, lost };
  }

  beforeAll(() => {
    tb = Testbed.create();
  });
  afterEach(async () => {
    await ex?.stop('SIGKILL');
    ex = undefined;
    await capture?.stop();
    capture?.remove();
    capture = undefined;
  });
  afterAll(() => {
    tb?.destroy();
    expect(tb.leftovers()).toEqual([]);
  });

  test('every N4 procedure and N3/N9 echo: counts equal the testbed record, p50/p90/p99 within the band of the tshark sample', async () => {
    const { record, rows, file, lost } = await measure({
      seed: 7,
      durationMs: 15_000,
      pfcp: {
        heartbeatIntervalMs: 100,
        sessionsPerSecond: 10,
        sessionHoldMs: 600,
        reportsPerSecond: 6,
        t1Ms: 400,
        n1: 2,
        responder: { delay: { kind: 'lognormal', medianMs: 6, sigma: 0.6 }, rejectRate: 0.1, rejectCauses: [64, 73], noResponseRate: 0.03, dropFirstCopyRate: 0 },
      },
      gtpu: { echoIntervalMs: 50, responder: { delay: { kind: 'uniform', minMs: 2, maxMs: 12 }, noResponseRate: 0, dropFirstCopyRate: 0 }, gpduPerSecond: 200 },
    });
    expect(record.interrupted).toBe(false);
    expect(lost).toEqual({});
    const expected = truth(record.transactions);
    const ipName = new Map(tb.nfs.flatMap((n) => n.addresses.map((a) => [a, n.name] as [string, string])));
    const nameOf = (ip: string) => ipName.get(ip) ?? ip;
    const oracle = new Map([...pfcpResponseTimes(file, nameOf, (t) => PROCEDURE_OF_TYPE[t] ?? `type_${t}`), ...gtpEchoTimes(file, nameOf)]);

    // Every procedure and both echo paths took part.
    const procedures = new Set([...expected.keys()].map((k) => k.split('|')[1]));
    expect([...procedures].sort()).toEqual([...Object.keys(PFCP_TYPES), 'Echo'].sort());

    const report: string[] = [];
    const outside: string[] = [];
    for (const [k, want] of expected) {
      const row = rows.get(k);
      expect({ k, count: row?.count ?? 0, rejected: row?.rejected ?? 0, timeouts: row?.timeouts ?? 0, retransmissions: row?.retransmissions ?? 0 }).toEqual({
        k,
        count: want.completed,
        rejected: want.rejected,
        timeouts: want.timeouts,
        retransmissions: want.retransmissions,
      });
      const times = oracle.get(k) ?? [];
      expect({ k, tsharkPairs: times.length }).toEqual({ k, tsharkPairs: want.completed });
      if (want.completed < 20) continue; // too few for a p99 to mean anything
      for (const [q, got] of [
        [0.5, row!.p50_ms],
        [0.9, row!.p90_ms],
        [0.99, row!.p99_ms],
      ] as const) {
        const b = quantileBand(got, times, q);
        const line = `${k} p${q * 100} (n=${times.length}): ${b.text}`;
        report.push(line);
        if (!b.ok) outside.push(line);
      }
    }
    process.stdout.write(`${report.join('\n')}\n`);
    expect(outside).toEqual([]);
  });

  test('retransmissions answered on their second copy count once, from the first copy', async () => {
    const { record, rows, lost } = await measure({
      seed: 11,
      durationMs: 6000,
      pfcp: {
        heartbeatIntervalMs: 200,
        sessionsPerSecond: 5,
        sessionHoldMs: 400,
        reportsPerSecond: 2,
        t1Ms: 300,
        n1: 2,
        responder: { delay: { kind: 'constant', ms: 3 }, rejectRate: 0.05, noResponseRate: 0.05, dropFirstCopyRate: 0.2 },
      },
      gtpu: { echoIntervalMs: 100, t3Ms: 300, n3: 1, responder: { delay: { kind: 'constant', ms: 1 }, noResponseRate: 0.05, dropFirstCopyRate: 0.2 }, gpduPerSecond: 0 },
    });
    expect(lost).toEqual({});
    const expected = truth(record.transactions);
    let retrans = 0;
    for (const [k, want] of expected) {
      const row = rows.get(k);
      retrans += want.retransmissions;
      expect({ k, count: row?.count ?? 0, rejected: row?.rejected ?? 0, timeouts: row?.timeouts ?? 0, retransmissions: row?.retransmissions ?? 0 }).toEqual({
        k,
        count: want.completed,
        rejected: want.rejected,
        timeouts: want.timeouts,
        retransmissions: want.retransmissions,
      });
    }
    expect(retrans).toBeGreaterThan(10);
    // An answer to a second copy is timed from the first: at least T1 (300 ms) where the
    // responder answered only the second copy; timed from the retransmission it would be ~3 ms.
    const slow = new Set(record.transactions.filter((t) => t.responder?.decision === 'drop-first' && t.outcome !== 'timeout').map(seriesKey));
    expect(slow.size).toBeGreaterThan(0);
    for (const k of slow) expect({ k, max_ms: (rows.get(k)!.max_ms ?? 0) >= 300 }).toEqual({ k, max_ms: true });
  });
});
