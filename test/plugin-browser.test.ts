/**
 * The Grafana plugin as Grafana runs it, against a real exporter watching the
 * 5G testbed, on every Grafana release in GRAFANA_RELEASES (11 with React 18,
 * 13 with React 19): headless Chromium (Debian's, driven by playwright-core)
 * loads a host page that provides that release's React, JSX runtime, React
 * DOM, @grafana/data, @grafana/ui and @grafana/runtime, and loads the built
 * plugin/dist/module.js as an AMD module; the plugin's requests go
 * through a stand-in for Grafana's data proxy, which adds the bearer token
 * from secureJsonData as plugin.json's route says. The test renders the
 * config and query editors, runs every query kind and every query of every
 * prebuilt dashboard, and checks the frames against what the testbed did.
 * Every check runs once per release, on the same testbed run. Screenshots go
 * to test-results/plugin-browser/grafana-<major>/.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync, spawnSync } from 'child_process';
import type { Page } from 'playwright-core';
import { Testbed, type RunRecord } from '../sim/src';
import { REPO, SEND_UDP } from './lib/env';
import { startExporter, type RunningExporter } from './lib/exporter';
import type { GrafanaStandIn } from './lib/grafana-standin';
import { describeBrowser, GRAFANA_RELEASES, keepPicture, openPluginPage, PLUGIN, PLUGIN_SCREENSHOTS, type PluginPage, prerequisiteProblem } from './lib/plugin-page';

const SHOTS = path.join(REPO, 'test-results', 'plugin-browser');
const TOKEN = `nfscope-test-${process.pid}-${Date.now()}`;
const UID = 'nfscope';

/** What the plugin's frames look like once they left the page (host.tsx plainFrame). */
interface Frame {
  name?: string;
  refId?: string;
  meta?: { type?: string; preferredVisualisationType?: string; notices?: unknown[] };
  length: number;
  fields: Array<{ name: string; type: string; labels?: Record<string, string>; config: { unit?: string; color?: { fixedColor?: string } }; displayName: string; values: unknown[] }>;
}
interface QueryResult {
  data: Frame[];
  errors: Array<{ refId?: string; message: string }>;
}

const numbers = (f: Frame) => f.fields.filter((x) => x.type === 'number');
const nonNull = (f: Frame) => numbers(f).reduce((n, x) => n + x.values.filter((v) => v !== null && v !== undefined).length, 0);
const field = (f: Frame, name: string) => f.fields.find((x) => x.name === name)!;
const sum = (xs: unknown[]) => xs.reduce<number>((a, v) => a + (typeof v === 'number' ? v : 0), 0);

/** Whether a query's answer carries data: a value in a time series or histogram, a row in a table or graph. */
function hasData(r: QueryResult): boolean {
  return r.data.some((f) => (f.meta?.preferredVisualisationType === 'table' || f.meta?.preferredVisualisationType === 'nodeGraph' ? f.length > 0 : nonNull(f) > 0));
}

describeBrowser('Grafana plugin in headless Chromium against a live exporter on the testbed', () => {
  let tb: Testbed | undefined;
  let ex: RunningExporter | undefined;
  let record: RunRecord;
  let from = 0;
  let to = 0;

  beforeAll(async () => {
    const problem = prerequisiteProblem();
    if (problem) throw new Error(problem);

    tb = Testbed.create();
    // The bridge promiscuous, as a capture on it makes it: the frames it forwards are also benign
    // OTHERHOST drops, which the drop panels about benign drops query.
    execFileSync('ip', ['link', 'set', 'dev', tb.bridge, 'promisc', 'on']);
    const tokenFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-token-')), 'token');
    fs.writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    ex = await startExporter(`${tb.exporterConfigYaml({ requestTimeout: '2s', node: 'testbed-node' })}api:\n  token_file: ${JSON.stringify(tokenFile)}\n`);

    from = Date.now() - 1000;
    // Rejections, lost responses and lost first copies, so that errors, timeouts and retransmissions have data.
    record = await tb.run({
      durationMs: 12_000,
      pfcp: { t1Ms: 400, n1: 1, responder: { rejectRate: 0.05, noResponseRate: 0.03, dropFirstCopyRate: 0.03 } },
      gtpu: { t3Ms: 400, n3: 1, responder: { noResponseRate: 0.05 } },
    });
    // Kernel drops: GTP-U to upf-1 after the run, when nothing listens there any more (NO_SOCKET).
    const gnb = tb.nfs.find((n) => n.name === 'gnb-1')!;
    const upf = tb.nfs.find((n) => n.name === 'upf-1')!;
    const sent = spawnSync('ip', ['netns', 'exec', gnb.netns, process.execPath, SEND_UDP, '--to', upf.ipv4, '--port', '2152', '--count', '25'], { encoding: 'utf8' });
    if (sent.status !== 0) throw new Error(`sending to a closed port failed: ${sent.stderr}`);
    // request_timeout (2 s), a sweep and a read.
    await new Promise((r) => setTimeout(r, 4000));
    to = Date.now();
  }, 120_000);

  afterAll(async () => {
    await ex?.stop();
    tb?.destroy();
  });

  describe.each(GRAFANA_RELEASES)('Grafana %s', (release) => {
    let grafana: GrafanaStandIn | undefined;
    let browser: PluginPage | undefined;
    let page: Page;
    let pageErrors: string[] = [];
    const shots = path.join(SHOTS, `grafana-${release}`);

    const host = <T>(fn: string, ...args: unknown[]): Promise<T> => browser!.host<T>(fn, ...args);
    const query = (targets: unknown[], f = from, t = to, maxDataPoints = 300) => host<QueryResult>('query', targets, f, t, maxDataPoints);
    const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    /** One section of the page, for plugin.json's screenshots. */
    const shotOf = async (selector: string, name: string, dest: string) => {
      const file = path.join(shots, `${name}.png`);
      // No tooltip from where the last click left the pointer.
      await page.mouse.move(0, 0);
      await page.locator(selector).hover({ position: { x: 1, y: 1 } });
      await page.locator(selector).screenshot({ path: file });
      keepPicture(release, file, path.join(PLUGIN_SCREENSHOTS, dest));
    };

    beforeAll(async () => {
      fs.mkdirSync(shots, { recursive: true });
      browser = await openPluginPage({ grafana: release, uid: UID, exporterUrl: ex!.url, jsonData: { defaultScope: 'node', timeout: 10 }, secureJsonData: { bearerToken: TOKEN } });
      ({ grafana, page, pageErrors } = browser);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
    });

    test("the page runs this release's packages: React, React DOM and @grafana/* at the pinned versions", async () => {
      const pinned = JSON.parse(fs.readFileSync(path.join(PLUGIN, 'test-host', `grafana-${release}`, 'package.json'), 'utf8')).dependencies;
      const versions = await host<Record<string, string>>('versions');
      console.log(`Grafana ${release} host: ${JSON.stringify(versions)}`);
      for (const p of ['@grafana/data', '@grafana/ui', '@grafana/runtime', 'react', 'react-dom']) expect({ p, v: versions[p] }).toEqual({ p, v: pinned[p] });
      expect(versions['@grafana/data'].split('.')[0]).toBe(release);
      // The React that renders is the pinned one: the plugin cannot have brought its own.
      expect(versions['react (running)']).toBe(pinned.react);
      // react-dom 18.3.1's build calls itself 18.3.1-next-<commit>-<date>.
      expect(versions['react-dom (running)'].split('-')[0]).toBe(pinned['react-dom']);
    });

    test('dist/module.js loads as an AMD module needing only what the page provides', async () => {
      const loaded = await host<{ deps: string[]; exportNames: string[] }>('loadPlugin', `/public/plugins/nfscope-ebpf-datasource/module.js`);
      expect(loaded.exportNames).toContain('plugin');
      // React's JSX runtime is the page's (React 19's has no __SECRET_INTERNALS…ReactCurrentOwner for a bundled React 18 one to read).
      expect(loaded.deps).toEqual(expect.arrayContaining(['react', 'react/jsx-runtime', '@grafana/data', '@grafana/ui', '@grafana/runtime']));
      const created = await host<{ defaultQuery: { kind: string }; hasVariableSupport: boolean }>('createDatasource', { uid: UID, jsonData: { defaultScope: 'node', timeout: 10 } });
      expect(created).toEqual({ defaultQuery: expect.objectContaining({ kind: 'latency_percentiles' }), hasVariableSupport: true });
    });

    test('config editor: URL and token typed in; the token stays in secureJsonData; the health check reports the exporter', async () => {
      await host('renderConfig', { id: 1, uid: UID, name: 'nfscope', type: 'nfscope-ebpf-datasource', access: 'proxy', url: '', jsonData: {}, secureJsonFields: {} });
      await page.fill('#nfscope-url', ex!.url);
      await page.fill('#nfscope-token', TOKEN);
      await page.getByRole('radio', { name: 'Cluster' }).click();
      await page.fill('#nfscope-timeout', '10');
      const options = await page.evaluate(() => (globalThis as any).nfscopeHost.state.configOptions);
      expect(options).toMatchObject({ url: ex!.url, access: 'proxy', jsonData: { defaultScope: 'cluster', timeout: 10 }, secureJsonData: { bearerToken: TOKEN } });
      expect(JSON.stringify({ ...options, secureJsonData: undefined })).not.toContain(TOKEN);
      await shot('config-editor');
      await shotOf('#config', 'config-editor-section', 'config-editor.png');

      const health = await host<{ status: string; message: string }>('testDatasource');
      expect(health.status).toBe('success');
      expect(health.message).toContain('testbed-node');
      expect(health.message).toContain(`kernel ${os.release()}`);
      expect(health.message).toMatch(/[1-9]\d* of \d+ eBPF programs attached/);
      expect(health.message).toContain(`${tb!.nfs.length} NFs configured`);
      // The token reached the exporter from the proxy, never from the page.
      const statusCall = grafana!.forwarded.find((f) => f.path === '/api/v1/status')!;
      expect(statusCall.headers.authorization).toBe(`Bearer ${TOKEN}`);
      const pageRequests: Array<{ url: string }> = await page.evaluate(() => (globalThis as any).nfscopeHost.requests);
      expect(JSON.stringify(pageRequests)).not.toContain(TOKEN);

      grafana!.ds.secureJsonData.bearerToken = 'not-the-token';
      try {
        const refused = await host<{ status: string; message: string }>('testDatasource');
        expect(refused.status).toBe('error');
        expect(refused.message).toMatch(/rejected the credentials \(401.*Check the bearer token/);
      } finally {
        grafana!.ds.secureJsonData.bearerToken = TOKEN;
      }
    });

    test('query editor: a new panel shows p50/p90/p99 with no edits; filters are fed by the label endpoints', async () => {
      const created = await host<{ defaultQuery: Record<string, unknown> }>('createDatasource', { uid: UID, jsonData: { defaultScope: 'node', timeout: 10 } });
      const fresh = { refId: 'A', ...created.defaultQuery };
      const r = await query([fresh]);
      expect(r.errors).toEqual([]);
      expect(r.data.length).toBeGreaterThan(0);
      expect(new Set(r.data.map((f) => field(f, 'value').labels!.quantile))).toEqual(new Set(['0.5', '0.9', '0.99']));

      await host('renderQueryEditor', fresh, from, to);
      await page.getByRole('combobox', { name: 'Client NF' }).click();
      await page.getByRole('option', { name: 'smf-1' }).waitFor();
      await shot('query-editor-filter');
      await page.getByRole('option', { name: 'smf-1' }).click();
      await page.getByRole('combobox', { name: 'Query kind' }).click();
      await page.getByRole('option', { name: /^Request rate/ }).click();
      await page.getByText('Options', { exact: true }).click();
      await shot('query-editor-options');
      await shotOf('#editor', 'query-editor-section', 'query-editor.png');
      const q = await page.evaluate(() => (globalThis as any).nfscopeHost.state.query);
      expect(q).toMatchObject({ kind: 'request_rate', filters: { client_nf: ['smf-1'] } });
      const labelCalls = grafana!.forwarded.filter((f) => f.path.startsWith('/api/v1/labels/client_nf/values'));
      expect(labelCalls.length).toBeGreaterThan(0);
      expect(labelCalls[0].path).toContain(`from=${from}`);
      const rate = await query([q]);
      expect(rate.errors).toEqual([]);
      for (const f of rate.data) expect(field(f, 'value').labels!.client_nf).toBe('smf-1');
    });

    test('every query kind: frames of the documented shape, consistent with what the testbed did', async () => {
      const est = record.transactions.filter((t) => t.client === 'smf-1' && t.server === 'upf-1' && t.procedure === 'SessionEstablishment');
      expect(est.length).toBeGreaterThan(10);

      const run = async (q: Record<string, unknown>) => {
        const r = await query([{ refId: 'A', ...q }]);
        expect(r.errors).toEqual([]);
        expect(r.data.length).toBeGreaterThan(0);
        for (const f of r.data) expect(f.refId).toBe('A');
        return r.data;
      };
      const series = async (q: Record<string, unknown>, unit: string) => {
        const frames = await run(q);
        for (const f of frames) {
          expect(f.fields.map((x) => x.type)).toEqual(['time', 'number']);
          expect(field(f, 'value').config.unit).toBe(unit);
        }
        return frames;
      };

      const p = await series({ kind: 'latency_percentiles', filters: { client_nf: ['smf-1'], interface: ['N4'] } }, 's');
      const pv = p.flatMap((f) => field(f, 'value').values.filter((v): v is number => typeof v === 'number'));
      expect(pv.length).toBeGreaterThan(0);
      // The testbed's PFCP responder answers after about 2 ms (lognormal); GTP-U echo at once.
      for (const v of pv) {
        expect(v).toBeGreaterThan(0);
        expect(v).toBeLessThan(1);
      }

      const rate = await series({ kind: 'request_rate', filters: { interface: ['N4'] }, groupBy: ['interface'] }, 'reqps');
      expect(Math.max(...(field(rate[0], 'value').values as number[]))).toBeGreaterThan(1);
      const errors = await series({ kind: 'error_ratio', groupBy: ['interface'] }, 'percentunit');
      for (const f of errors)
        for (const v of field(f, 'value').values) {
          if (v === null) continue;
          expect(v as number).toBeGreaterThanOrEqual(0);
          expect(v as number).toBeLessThanOrEqual(1);
        }
      const timeouts = await series({ kind: 'timeouts', groupBy: ['interface'] }, 'reqps');
      expect(timeouts.some((f) => sum(field(f, 'value').values) > 0)).toBe(record.transactions.some((t) => t.outcome === 'timeout'));
      await series({ kind: 'retransmissions', groupBy: ['interface'] }, 'reqps');
      const drops = await series({ kind: 'drops', filters: { nf: ['upf-1'] } }, 'pps');
      expect(drops.map((f) => field(f, 'value').labels!.reason)).toContain('NO_SOCKET');
      await series({ kind: 'traffic', filters: { interface: ['N3'] } }, 'pps');
      const bytes = await series({ kind: 'traffic', metric: 'bytes', filters: { interface: ['N3'] } }, 'Bps');
      expect(bytes.some((f) => sum(field(f, 'value').values) > 0)).toBe(true);

      const [heat] = await run({ kind: 'latency_heatmap', filters: { interface: ['N4'] } });
      // Sparse heatmap cells, fields in the order Grafana's heatmap reads them, each cell at its bucket's bounds.
      expect(heat.meta?.type).toBe('heatmap-cells');
      expect(heat.fields.map((x) => [x.name, x.type])).toEqual([
        ['xMax', 'time'],
        ['yMin', 'number'],
        ['yMax', 'number'],
        ['count', 'number'],
      ]);
      const [xs, lo, hi, n] = heat.fields.map((x) => x.values as number[]);
      const steps = [...new Set(xs)];
      expect(steps.length).toBeGreaterThan(1);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      const perStep = xs.length / steps.length;
      expect(perStep).toBeGreaterThan(1);
      for (let i = 0; i < xs.length; i++) {
        expect(lo[i]).toBeGreaterThan(0);
        expect(hi[i]).toBeGreaterThan(lo[i]);
        // Within a step the buckets are contiguous: each starts where the one below ends.
        if (i % perStep !== 0) expect(lo[i]).toBe(hi[i - 1]);
      }
      // The testbed's PFCP answers in about 2 ms: the busiest cells lie between 0.1 ms and 0.1 s.
      const busiest = n.indexOf(Math.max(...n));
      expect(sum(n)).toBeGreaterThan(0);
      expect(lo[busiest]).toBeGreaterThan(1e-4);
      expect(hi[busiest]).toBeLessThan(0.1);

      const [dist] = await run({ kind: 'latency_distribution', filters: { interface: ['N4'] } });
      expect(dist.meta?.type).toBe('histogram');
      expect(field(dist, 'xMin').config.unit).toBe('s');
      // Every completed N4 transaction is in the distribution once.
      const n4Completed = record.transactions.filter((t) => t.interface === 'N4' && t.outcome !== 'timeout').length;
      expect(sum(field(dist, 'count').values)).toBe(n4Completed);

      const topo = await run({ kind: 'topology' });
      const nodes = topo.find((f) => f.name === 'nodes')!;
      const edges = topo.find((f) => f.name === 'edges')!;
      expect(nodes.meta?.preferredVisualisationType).toBe('nodeGraph');
      expect(field(nodes, 'id').values).toEqual(expect.arrayContaining(['smf-1', 'upf-1', 'upf-2', 'gnb-1']));
      const acc = field(nodes, 'arc__accepted');
      const rej = field(nodes, 'arc__rejected');
      expect(acc.config.color?.fixedColor).toBe('green');
      expect(rej.config.color?.fixedColor).toBe('red');
      acc.values.forEach((a, i) => expect((a as number) + (rej.values[i] as number)).toBeCloseTo(1, 6));
      expect(field(edges, 'id').values).toContain('smf-1->upf-1');
      expect(field(edges, 'secondarystat').config.unit).toBe('s');

      const [pairs] = await run({ kind: 'nf_pairs' });
      expect(pairs.meta?.preferredVisualisationType).toBe('table');
      const row = field(pairs, 'procedure').values.findIndex(
        (v, i) => v === 'SessionEstablishment' && field(pairs, 'client_nf').values[i] === 'smf-1' && field(pairs, 'server_nf').values[i] === 'upf-1',
      );
      expect(row).toBeGreaterThanOrEqual(0);
      // A request is a transaction that completed or timed out: the testbed's own count.
      expect(field(pairs, 'requests').values[row]).toBe(est.length);
      expect(field(pairs, 'p99').config.unit).toBe('s');
      expect(field(pairs, 'rate').config.unit).toBe('reqps');
    });

    test('template variables: values from the variable support; a selection filters, All does not', async () => {
      const nfs = await host<string[]>('variableValues', { refId: 'A', kind: 'nfs' }, from, to);
      expect(nfs).toEqual(tb!.nfs.map((n) => n.name));
      expect(await host<string[]>('variableValues', { refId: 'A', kind: 'interfaces' }, from, to)).toEqual(expect.arrayContaining(['N3', 'N4', 'N9']));
      expect(await host<string[]>('variableValues', { refId: 'A', kind: 'nodes' }, from, to)).toEqual(['testbed-node']);
      await host('setVariables', [{ name: 'client_nf', value: ['gnb-1', 'upf-1'], options: nfs }]);
      const picked = await query([{ refId: 'A', kind: 'request_rate', filters: { client_nf: ['$client_nf'] } }]);
      expect(new Set(picked.data.map((f) => field(f, 'value').labels!.client_nf))).toEqual(new Set(['gnb-1', 'upf-1']));
      await host('setVariables', [{ name: 'client_nf', value: '$__all', options: nfs }]);
      const all = await query([{ refId: 'A', kind: 'request_rate', filters: { client_nf: ['$client_nf'] } }]);
      // Clients: every transaction's, and on N2 every DATA sender whose chunk a SACK named (a timed round trip).
      const clients = [...record.transactions.map((t) => t.client), ...(record.ngap?.data ?? []).filter((d) => d.ack === 'exact').map((d) => d.from)];
      expect(new Set(all.data.map((f) => field(f, 'value').labels!.client_nf))).toEqual(new Set(clients));
    });

    test('every query of every prebuilt dashboard runs through the plugin without error; which return data is reported', async () => {
      const seen = new Set<string>(record.transactions.map((t) => t.interface));
      if ((record.ngap?.procedures.length ?? 0) > 0) seen.add('N2');
      const files = fs
        .readdirSync(path.join(PLUGIN, 'src', 'dashboards'))
        .filter((f) => f.endsWith('.json'))
        .sort();
      const report: Array<{ dashboard: string; panel: string; refId: string; kind: string; data: boolean; frames: number; errors: string[]; why?: string }> = [];
      for (const file of files) {
        const dash = JSON.parse(fs.readFileSync(path.join(PLUGIN, 'src', 'dashboards', file), 'utf8'));
        // The dashboard's variables as Grafana would set them up: options from the variable queries, All selected;
        // a custom variable (the drop class) with its own options and the selection saved with the dashboard.
        const vars = [];
        for (const v of dash.templating.list) {
          if (v.type === 'custom') {
            vars.push({ name: v.name, value: v.current.value, options: v.options.map((o: { value: string }) => o.value) });
            continue;
          }
          const options = await host<string[]>('variableValues', v.query, from, to);
          vars.push({ name: v.name, value: '$__all', options });
        }
        await host('setVariables', vars);
        for (const panel of dash.panels) {
          const r = await query(panel.targets, from, to, panel.maxDataPoints ?? 300);
          for (const t of panel.targets) {
            const mine = { data: r.data.filter((f) => f.refId === t.refId), errors: r.errors.filter((e) => e.refId === t.refId) };
            const ifaces: string[] = t.filters?.interface ?? [];
            let why: string | undefined;
            if (ifaces.length > 0 && !ifaces.some((i) => seen.has(i))) why = `the testbed made no ${ifaces.join('/')} traffic`;
            else if (t.filters?.nf?.includes('unknown')) why = 'every testbed address belongs to a configured NF';
            report.push({ dashboard: file, panel: panel.title, refId: t.refId, kind: t.kind, data: hasData(mine), frames: mine.data.length, errors: mine.errors.map((e) => e.message), why });
          }
        }
      }
      fs.writeFileSync(path.join(REPO, 'test-results', `plugin-dashboard-queries-grafana-${release}.json`), `${JSON.stringify(report, null, 2)}\n`);
      const lines = report.map(
        (x) =>
          `${x.data ? 'data   ' : x.errors.length ? 'ERROR  ' : 'no data'} ${x.dashboard} / ${x.panel} [${x.refId} ${x.kind}]${x.why && !x.data ? ` (${x.why})` : ''}${x.errors.length ? `: ${x.errors.join('; ')}` : ''}`,
      );
      console.log(`Grafana ${release}: dashboard queries (${report.filter((x) => x.data).length} of ${report.length} with data):\n${lines.join('\n')}`);

      expect(report.length).toBeGreaterThan(30);
      expect(report.filter((x) => x.errors.length > 0)).toEqual([]);
      // Data is required wherever the testbed made the traffic the query asks about.
      expect(report.filter((x) => !x.data && !x.why)).toEqual([]);
    });

    test('the page saw no uncaught errors and used no @grafana/runtime service it lacks; every answer kept the API contract', async () => {
      expect(pageErrors).toEqual([]);
      expect(await host<string[]>('missingRuntime')).toEqual([]);
      expect(grafana!.forwarded.length).toBeGreaterThan(50);
      expect(grafana!.forwarded.filter((f) => f.contract.length > 0)).toEqual([]);
    });
  });
});
