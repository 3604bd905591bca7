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
import { REPO } from './env';
import { GrafanaStandIn } from './grafana-standin';

export const PLUGIN = path.join(REPO, 'plugin');
export const DIST = path.join(PLUGIN, 'dist');
export const HOST = path.join(PLUGIN, 'test-host', 'dist');
export const CHROMIUM = '/usr/bin/chromium';
export const DASHBOARDS = path.join(PLUGIN, 'src', 'dashboards');

/** Why the browser tests cannot run here, or null. */
export function prerequisiteProblem(): string | null {
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh does)`;
  if (!fs.existsSync(path.join(DIST, 'module.js'))) return 'plugin/dist/module.js is not built: npm run build -w plugin (scripts/setup.sh does)';
  if (!fs.existsSync(path.join(HOST, 'host.js'))) return 'plugin/test-host/dist/host.js is not built: npm run build:host -w plugin (scripts/setup.sh does)';
  return null;
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
 * the host page in Chromium. The plugin is not loaded yet: the caller does
 * that (host('loadPlugin', …)) or passes `loadPlugin` to have it done.
 */
export async function openPluginPage(opts: {
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
    hostDir: HOST,
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
    const host = <T>(fn: string, ...args: unknown[]): Promise<T> =>
      page.evaluate(([f, a]) => (globalThis as any).nfscopeHost[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;
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
