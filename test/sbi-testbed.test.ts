/**
 * SBI traffic of the 5G testbed (NRF registration and discovery, AMF→AUSF
 * authentication, AMF→UDM, AMF→SMF session create, SMF→PCF policy, over
 * Node's http2 with short- and long-lived connections, delays, error
 * statuses and unanswered requests) against two witnesses: the testbed's
 * record (counts per NF pair and method, outcomes, every status, timeouts)
 * and tshark's pairing of the same capture (p50/p90/p99 within the band
 * its order statistics and the histogram's slots allow: test/lib/quantile-bound.ts).
 */
import { Testbed, type ScenarioInput, type Transaction } from '../sim/src';
import { describeRoot } from './lib/env';
import { startExporter, type RunningExporter, type SummaryRow } from './lib/exporter';
import { quantileBand } from './lib/quantile-bound';
import { Capture } from './lib/tshark';
import { http2Exchanges } from './lib/tshark-http2';

type Row = SummaryRow;

const key = (t: { client: string; server: string; procedure: string }) => `${t.client}→${t.server}|${t.procedure}`;

describeRoot('SBI latency on the testbed', () => {
  let tb: Testbed;
  let ex: RunningExporter | undefined;
  let capture: Capture | undefined;

  beforeAll(() => {
    tb = Testbed.create({ ipv6: true });
  });
  afterAll(async () => {
    await ex?.stop('SIGKILL');
    await capture?.stop();
    capture?.remove();
    tb?.destroy();
    expect(tb.leftovers()).toEqual([]);
  });

  test.each([4, 6] as const)(
    'IPv%d: counts, outcomes and statuses equal the record, p50/p90/p99 within the band of the tshark sample',
    async (ipFamily) => {
      // The exporter gives up before the consumer does (1 s < 3 s): an unanswered request is its timeout, not a cancelled stream.
      ex = await startExporter(tb.exporterConfigYaml({ requestTimeout: '1s' }));
      capture = await Capture.start(tb.bridge, 'tcp port 7777');
      const scenario: ScenarioInput = {
        seed: 20 + ipFamily,
        durationMs: 10_000,
        ipFamily,
        pfcp: { heartbeatIntervalMs: 0, sessionsPerSecond: 0, reportsPerSecond: 0 },
        gtpu: { echoIntervalMs: 0, gpduPerSecond: 0 },
        sbi: {
          registrationsPerSecond: 8,
          nrfHeartbeatMs: 400,
          connections: { AMF: 'short', SMF: 'long', AUSF: 'long', UDM: 'long', PCF: 'short' },
          responder: { delay: { kind: 'lognormal', medianMs: 4, sigma: 0.6 }, errorRate: 0.15, errorStatuses: [400, 403, 404, 500, 503], noResponseRate: 0.02 },
          producers: { PCF: { delay: { kind: 'uniform', minMs: 5, maxMs: 30 } } },
          timeoutMs: 3000,
        },
      };
      const record = await tb.run(scenario);
      await new Promise((r) => setTimeout(r, 1500)); // dumpcap's last block
      const file = await capture.stop();
      await new Promise((r) => setTimeout(r, 2500)); // the exporter's timeouts are swept
      const rows = new Map<string, Row[]>();
      for (const r of (await ex.getJson<{ latency: Row[] }>('/api/v1/summary?window=10m')).latency.filter((x) => x.interface === 'SBI')) {
        rows.set(key(r), [...(rows.get(key(r)) ?? []), r]);
      }
      const sum = (rs: Row[] | undefined, f: (r: Row) => number) => (rs ?? []).reduce((a, r) => a + f(r), 0);
      const metrics = (await ex.getText('/metrics')).split('\n').filter((l) => l.startsWith('nfscope_requests_total{') && l.includes('interface="SBI"'));
      await ex.stop();
      ex = undefined;
      expect(record.interrupted).toBe(false);

      const sbi = record.transactions.filter((t) => t.interface === 'SBI');
      const bySeries = new Map<string, Transaction[]>();
      for (const t of sbi) bySeries.set(key(t), [...(bySeries.get(key(t)) ?? []), t]);
      const methods = new Set(sbi.map((t) => `${t.client}→${t.server}|${t.procedure}`));
      expect([...methods].sort()).toEqual(
        [
          'amf-1→nrf-1|GET',
          'amf-1→nrf-1|PUT',
          'amf-1→nrf-1|PATCH',
          'amf-1→ausf-1|POST',
          'amf-1→ausf-1|PUT',
          'amf-1→udm-1|PUT',
          'amf-1→udm-1|GET',
          'amf-1→smf-1|POST',
          'smf-1→pcf-1|POST',
          'smf-1→nrf-1|PUT',
          'smf-1→nrf-1|PATCH',
          'ausf-1→nrf-1|PUT',
          'ausf-1→nrf-1|PATCH',
          'udm-1→nrf-1|PUT',
          'udm-1→nrf-1|PATCH',
          'pcf-1→nrf-1|PUT',
          'pcf-1→nrf-1|PATCH',
        ].sort(),
      );
      const ipName = new Map(tb.nfs.flatMap((n) => n.addresses.map((a) => [a, n.name] as [string, string])));
      const oracle = new Map<string, number[]>();
      for (const e of http2Exchanges(file, [7777], (ip) => ipName.get(ip) ?? ip)) {
        if (e.ms === null) continue;
        const k = key({ client: e.client, server: e.server, procedure: e.method });
        oracle.set(k, [...(oracle.get(k) ?? []), e.ms]);
      }

      const report: string[] = [];
      const outside: string[] = [];
      for (const [k, txs] of bySeries) {
        const done = txs.filter((t) => t.outcome !== 'timeout');
        const rs = rows.get(k);
        expect({ k, count: sum(rs, (r) => r.count), timeouts: sum(rs, (r) => r.timeouts) }).toEqual({ k, count: done.length, timeouts: txs.length - done.length });
        expect({ k, tsharkPairs: oracle.get(k)?.length ?? 0 }).toEqual({ k, tsharkPairs: done.length });
        // Every status exactly (the dynamic table is followed on every connection seen from its start).
        const [client, rest] = k.split('→');
        const [server, method] = rest.split('|');
        const want = new Map<string, number>();
        for (const t of done) want.set(String(t.status), (want.get(String(t.status)) ?? 0) + 1);
        const got = new Map<string, number>();
        for (const l of metrics) {
          const procedure = /procedure="([^"]*)"/.exec(l)![1];
          if (!l.includes(`client_nf="${client}"`) || !l.includes(`server_nf="${server}"`) || procedure !== method) continue;
          const code = /code="([^"]*)"/.exec(l)![1];
          if (code === '') continue; // timeouts
          got.set(code, (got.get(code) ?? 0) + Number(l.split(' ').pop()));
        }
        expect({ k, codes: Object.fromEntries([...got].sort()) }).toEqual({ k, codes: Object.fromEntries([...want].sort()) });
        expect({ k, rejected: sum(rs, (r) => r.rejected) }).toEqual({ k, rejected: done.filter((t) => t.outcome === 'rejected').length });

        const times = oracle.get(k) ?? [];
        // Quantiles of one nfscope series; too few samples make a p99 meaningless.
        if (times.length < 20) continue;
        const row = rs![0];
        for (const [q, v] of [
          [0.5, row.p50_ms],
          [0.9, row.p90_ms],
          [0.99, row.p99_ms],
        ] as const) {
          const b = quantileBand(v, times, q);
          const line = `IPv${ipFamily} ${k} p${q * 100} (n=${times.length}): ${b.text}`;
          report.push(line);
          if (!b.ok) outside.push(line);
        }
      }
      process.stdout.write(`${report.join('\n')}\n`);
      expect(outside).toEqual([]);
      capture.remove();
      capture = undefined;
    },
    120_000,
  );
});
