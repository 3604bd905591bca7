/**
 * The prebuilt dashboards, previewed: the testbed runs half a minute of
 * traffic with rejections, lost responses and retransmissions, a real
 * exporter measures it, and the browser test's host page lays every
 * dashboard's panels out by gridPos, runs their targets through the plugin
 * (variables at All) and draws the frames with nfscope's own renderers
 * (plugin/test-host/preview.tsx; no Grafana server runs here, so these are
 * not Grafana's panels). The test checks that each panel drew exactly what
 * its frames hold — a line per series, a cell per non-empty heatmap bucket,
 * a row per table row, a circle per node — and "No data" only where the
 * frames are empty, and writes test-results/plugin-browser/grafana-<major>/dashboard-<name>.png,
 * once per Grafana release the plugin is tested on (GRAFANA_RELEASES: each
 * release's own React and @grafana packages). With NFSCOPE_DOCS_IMG=1
 * (scripts/render-dashboards.sh) the newest release's overview, N4 and
 * user-plane pictures are also copied to docs/img/ for the README.
 */
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync, spawnSync } from 'child_process';
import { Testbed, type RunRecord } from '../sim/src';
import { REPO, SEND_UDP } from './lib/env';
import { startExporter, type RunningExporter } from './lib/exporter';
import { DASHBOARDS, describeBrowser, GRAFANA_RELEASES, keepPicture, openPluginPage, PLUGIN_SCREENSHOTS, type PluginPage, prerequisiteProblem } from './lib/plugin-page';

const SHOTS = path.join(REPO, 'test-results', 'plugin-browser');
const DOCS_IMG = path.join(REPO, 'docs', 'img');
const FOR_DOCS = ['overview', 'n4-pfcp', 'user-plane'];
const UID = 'nfscope';
/** The preview's width; the README shows it scaled down. */
const WIDTH = 1200;

interface Frame {
  name?: string;
  meta?: { type?: string };
  length: number;
  fields: Array<{ name: string; type: string; values: unknown[]; labels?: Record<string, string> }>;
}
interface Rendered {
  title: string;
  type: string;
  frames: Frame[];
  errors: Array<{ message: string }>;
  marks: Record<string, number>;
  noData: boolean;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const col = (f: Frame | undefined, n: string) => f?.fields.find((x) => x.name === n);

/** What a panel of this type must draw for these frames, counted from the frames alone. */
function expectedMarks(type: string, frames: Frame[]): Record<string, number> {
  const seriesCount = () => frames.filter((f) => f.fields.some((x) => x.type === 'time')).reduce((n, f) => n + f.fields.filter((x) => x.type === 'number' && x.values.some(isNum)).length, 0);
  switch (type) {
    case 'timeseries':
      return { series: seriesCount() };
    case 'stat':
      return { stat: seriesCount() };
    case 'heatmap': {
      const cells = frames.find((f) => f.meta?.type === 'heatmap-cells');
      return { cell: cells ? (col(cells, 'count')?.values.filter((v) => isNum(v) && v > 0).length ?? 0) : 0 };
    }
    case 'histogram':
      return { bar: frames.reduce((n, f) => n + (col(f, 'count')?.values.filter((v) => isNum(v) && v > 0).length ?? 0), 0) };
    case 'nodeGraph': {
      const nodes = frames.find((f) => f.name === 'nodes');
      const edges = frames.find((f) => f.name === 'edges');
      const ids = new Set(col(nodes, 'id')?.values ?? []);
      const src = col(edges, 'source')?.values ?? [];
      const dst = col(edges, 'target')?.values ?? [];
      return { node: ids.size, edge: src.filter((s, i) => ids.has(s) && ids.has(dst[i])).length };
    }
    case 'table':
      return { row: frames.find((f) => f.length > 0)?.length ?? 0 };
    default:
      throw new Error(`the preview has no renderer for ${type} panels`);
  }
}

describeBrowser('dashboard preview: every prebuilt dashboard drawn from live queries', () => {
  let tb: Testbed | undefined;
  let ex: RunningExporter | undefined;
  let record: RunRecord;
  let from = 0;
  let to = 0;

  beforeAll(async () => {
    const problem = prerequisiteProblem();
    if (problem) throw new Error(problem);
    fs.mkdirSync(SHOTS, { recursive: true });
    tb = Testbed.create();
    // The bridge promiscuous, as a capture on it makes it: every frame it forwards is also freed as
    // OTHERHOST, a benign drop the benign-drops panel draws and the panels of loss must leave out.
    execFileSync('ip', ['link', 'set', 'dev', tb.bridge, 'promisc', 'on']);
    ex = await startExporter(tb.exporterConfigYaml({ requestTimeout: '2s', node: 'testbed-node' }));
    from = Date.now() - 1000;
    // Long enough for lines, not dots; error panels get rejections (5%), lost responses and lost first copies.
    record = await tb.run({
      durationMs: 25_000,
      pfcp: { t1Ms: 400, n1: 1, responder: { rejectRate: 0.05, noResponseRate: 0.03, dropFirstCopyRate: 0.05 } },
      gtpu: { t3Ms: 400, n3: 1, responder: { noResponseRate: 0.05 } },
      ngap: { responder: { noResponseRate: 0.03 } },
    });
    // Kernel drops: GTP-U to upf-1 once nothing listens there (NO_SOCKET).
    const gnb = tb.nfs.find((n) => n.name === 'gnb-1')!;
    const upf = tb.nfs.find((n) => n.name === 'upf-1')!;
    const sent = spawnSync('ip', ['netns', 'exec', gnb.netns, process.execPath, SEND_UDP, '--to', upf.ipv4, '--port', '2152', '--count', '40'], { encoding: 'utf8' });
    if (sent.status !== 0) throw new Error(`sending to a closed port failed: ${sent.stderr}`);
    // request_timeout (2 s), a sweep and a read.
    await new Promise((r) => setTimeout(r, 4000));
    to = Date.now();
  }, 150_000);

  afterAll(async () => {
    await ex?.stop();
    tb?.destroy();
  });

  test.each(GRAFANA_RELEASES)(
    'Grafana %s: each panel draws what its frames hold; screenshots of every dashboard',
    async (release) => {
      const shots = path.join(SHOTS, `grafana-${release}`);
      fs.mkdirSync(shots, { recursive: true });
      const browser: PluginPage = await openPluginPage({
        grafana: release,
        uid: UID,
        exporterUrl: ex!.url,
        jsonData: { defaultScope: 'node', timeout: 10 },
        viewport: { width: WIDTH + 40, height: 900 },
        loadPlugin: true,
      });
      try {
        const seen = new Set<string>(record.transactions.map((t) => t.interface));
        if ((record.ngap?.procedures.length ?? 0) > 0) seen.add('N2');
        expect(record.transactions.some((t) => t.outcome === 'rejected')).toBe(true);
        expect(record.transactions.some((t) => t.outcome === 'timeout')).toBe(true);

        const files = fs
          .readdirSync(DASHBOARDS)
          .filter((f) => f.endsWith('.json'))
          .sort();
        const summary: string[] = [];
        for (const file of files) {
          const name = file.replace(/\.json$/, '');
          const dash = JSON.parse(fs.readFileSync(path.join(DASHBOARDS, file), 'utf8'));
          const panels = await browser.host<Rendered[]>('renderDashboard', dash, file, from, to, WIDTH);
          const shot = path.join(shots, `dashboard-${name}.png`);
          await browser.page.locator('#preview').screenshot({ path: shot });
          if (FOR_DOCS.includes(name)) keepPicture(release, shot, path.join(DOCS_IMG, `dashboard-${name}.png`));
          if (name === 'overview') keepPicture(release, shot, path.join(PLUGIN_SCREENSHOTS, 'dashboard-overview.png'));

          expect(panels.map((p) => p.title)).toEqual(dash.panels.map((p: { title: string }) => p.title));
          panels.forEach((p, i) => {
            const where = `${file} / ${p.title}`;
            expect({ where, errors: p.errors }).toEqual({ where, errors: [] });
            const want = expectedMarks(p.type, p.frames);
            const got = Object.fromEntries(Object.keys(want).map((k) => [k, p.marks[k] ?? 0]));
            expect({ where, marks: got }).toEqual({ where, marks: want });
            const drew = Object.values(want).reduce((a, b) => a + b, 0) > 0;
            expect({ where, noData: p.noData }).toEqual({ where, noData: !drew });
            // Data is required wherever the testbed made the traffic the panel asks about.
            const ifaces: string[] = dash.panels[i].targets.flatMap((t: { filters?: { interface?: string[] } }) => t.filters?.interface ?? []);
            const unknownNf = dash.panels[i].targets.some((t: { filters?: { nf?: string[] } }) => t.filters?.nf?.includes('unknown'));
            const excused = (ifaces.length > 0 && !ifaces.some((x) => seen.has(x))) || unknownNf;
            if (!excused) expect({ where, drew }).toEqual({ where, drew: true });
            // Drop panels: those of loss (the default) show no OTHERHOST however promiscuous the bridge; the benign one does.
            const classes: string[] = dash.panels[i].targets.flatMap((t: { kind?: string; filters?: { class?: string[] } }) => (t.kind === 'drops' ? (t.filters?.class ?? []) : []));
            const reasons = p.frames.flatMap((f) => f.fields.map((x) => x.labels?.reason).filter((r): r is string => !!r));
            if (classes.includes('loss') || classes.includes('$class')) expect({ where, otherhost: reasons.includes('OTHERHOST') }).toEqual({ where, otherhost: false });
            if (classes.includes('benign')) expect({ where, otherhost: reasons.includes('OTHERHOST') }).toEqual({ where, otherhost: true });
            summary.push(`${drew ? 'drawn  ' : 'no data'} ${where} ${JSON.stringify(got)}`);
          });
        }
        console.log(`Grafana ${release}: dashboard preview:\n${summary.join('\n')}`);
        expect(browser.pageErrors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    150_000,
  );
});
