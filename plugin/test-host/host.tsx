/**
 * A stand-in for the Grafana page, for the browser test: it loads the built
 * dist/module.js as Grafana does (an AMD module whose dependencies the page
 * provides) and gives it the real packages of one Grafana release — React
 * and its JSX runtime, React DOM, @grafana/data, @grafana/ui and
 * @grafana/runtime, installed at exact versions in test-host/grafana-<major>/
 * (webpack.config.js builds one host per folder). Of @grafana/runtime's
 * services, the two a frontend data source uses are set as Grafana sets them
 * at start-up: getBackendSrv() fetching through the data proxy at
 * /api/datasources/proxy, and getTemplateSrv() with dashboard variables. The
 * page renders the plugin's editors and runs its queries; the test drives it
 * through window.nfscopeHost.
 */
import './boot-data';
import React, { useEffect, useState } from 'react';
import * as jsxRuntime from 'react/jsx-runtime';
import * as jsxDevRuntime from 'react/jsx-dev-runtime';
import { createRoot, type Root } from 'react-dom/client';
import * as ReactDOM from 'react-dom';
import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import * as grafanaData from '@grafana/data';
import * as grafanaUi from '@grafana/ui';
import * as grafanaRuntime from '@grafana/runtime';
import lodash from 'lodash';
import * as rxjs from 'rxjs';
import { FakeTemplateSrv, type VariableState } from './template-srv';
import { DashboardPreview, type DashboardJson, type PanelResult } from './preview';

/** The versions of the packages this host was built with (webpack.config.js reads them from test-host/grafana-<major>/). */
declare const __HOST_PACKAGES__: Record<string, string>;

const { createTheme, dateTime, FieldType } = grafanaData;
const theme = createTheme({ colors: { mode: 'dark' } });

// ---- @grafana/runtime stand-in ------------------------------------------------

interface FetchOptions {
  url: string;
  method?: string;
  params?: Record<string, unknown>;
  data?: unknown;
  headers?: Record<string, string>;
}

/** Every request the plugin made, for the test to look at. */
const requests: Array<{ method: string; url: string; body?: unknown }> = [];

function backendFetch(opts: FetchOptions): rxjs.Observable<unknown> {
  return new rxjs.Observable((sub) => {
    const qs = opts.params
      ? new URLSearchParams(
          Object.entries(opts.params)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, String(v)]),
        ).toString()
      : '';
    const url = qs ? `${opts.url}?${qs}` : opts.url;
    const method = opts.method ?? 'GET';
    requests.push({ method, url, body: opts.data });
    const ctrl = new AbortController();
    fetch(url, {
      method,
      signal: ctrl.signal,
      headers: { Accept: 'application/json', ...(opts.data !== undefined ? { 'Content-Type': 'application/json' } : {}), ...opts.headers },
      body: opts.data !== undefined ? JSON.stringify(opts.data) : undefined,
    })
      .then(async (res) => {
        const text = await res.text();
        let data: unknown = text;
        try {
          data = JSON.parse(text);
        } catch {
          // Not JSON: keep the text, as Grafana's backendSrv does.
        }
        // Grafana's backendSrv errors with {status, statusText, data}.
        if (!res.ok) sub.error({ status: res.status, statusText: res.statusText, data });
        else {
          sub.next({ data, status: res.status, statusText: res.statusText, ok: true, headers: res.headers, url, type: 'basic', redirected: false, config: opts });
          sub.complete();
        }
      })
      .catch((e) => sub.error({ status: 0, statusText: String(e), data: { message: String(e) } }));
    return () => ctrl.abort();
  });
}

const templateSrv = new FakeTemplateSrv();
// Grafana sets these at start-up, before any plugin loads.
grafanaRuntime.setBackendSrv({ fetch: backendFetch, datasourceRequest: (o: FetchOptions) => rxjs.lastValueFrom(backendFetch(o)) } as never);
grafanaRuntime.setTemplateSrv(templateSrv as never);
/** The services the host set up; a plugin that asks for another (getDataSourceSrv, getLocationSrv, …) is told, not silently given an unset one. */
const SERVICES_SET = new Set(['getBackendSrv', 'getTemplateSrv']);
/** @grafana/runtime services the plugin asked for that this page did not set up (the test fails on any). */
const missingRuntime = new Set<string>();
const runtime = new Proxy(grafanaRuntime as Record<string, unknown>, {
  get(target, name) {
    if (typeof name === 'string' && /^get[A-Za-z]*Srv$/.test(name) && !SERVICES_SET.has(name)) missingRuntime.add(name);
    if (typeof name === 'string' && !(name in target) && name !== 'then' && name !== 'default' && name !== '__esModule') missingRuntime.add(name);
    return target[name as string];
  },
});

// ---- a tiny AMD loader, as Grafana's page has one for plugins -----------------

const provided: Record<string, unknown> = {
  react: React,
  'react/jsx-runtime': jsxRuntime,
  'react/jsx-dev-runtime': jsxDevRuntime,
  'react-dom': ReactDOM,
  rxjs,
  lodash,
  '@emotion/css': emotionCss,
  '@emotion/react': emotionReact,
  '@grafana/data': grafanaData,
  '@grafana/ui': grafanaUi,
  '@grafana/runtime': runtime,
};

type Definition = { deps: string[]; factory: (...args: unknown[]) => unknown };
let captured: Definition | undefined;
function define(deps: string[] | ((...a: unknown[]) => unknown), factory?: (...args: unknown[]) => unknown) {
  captured = Array.isArray(deps) ? { deps, factory: factory! } : { deps: [], factory: deps };
}
define.amd = {};
(window as unknown as { define: typeof define }).define = define;

async function loadAmd(url: string): Promise<{ deps: string[]; exports: Record<string, unknown> }> {
  captured = undefined;
  await new Promise<void>((resolve, reject) => {
    const s = document.createElement('script');
    s.src = url;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`could not load ${url}`));
    document.head.appendChild(s);
  });
  // Set by define() while the script ran (TypeScript cannot see that assignment).
  const def = captured as Definition | undefined;
  if (!def) throw new Error(`${url} did not call define(): not an AMD module`);
  const { deps, factory } = def;
  // `module` is the AMD loader's record of the module being defined: its URL tells the plugin where its chunks are.
  const amdModule = { id: url, uri: new URL(url, location.href).href };
  const missing = deps.filter((d) => d !== 'module' && !(d in provided));
  if (missing.length) throw new Error(`${url} needs modules the Grafana page does not provide: ${missing.join(', ')}`);
  const exports = factory(...deps.map((d) => (d === 'module' ? amdModule : provided[d]))) as Record<string, unknown>;
  return { deps, exports };
}

// ---- the page -----------------------------------------------------------------

type Plugin = {
  DataSourceClass: new (s: unknown) => any;
  components: { ConfigEditor: React.ComponentType<any>; QueryEditor: React.ComponentType<any> };
};

let plugin: Plugin | undefined;
let ds: any;
const roots: Record<string, Root> = {};

function mount(id: string, el: React.ReactElement) {
  let node = document.getElementById(id);
  if (!node) {
    node = document.createElement('section');
    node.id = id;
    document.getElementById('app')!.appendChild(node);
  }
  roots[id] = roots[id] ?? createRoot(node);
  // Grafana's page has its global styles (fonts, form resets) around every plugin component.
  roots[id].render(
    <grafanaUi.ThemeContext.Provider value={theme}>
      <grafanaUi.GlobalStyles />
      {el}
    </grafanaUi.ThemeContext.Provider>,
  );
}

/** Plain data out of a frame, for the test (values kept; Grafana's Field objects do not serialize). */
function plainFrame(f: grafanaData.DataFrame) {
  return {
    name: f.name,
    refId: f.refId,
    meta: f.meta,
    length: f.length,
    fields: f.fields.map((x) => ({
      name: x.name,
      type: x.type,
      labels: x.labels,
      config: x.config,
      displayName: grafanaData.getFieldDisplayName(x, f),
      values: Array.from(x.values as ArrayLike<unknown>),
    })),
  };
}

const state: { configOptions?: any; query?: any; runs: number } = { runs: 0 };

function ConfigHost({ initial }: { initial: any }) {
  const [options, setOptions] = useState(initial);
  // Recorded after each render commits, for the browser test to read what the editor holds.
  useEffect(() => {
    state.configOptions = options;
  }, [options]);
  const Editor = plugin!.components.ConfigEditor;
  return <Editor options={options} onOptionsChange={setOptions} />;
}

function QueryHost({ initial, range }: { initial: any; range: grafanaData.TimeRange }) {
  const [query, setQuery] = useState(initial);
  useEffect(() => {
    state.query = query;
  }, [query]);
  const Editor = plugin!.components.QueryEditor;
  return <Editor datasource={ds} query={query} range={range} onChange={setQuery} onRunQuery={() => (state.runs += 1)} />;
}

function timeRange(from: number, to: number): grafanaData.TimeRange {
  return { from: dateTime(from), to: dateTime(to), raw: { from: dateTime(from), to: dateTime(to) } };
}

/** One DataQueryRequest through the plugin, as a panel sends it. */
async function runQuery(targets: any[], from: number, to: number, maxDataPoints: number): Promise<{ data: grafanaData.DataFrame[]; errors: Array<{ refId?: string; message: string }> }> {
  const intervalMs = Math.max(1000, Math.floor((to - from) / maxDataPoints));
  const res = await ds.query({
    requestId: `host${Date.now()}`,
    targets,
    range: timeRange(from, to),
    interval: `${intervalMs}ms`,
    intervalMs,
    maxDataPoints,
    scopedVars: {},
    timezone: 'utc',
    app: 'dashboard',
    startTime: Date.now(),
  });
  return { data: res.data as grafanaData.DataFrame[], errors: res.errors ?? [] };
}

const host = {
  ready: true,
  requests,
  state,
  missingRuntime: () => [...missingRuntime],
  /** What this page runs: the packages' versions and the React that rendered (React.version, at run time). */
  versions: () => ({ ...__HOST_PACKAGES__, 'react (running)': React.version, 'react-dom (running)': ReactDOM.version }),

  async loadPlugin(url: string) {
    const { deps, exports } = await loadAmd(url);
    plugin = exports.plugin as Plugin;
    if (!plugin?.DataSourceClass) throw new Error(`${url} exports no DataSourcePlugin named "plugin"`);
    return { deps, exportNames: Object.keys(exports) };
  },

  /** Instance settings as Grafana gives them to the browser: no secureJsonData, the proxy URL. */
  createDatasource(settings: { uid: string; jsonData?: Record<string, unknown> }) {
    ds = new plugin!.DataSourceClass({
      id: 1,
      uid: settings.uid,
      type: 'nfscope-ebpf-datasource',
      name: 'nfscope',
      url: `/api/datasources/proxy/uid/${settings.uid}`,
      access: 'proxy',
      jsonData: settings.jsonData ?? {},
      readOnly: false,
      meta: { id: 'nfscope-ebpf-datasource' },
    });
    return { defaultQuery: ds.getDefaultQuery(), hasVariableSupport: Boolean(ds.variables) };
  },

  renderConfig(options: any) {
    mount('config', <ConfigHost initial={options} />);
  },

  renderQueryEditor(query: any, from: number, to: number) {
    mount('editor', <QueryHost initial={query} range={timeRange(from, to)} />);
  },

  setVariables(vars: VariableState[]) {
    templateSrv.variables = vars;
  },

  async testDatasource() {
    return ds.testDatasource();
  },

  /** Runs targets as a panel would: one DataQueryRequest, frames back as plain data. */
  async query(targets: any[], from: number, to: number, maxDataPoints = 300) {
    const res = await runQuery(targets, from, to, maxDataPoints);
    return { data: res.data.map(plainFrame), errors: res.errors };
  },

  /**
   * The dashboard preview (preview.tsx): the dashboard's variables set up as
   * Grafana would (options from the variable queries, All selected; custom
   * variables with their own options and saved selection), every
   * panel's targets run as one request through the plugin, and the frames
   * drawn into #preview. Returns each panel's frames and the marks drawn.
   */
  async renderDashboard(
    dashboard: DashboardJson & { templating: { list: Array<{ name: string; type?: string; query: unknown; current?: { value: string | string[] }; options?: Array<{ value: string }> }> } },
    file: string,
    from: number,
    to: number,
    width = 1400,
  ) {
    const vars: VariableState[] = [];
    for (const v of dashboard.templating.list) {
      // A custom variable keeps its fixed options and the selection saved with the dashboard (the drop class: loss).
      if (v.type === 'custom') vars.push({ name: v.name, value: v.current?.value ?? '$__all', options: (v.options ?? []).map((o) => o.value) });
      else vars.push({ name: v.name, value: '$__all', options: await host.variableValues(v.query, from, to) });
    }
    templateSrv.variables = vars;
    const results: PanelResult[] = [];
    for (const p of dashboard.panels) {
      const r = await runQuery(p.targets, from, to, p.maxDataPoints ?? 300);
      results.push({ frames: r.data, errors: r.errors });
    }
    let node = document.getElementById('preview');
    if (!node) {
      node = document.createElement('div');
      node.id = 'preview';
      document.body.appendChild(node);
    }
    node.style.cssText = `display: inline-block; padding: 16px; background: ${theme.colors.background.canvas};`;
    document.getElementById('app')!.style.display = 'none';
    roots.preview = roots.preview ?? createRoot(node);
    ReactDOM.flushSync(() => roots.preview.render(<DashboardPreview dashboard={dashboard} file={file} results={results} theme={theme} width={width} from={from} to={to} />));
    const panels = Array.from(node.querySelectorAll<HTMLElement>('[data-panel]'));
    return dashboard.panels.map((p, i) => {
      const el = panels[i];
      const marks: Record<string, number> = {};
      el.querySelectorAll('[data-mark]').forEach((m) => (marks[m.getAttribute('data-mark')!] = (marks[m.getAttribute('data-mark')!] ?? 0) + 1));
      return {
        title: p.title,
        type: p.type,
        frames: results[i].frames.map(plainFrame),
        errors: results[i].errors,
        marks,
        noData: el.textContent?.includes('No data') ?? false,
      };
    });
  },

  /** Back to the editors' page after a preview. */
  hidePreview() {
    roots.preview?.unmount();
    delete roots.preview;
    document.getElementById('preview')?.remove();
    document.getElementById('app')!.style.display = '';
  },

  /** A variable's values through the plugin's variable support, as Grafana's Query variable asks for them. */
  async variableValues(query: any, from: number, to: number) {
    const res: any = await rxjs.lastValueFrom(ds.variables.query({ targets: [query], range: timeRange(from, to), scopedVars: {} }));
    const frame = res.data[0] as grafanaData.DataFrame;
    const text = frame.fields.find((f) => f.name === 'text' && f.type === FieldType.string);
    return text ? Array.from(text.values as ArrayLike<string>) : [];
  },
};

(window as unknown as { nfscopeHost: typeof host }).nfscopeHost = host;
