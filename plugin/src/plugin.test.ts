/**
 * plugin.json and the prebuilt dashboards against Grafana's JSON Schemas
 * (copies in testdata/schemas, sources in its README.md), and the built dist/ as Grafana
 * loads it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { validator } from './testdata/schemas';
import { buildQueryBody } from './query';
import { KINDS, type NfscopeQuery } from './types';

const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { dashboards, render } = require('../scripts/gen-dashboards.js');

const pluginJson = readJson(path.join(__dirname, 'plugin.json'));
const dashboardFiles = fs
  .readdirSync(path.join(__dirname, 'dashboards'))
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('plugin.json', () => {
  test('is valid against plugin.schema.json', () => {
    const validate = validator('plugin.schema.json');
    expect((validate.errors ?? validate(pluginJson)) ? [] : validate.errors).toEqual([]);
  });

  test('a frontend data source for the Grafana 11.6, 12 and 13 releases that share react/jsx-runtime, reached through the data proxy with the token from secureJsonData', () => {
    // Grafana gives plugins react/jsx-runtime from 11.6.11, 12.0.10, 12.1.7 and 12.2.5 (create-plugin's externalize-jsx-runtime ranges).
    expect(pluginJson).toMatchObject({
      type: 'datasource',
      id: 'nfscope-ebpf-datasource',
      backend: false,
      metrics: true,
      dependencies: { grafanaDependency: '>=11.6.11 <12 || >=12.0.10 <12.1 || >=12.1.7 <12.2 || >=12.2.5 <14' },
    });
    expect(pluginJson.name).not.toBe(pluginJson.id);
    expect(pluginJson.routes).toEqual([{ path: 'api', headers: [{ name: 'Authorization', content: 'Bearer {{ .SecureJsonData.bearerToken }}' }] }]);
  });

  test('includes exactly the dashboards in src/dashboards', () => {
    const included = pluginJson.includes.filter((i: { type: string }) => i.type === 'dashboard').map((i: { path: string }) => i.path.replace('dashboards/', ''));
    expect([...included].sort()).toEqual(dashboardFiles);
  });
});

describe.each(dashboardFiles)('dashboard %s', (file) => {
  const dash = readJson(path.join(__dirname, 'dashboards', file));
  const panels: any[] = dash.panels;

  test('is valid against dashboard.jsonschema.json (but for variable queries, stored as Grafana stores them)', () => {
    const validate = validator('dashboard.jsonschema.json');
    // The schema wants an object variable query to be a map of objects; Grafana stores a data
    // source's variable query as a plain object ({"refId": "A", "kind": "nfs"}); a custom variable's is its text.
    const asSchemaWants = { ...dash, templating: { list: dash.templating.list.map((v: any) => (v.type === 'query' ? { ...v, query: JSON.stringify(v.query) } : v)) } };
    const ok = validate(asSchemaWants);
    expect(ok ? [] : validate.errors).toEqual([]);
    for (const v of dash.templating.list) if (v.type === 'query') expect(v.query).toEqual({ refId: 'A', kind: expect.any(String), ...v.query });
  });

  test('is what scripts/gen-dashboards.js writes', () => {
    expect(fs.readFileSync(path.join(__dirname, 'dashboards', file), 'utf8')).toBe(render(dashboards[file]));
  });

  test('every panel and variable is on the nfscope data source (uid nfscope); node and NF variables exist', () => {
    const names = dash.templating.list.map((v: any) => v.name);
    expect(names).toContain('node');
    expect(names.some((n: string) => ['nf', 'client_nf', 'server_nf'].includes(n)) || file === 'exporter-health.json').toBe(true);
    for (const v of dash.templating.list) {
      if (v.type === 'custom') {
        // a fixed list (the drop class): its values and the one chosen by default
        expect(v).toMatchObject({ multi: true, includeAll: true, query: v.options.map((o: any) => o.value).join(',') });
        expect(v.options.filter((o: any) => o.selected).map((o: any) => o.value)).toEqual(v.current.value);
      } else expect(v).toMatchObject({ type: 'query', datasource: { type: 'nfscope-ebpf-datasource', uid: 'nfscope' }, multi: true, includeAll: true });
    }
    expect(panels.length).toBeGreaterThan(0);
    for (const p of panels) {
      expect(p.datasource).toEqual({ type: 'nfscope-ebpf-datasource', uid: 'nfscope' });
      expect(p.targets.length).toBeGreaterThan(0);
      for (const t of p.targets) expect(t.datasource).toEqual(p.datasource);
    }
  });

  test('drop panels count only loss unless they are about benign drops or the class itself', () => {
    for (const p of panels) {
      for (const t of p.targets as NfscopeQuery[]) {
        if (t.kind !== 'drops') continue;
        const byClass = (t.groupBy ?? []).includes('class');
        const cls = t.filters?.class;
        if (byClass) expect(cls).toBeUndefined();
        else if (/benign/i.test(p.title)) expect(cls).toEqual(['benign']);
        else {
          expect(cls?.length).toBe(1);
          // loss, or the dashboard's class variable, which starts at loss
          if (cls![0] === '$class') expect(dash.templating.list.find((v: any) => v.name === 'class').current.value).toEqual(['loss']);
          else expect(cls).toEqual(['loss']);
        }
      }
    }
  });

  test('every query builds, filters by node and uses only variables the dashboard defines', () => {
    const names = new Set(dash.templating.list.map((v: any) => v.name));
    for (const p of panels) {
      for (const t of p.targets as NfscopeQuery[]) {
        expect(KINDS[t.kind!]).toBeDefined();
        expect(t.filters?.node).toEqual(['$node']);
        const body = buildQueryBody(t, { from: 0, to: 1 });
        expect(body.kind).toBe(t.kind);
        for (const values of Object.values(t.filters ?? {})) for (const v of values!) if (v.startsWith('$')) expect(names).toContain(v.slice(1));
      }
    }
  });

  test('panel types fit the frames of their queries; grid positions do not overlap', () => {
    const fits: Record<string, string[]> = { topology: ['nodeGraph'], latency_heatmap: ['heatmap'], latency_distribution: ['histogram', 'barchart'], nf_pairs: ['table'] };
    for (const p of panels) for (const t of p.targets) expect(fits[t.kind] ?? ['timeseries', 'stat']).toContain(p.type);
    const cells = new Set<string>();
    for (const p of panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          expect(cells.has(`${i},${j}`)).toBe(false);
          cells.add(`${i},${j}`);
        }
    }
  });
});
