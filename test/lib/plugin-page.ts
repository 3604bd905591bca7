/**
 * The browser side of the plugin's browser tests: the Grafana stand-in
 * serving the built plugin and the host page (plugin/test-host), and
 * headless Chromium (Debian's, driven by playwright-core) on that page with
 * the plugin loaded and its DataSource created. Used by
 * test/plugin-browser.test.ts and test/dashboard-preview.test.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { describeRoot, REPO } from './env';
import { GrafanaStandIn } from './grafana-standin';

export const PLUGIN = path.join(REPO, 'plugin');
export const DIST = path.join(PLUGIN, 'dist');
export const HOST_SRC = path.join(PLUGIN, 'test-host');
/**
 * The Grafana releases the plugin is tested on: one host page per
 * plugin/test-host/grafana-<major>/ folder, whose package.json pins that
 * release's packages (React 18 for 11, React 19 for 13).
 */
export const GRAFANA_RELEASES: string[] = fs
  .readdirSync(HOST_SRC)
  .map((d) => /^grafana-(\d+)$/.exec(d)?.[1])
  .filter((m): m is string => m !== undefined && fs.existsSync(path.join(HOST_SRC, `grafana-${m}`, 'package.json')))
  .sort((a, b) => Number(a) - Number(b));
/** The newest release tested: its pictures are the ones the docs and plugin.json show. */
export const NEWEST_RELEASE = GRAFANA_RELEASES[GRAFANA_RELEASES.length - 1];
/** Where plugin.json's screenshots are (src/img/screenshots, copied into dist/img/screenshots). */
export const PLUGIN_SCREENSHOTS = path.join(PLUGIN, 'src', 'img', 'screenshots');

/**
 * With NFSCOPE_DOCS_IMG=1 (scripts/render-dashboards.sh), a picture taken on
 * the newest release is copied to where the docs or plugin.json show it.
 */
export function keepPicture(release: string, shot: string, dest: string): void {
  if (process.env.NFSCOPE_DOCS_IMG !== '1' || release !== NEWEST_RELEASE) return;
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(shot, dest);
}

/** The built host page for a Grafana major. */
export const hostDir = (release: string) => path.join(HOST_SRC, 'dist', `grafana-${release}`);
export const CHROMIUM = '/usr/bin/chromium';
export const DASHBOARDS = path.join(PLUGIN, 'src', 'dashboards');

/** Why the browser tests cannot run here, or null. */
export function prerequisiteProblem(): string | null {
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh does)`;
  if (!fs.existsSync(path.join(DIST, 'module.js'))) return 'plugin/dist/module.js is not built: npm run build -w plugin (scripts/setup.sh does)';
  if (GRAFANA_RELEASES.length < 2) return `plugin/test-host/ has ${GRAFANA_RELEASES.length} grafana-<major>/ folders; the plugin is tested on at least two Grafana releases`;
  for (const r of GRAFANA_RELEASES) {
    if (!fs.existsSync(path.join(hostDir(r), 'host.js'))) return `plugin/test-host/dist/grafana-${r}/host.js is not built: npm run build:host -w plugin (scripts/setup.sh does)`;
  }
  return null;
}

/**
 * describe() for a browser test: it needs root (the testbed, the exporter) and the built plugin, host pages
 * and Chromium. Outside CI a missing browser or build skips, as a missing root does; with CI=true it runs and
 * its beforeAll fails on what is missing.
 */
export function describeBrowser(name: string, fn: () => void): void {
  const missing = process.env.CI === 'true' ? null : prerequisiteProblem();
  if (missing) describe.skip(`${name} (skipped: ${missing})`, fn);
  else describeRoot(name, fn);
}

export interface PluginPage {
  grafana: GrafanaStandIn;
  context: BrowserContext;
  page: Page;
  /** Uncaught errors the page threw. */
  pageErrors: string[];
  /** Calls window.nfscopeHost[fn](...args) in the page. */
  host<T>(fn: string, ...args: unknown[]): Promise<T>;
  close(): Promise<void>;
}

/**
 * Starts the Grafana stand-in for a data source at `exporterUrl` and opens
 * the host page of one Grafana release in Chromium. The plugin is not loaded yet: the caller does
 * that (host('loadPlugin', …)) or passes `loadPlugin` to have it done.
 */
export async function openPluginPage(opts: {
  /** The Grafana major whose packages the page runs (GRAFANA_RELEASES). */
  grafana: string;
  uid: string;
  exporterUrl: string;
  jsonData: Record<string, unknown>;
  secureJsonData?: Record<string, string>;
  viewport?: { width: number; height: number };
  loadPlugin?: boolean;
}): Promise<PluginPage> {
  const pluginJson = JSON.parse(fs.readFileSync(path.join(DIST, 'plugin.json'), 'utf8'));
  const grafana = await GrafanaStandIn.start({
    pluginId: pluginJson.id,
    pluginDist: DIST,
    hostDir: hostDir(opts.grafana),
    routes: pluginJson.routes,
    ds: { uid: opts.uid, url: opts.exporterUrl, jsonData: opts.jsonData, secureJsonData: opts.secureJsonData ?? {} },
  });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-chromium-'));
  let context: BrowserContext | undefined;
  const close = async () => {
    await context?.close().catch(() => undefined);
    fs.rmSync(profile, { recursive: true, force: true });
    await grafana.close();
  };
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: opts.viewport ?? { width: 1400, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`${grafana.url}/index.html`);
    await page.waitForFunction(() => (globalThis as any).nfscopeHost?.ready === true);
    const host = <T>(fn: string, ...args: unknown[]): Promise<T> => page.evaluate(([f, a]) => (globalThis as any).nfscopeHost[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;
    if (opts.loadPlugin) {
      await host('loadPlugin', `/public/plugins/${pluginJson.id}/module.js`);
      await host('createDatasource', { uid: opts.uid, jsonData: opts.jsonData });
    }
    return { grafana, context, page, pageErrors, host, close };
  } catch (e) {
    await close();
    throw e;
  }
}
