/**
 * @jest-environment node
 *
 * The built dist/ as Grafana loads it, and a fresh webpack build's module list.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { validator } from './testdata/schemas';

const PLUGIN = path.resolve(__dirname, '..');
const DIST = path.join(PLUGIN, 'dist');
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { SHARED } = require('../.config/bundler/externals.js') as { SHARED: string[] };
/** What Grafana's AMD loader gives a plugin: the shared modules, @grafana/{data,ui,runtime}, and its own `module` record. */
const PROVIDED = [...SHARED, '@grafana/data', '@grafana/ui', '@grafana/runtime', 'module'];
/**
 * Marks of a bundled React, React DOM or JSX runtime: React 18's internals
 * object (which React 19 no longer has: a bundled React 18 JSX runtime throws
 * on Grafana 13), React 19's, the element symbols a JSX runtime or React
 * itself creates elements with, and the scheduler React DOM carries.
 */
const REACT_MARKS = [
  '__SECRET_INTERNALS_DO_NOT_USE_OR_YOU_WILL_BE_FIRED',
  '__CLIENT_INTERNALS_DO_NOT_USE_OR_WARN_USERS_THEY_CANNOT_UPGRADE',
  'ReactCurrentOwner',
  'react.transitional.element',
  'Symbol.for("react.element")',
  'unstable_scheduleCallback',
];

describe('the build (dist/, made by npm run build -w plugin; scripts/setup.sh runs it)', () => {
  const moduleJs = path.join(DIST, 'module.js');
  const built = fs.existsSync(moduleJs);
  // Outside CI an unbuilt plugin skips what reads dist/ (the first test still says how to build it); with CI=true nothing skips.
  const whenBuilt = built || process.env.CI === 'true' ? test : test.skip;

  test('dist/module.js exists', () => {
    expect(built ? moduleJs : `${moduleJs} is missing: run npm run build -w plugin`).toBe(moduleJs);
  });

  whenBuilt("module.js is an AMD module whose dependencies are Grafana's shared modules", () => {
    const js = fs.readFileSync(moduleJs, 'utf8');
    const m = /define\((\[[^\]]*\])/.exec(js);
    expect(m).not.toBeNull();
    const deps: string[] = JSON.parse(m![1]);
    expect(deps).toEqual(expect.arrayContaining(['react', 'react/jsx-runtime', '@grafana/data', '@grafana/ui', '@grafana/runtime']));
    for (const d of deps) expect(PROVIDED).toContain(d);
    expect(js.length).toBeLessThan(400_000);
  });

  whenBuilt('module.js carries no copy of React, React DOM or the JSX runtime, and no React internals', () => {
    const js = fs.readFileSync(moduleJs, 'utf8');
    expect(REACT_MARKS.filter((mark) => js.includes(mark))).toEqual([]);
  });

  whenBuilt('module.js calls none of the React APIs that React 19 removed', () => {
    // findDOMNode, the legacy root API and legacy context are gone in React 19 (react.dev's React 19 upgrade guide).
    const REMOVED_IN_19 = ['findDOMNode', 'unmountComponentAtNode', 'createFactory', 'contextTypes', 'childContextTypes', 'getChildContext'];
    const js = fs.readFileSync(moduleJs, 'utf8');
    expect(REMOVED_IN_19.filter((name) => js.includes(name))).toEqual([]);
  });

  whenBuilt("the source map is beside module.js and covers the plugin's own sources", () => {
    const js = fs.readFileSync(moduleJs, 'utf8');
    expect(js.trimEnd().endsWith('//# sourceMappingURL=module.js.map')).toBe(true);
    const map = readJson(path.join(DIST, 'module.js.map'));
    expect(map.version).toBe(3);
    for (const src of ['datasource.ts', 'components/QueryEditor.tsx', 'components/ConfigEditor.tsx'])
      expect({ src, mapped: map.sources.some((x: string) => x.endsWith(`/${src}`)) }).toEqual({ src, mapped: true });
  });

  test('the webpack build bundles none of React, React DOM, rxjs, lodash, @emotion or @grafana/{data,ui,runtime}', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const webpack = require('webpack');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const config = require('../webpack.config.js')({}, { mode: 'production' });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-plugin-build-'));
    try {
      config.output.path = out;
      config.plugins = [];
      const stats: any = await new Promise((resolve, reject) => webpack(config, (err: Error, s: any) => (err ? reject(err) : resolve(s))));
      expect(stats.hasErrors() ? stats.toString('errors-only') : '').toBe('');
      const mods: string[] = [];
      const walk = (list: any[] = []) => list.forEach((x) => (mods.push(x.name), walk(x.modules)));
      walk(stats.toJson({ modules: true, nestedModules: true }).modules);
      const externals = mods.filter((n) => n.startsWith('external ')).map((n) => JSON.parse(n.slice('external '.length)));
      expect([...new Set(externals)].sort()).toEqual(expect.arrayContaining(['@grafana/data', '@grafana/runtime', '@grafana/ui', 'react']));
      expect(externals).toEqual(expect.arrayContaining(['react/jsx-runtime']));
      // Nothing of React, its JSX runtime included: Grafana 13 runs React 19, whose internals a React 18 JSX runtime cannot read.
      const bundled = mods.filter((n) => /node_modules\/(react|react-dom|scheduler|rxjs|lodash|@emotion\/[a-z]+|@grafana\/(data|ui|runtime))\//.test(n));
      expect(bundled).toEqual([]);
      expect(fs.readFileSync(path.join(out, 'module.js'), 'utf8')).toMatch(/^(\/\*[^]*?\*\/\s*)?define\(/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 120000);

  whenBuilt('dist/plugin.json has the version and date filled in and is valid; the dashboards and logo are beside it', () => {
    const pj = readJson(path.join(DIST, 'plugin.json'));
    expect(pj.info.version).toBe(readJson(path.join(PLUGIN, 'package.json')).version);
    expect(pj.info.updated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const validate = validator('plugin.schema.json');
    expect(validate(pj) ? [] : validate.errors).toEqual([]);
    for (const inc of pj.includes) expect(fs.existsSync(path.join(DIST, inc.path))).toBe(true);
    expect(fs.existsSync(path.join(DIST, pj.info.logos.small))).toBe(true);
    expect(fs.existsSync(path.join(DIST, 'README.md'))).toBe(true);
  });

  whenBuilt("the catalogue's hygiene: CHANGELOG.md and LICENSE beside module.js, screenshots and links in plugin.json, a tested grafanaDependency", () => {
    const pj = readJson(path.join(DIST, 'plugin.json'));
    const changelog = fs.readFileSync(path.join(DIST, 'CHANGELOG.md'), 'utf8');
    // The CHANGELOG names the version being shipped.
    expect(changelog).toContain(`## ${pj.info.version}`);
    expect(fs.readFileSync(path.join(DIST, 'LICENSE'), 'utf8')).toContain('Apache License');
    expect(pj.info.screenshots.length).toBeGreaterThan(0);
    for (const s of pj.info.screenshots) {
      expect(s.name).toBeTruthy();
      const png = fs.readFileSync(path.join(DIST, s.path));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
    }
    expect(pj.info.links.length).toBeGreaterThan(0);
    for (const l of pj.info.links) expect(l.url).toMatch(/^https:\/\//);
    // Each tested Grafana major (test-host/grafana-<major>/) lies in the stated range; nothing before react/jsx-runtime was shared.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const semver = require('semver');
    const hosts = fs.readdirSync(path.join(PLUGIN, 'test-host')).filter((d) => /^grafana-\d+$/.test(d));
    expect(hosts.length).toBeGreaterThanOrEqual(2);
    for (const h of hosts) {
      const v = readJson(path.join(PLUGIN, 'test-host', h, 'package.json')).dependencies['@grafana/data'];
      expect({ v, satisfied: semver.satisfies(v, pj.dependencies.grafanaDependency) }).toEqual({ v, satisfied: true });
    }
    for (const tooOld of ['11.0.0', '11.6.10', '12.0.9', '12.1.6', '12.2.4'])
      expect({ tooOld, satisfied: semver.satisfies(tooOld, pj.dependencies.grafanaDependency) }).toEqual({ tooOld, satisfied: false });
  });
});
