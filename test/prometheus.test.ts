/**
 * Prometheus end to end: a real Prometheus (Debian's) scrapes, every second,
 * a real exporter watching the 5G testbed's N4 and N3/N9 traffic. What
 * PromQL answers from the scraped nfscope_request_duration_seconds histogram
 * must agree with the exporter's own full-resolution answer
 * (/api/v1/summary): counts and means exactly (to the microsecond the API
 * rounds to), quantiles within the resolution of the Prometheus buckets; and
 * nfscope's alerting rules, loaded into that Prometheus, evaluate on the real
 * series without error, and lost GTP-U echoes make the echo-failure alert
 * pending on exactly the paths that lost them.
 *
 * Tolerance of a quantile, derived from the two histograms:
 * - The kernel bins every latency into a fine log-linear slot (16 per power
 *   of two); the exporter's quantile x lies in the slot of the true order
 *   statistic v, so |x − v| < w, w the width of that slot.
 * - /metrics counts each fine slot under every `le` at or above the slot's
 *   midpoint, so v's slot is counted in the coarse bucket (lo, hi] that holds
 *   its midpoint, and Prometheus finds the quantile's rank crossing in that
 *   bucket. histogram_quantile interpolates linearly inside it, so its answer
 *   p lies in [lo, hi], as does the midpoint m of v's slot: |p − m| ≤ hi − lo.
 * - |m − x| ≤ w (both in the same slot), so |p − x| ≤ (hi − lo) + w.
 * The test uses duration_buckets 0.5 ms apart from 0.5 ms to 20 ms, around the
 * simulated responder delays (2–20 ms), so at 6 ms the tolerance is
 * 0.5 ms + 0.25 ms; with the default buckets (5 ms to 10 ms in one bucket) it
 * would be ten times that.
 */
import { Testbed, type ScenarioInput } from '../sim/src';
import { slotBounds, slotOf } from '../exporter/src/histogram';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { describeRoot, REPO, waitFor } from './lib/env';
import { startExporter, type RunningExporter, type SummaryRow } from './lib/exporter';
import { startPrometheus, type RunningPrometheus } from './lib/prometheus';
import { describeWithTools } from './lib/tools';

type Row = SummaryRow;

/** 0.5 ms steps to 20 ms, 2 ms steps to 40 ms, then the exporter's default tail: 58 bounds. */
export const TEST_BUCKETS: number[] = [
  ...Array.from({ length: 40 }, (_, i) => ((i + 1) * 5) / 10000),
  ...Array.from({ length: 10 }, (_, i) => (22 + 2 * i) / 1000),
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** The coarse bucket (lo, hi] holding `seconds`, in seconds. */
function coarseBucket(seconds: number): [number, number] {
  const i = TEST_BUCKETS.findIndex((le) => seconds <= le);
  if (i < 0) return [TEST_BUCKETS[TEST_BUCKETS.length - 1], Infinity];
  return [i === 0 ? 0 : TEST_BUCKETS[i - 1], TEST_BUCKETS[i]];
}

/** |p − x| ≤ (hi − lo) + w, in ms, for the exporter's quantile x (see the top of this file). */
export function quantileToleranceMs(xMs: number): number {
  const [lo, hi] = coarseBucket(xMs / 1000);
  const [slo, shi] = slotBounds(slotOf(xMs * 1e6));
  return (hi - lo) * 1000 + (shi - slo) / 1e6;
}

const RULES = path.join(REPO, 'provisioning/prometheus/rules/nfscope-alerts.yml');
const promRuleNames = (): string[] => parse(fs.readFileSync(RULES, 'utf8')).groups.flatMap((g: { rules: { alert: string }[] }) => g.rules.map((r) => r.alert));

const key = (m: { client: string; server: string; interface: string; procedure: string }) => `${m.client}→${m.server} ${m.interface} ${m.procedure}`;
const BY = 'client_nf, server_nf, interface, procedure';

describeWithTools("Prometheus (Debian's)", ['prometheus'], () =>
  describeRoot('Prometheus scraping the exporter on the testbed', () => {
    let tb: Testbed;
    let ex: RunningExporter | undefined;
    let prom: RunningPrometheus | undefined;

    beforeAll(() => {
      tb = Testbed.create();
    });
    afterAll(async () => {
      await prom?.stop();
      await ex?.stop('SIGKILL');
      tb?.destroy();
      expect(tb.leftovers()).toEqual([]);
    });

    test('histogram_quantile over the scraped histogram agrees with the exporter within the bucket resolution; the alerting rules evaluate on it and lost echoes raise the echo alert', async () => {
      const config = `${tb.exporterConfigYaml({ requestTimeout: '2s' })}duration_buckets: ${JSON.stringify(TEST_BUCKETS)}\n`;
      ex = await startExporter(config);
      prom = await startPrometheus({ targets: [ex.url.replace('http://', '')], scrapeInterval: '1s', ruleFiles: [RULES] });
      const scenario: ScenarioInput = {
        seed: 23,
        durationMs: 15_000,
        pfcp: {
          heartbeatIntervalMs: 100,
          sessionsPerSecond: 10,
          sessionHoldMs: 600,
          reportsPerSecond: 8,
          responder: { delay: { kind: 'lognormal', medianMs: 6, sigma: 0.4 }, rejectRate: 0.05, noResponseRate: 0.02, dropFirstCopyRate: 0 },
        },
        gtpu: { echoIntervalMs: 40, responder: { delay: { kind: 'uniform', minMs: 2, maxMs: 12 }, noResponseRate: 0.1, dropFirstCopyRate: 0 }, gpduPerSecond: 100 },
      };
      const record = await tb.run(scenario);
      expect(record.interrupted).toBe(false);
      // Every request answered: wait for a read of the maps after the last response.
      await new Promise((r) => setTimeout(r, 2500));
      const rows = (await ex.getJson<{ latency: Row[] }>('/api/v1/summary?window=10m')).latency.filter((r) => r.count > 0);
      expect(rows.length).toBeGreaterThanOrEqual(8);

      // Once Prometheus has scraped the final counts, every series' count is the exporter's.
      const want = new Map(rows.map((r) => [key(r), r.count]));
      const at = await waitForCounts(prom, want);

      const up = await prom.query('up{job="nfscope"}', at);
      expect(up.map((s) => s.value)).toEqual([1]);

      const value = async (expr: string) => new Map((await prom!.query(expr, at)).map((s) => [keyOf(s.metric), s.value]));
      const means = await value(`sum by (${BY}) (nfscope_request_duration_seconds_sum) / sum by (${BY}) (nfscope_request_duration_seconds_count)`);
      const quantiles = new Map<number, Map<string, number>>();
      for (const q of [0.5, 0.9, 0.99]) quantiles.set(q, await value(`histogram_quantile(${q}, sum by (${BY}, le) (nfscope_request_duration_seconds_bucket))`));

      const report: string[] = [];
      const outside: string[] = [];
      let compared = 0;
      for (const r of rows) {
        const k = key(r);
        const mean = means.get(k)! * 1000;
        // The API rounds to the microsecond.
        if (r.mean_ms === null || Math.abs(mean - r.mean_ms) > 0.0011) outside.push(`${k} mean: Prometheus ${mean.toFixed(4)} ms, exporter ${r.mean_ms} ms`);
        for (const [q, x] of [
          [0.5, r.p50_ms],
          [0.9, r.p90_ms],
          [0.99, r.p99_ms],
        ] as const) {
          if (r.count < (q === 0.99 ? 100 : 20)) continue; // too few for that quantile to mean anything
          const p = quantiles.get(q)!.get(k)! * 1000;
          if (x === null) {
            outside.push(`${k} p${q * 100} (n=${r.count}): the exporter has no quantile`);
            continue;
          }
          const tol = quantileToleranceMs(x);
          const line = `${k} p${q * 100} (n=${r.count}): Prometheus ${p.toFixed(3)} ms, exporter ${x.toFixed(3)} ms, |Δ| ${Math.abs(p - x).toFixed(3)} ≤ ${tol.toFixed(3)} ms?`;
          report.push(line);
          compared += 1;
          if (!(Math.abs(p - x) <= tol)) outside.push(line);
        }
      }
      process.stdout.write(`${report.join('\n')}\n`);
      expect(compared).toBeGreaterThanOrEqual(20);
      expect(outside).toEqual([]);

      // nfscope's alerting rules evaluate on these real series without error
      // (label sets that would make a vector match many-to-many, for one).
      const timeouts = await prom.query('sum(nfscope_requests_total{outcome="timeout"})', at);
      expect(timeouts[0]?.value ?? 0).toBeGreaterThan(0);
      const rules = await waitFor(
        'rule evaluations after the final scrape',
        async () => {
          const r = (await (await fetch(`${prom!.url}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[] } };
          const all = r.data.groups.flatMap((g) => g.rules);
          return all.length > 0 && all.every((x) => Date.parse(x.lastEvaluation) / 1000 > at) ? all : undefined;
        },
        10000,
        250,
      );
      expect(rules.map((r) => ({ name: r.name, health: r.health, error: r.lastError ?? '' }))).toEqual(promRuleNames().map((name) => ({ name, health: 'ok', error: '' })));

      // One in ten echoes goes unanswered: the echo-failure alert is pending
      // (its `for` is a minute) on both GTP-U paths, labelled with the pair.
      const echoPaths = [...new Set(record.transactions.filter((t) => t.procedure === 'Echo' && t.outcome === 'timeout').map((t) => `${t.client}→${t.server} ${t.interface}`))].sort();
      expect(echoPaths).toEqual(['gnb-1→upf-1 N3', 'upf-1→upf-2 N9']);
      const pending = await waitFor(
        'NfscopeGtpuEchoFailures alerts',
        async () => {
          const r = (await (await fetch(`${prom!.url}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
          const mine = r.data.alerts.filter((a) => a.labels.alertname === 'NfscopeGtpuEchoFailures');
          return mine.length === echoPaths.length ? mine : undefined;
        },
        10000,
        250,
      );
      // (firing only on a machine so slow that the test outlasted the minute)
      expect(pending.map((a) => `${a.labels.client_nf}→${a.labels.server_nf} ${a.labels.interface} ${a.state.replace('firing', 'pending')} ${a.labels.severity}`).sort()).toEqual(
        echoPaths.map((p) => `${p} pending critical`),
      );
    }, 90000);
  }),
);

function keyOf(m: Record<string, string>): string {
  return key({ client: m.client_nf, server: m.server_nf, interface: m.interface, procedure: m.procedure });
}

/** Polls Prometheus until its latest counts equal the exporter's; returns the evaluation time used. */
async function waitForCounts(prom: RunningPrometheus, want: Map<string, number>): Promise<number> {
  const deadline = Date.now() + 15000;
  let last = '';
  for (;;) {
    const at = Date.now() / 1000;
    const got = new Map((await prom.query(`sum by (${BY}) (nfscope_request_duration_seconds_count)`, at)).map((s) => [keyOf(s.metric), s.value]));
    const diff = [...want].filter(([k, n]) => got.get(k) !== n).map(([k, n]) => `${k}: Prometheus ${got.get(k) ?? 'none'}, exporter ${n}`);
    if (diff.length === 0) return at;
    last = diff.join('; ');
    if (Date.now() > deadline) throw new Error(`Prometheus never saw the exporter's final counts: ${last}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
