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


const SHARED = ['react', 'react-dom', 'rxjs', 'lodash', 'moment', 'jquery', '@emotion/css', '@emotion/react', '@grafana/data', '@grafana/ui', '@grafana/runtime'];

describe('the build (dist/, made by npm run build -w plugin; scripts/setup.sh runs it)', () => {
  const moduleJs = path.join(DIST, 'module.js');
  const built = fs.existsSync(moduleJs);

  test('dist/module.js exists', () => {
    expect(built ? moduleJs : `${moduleJs} is missing: run npm run build -w plugin`).toBe(moduleJs);
  });

  (built ? test : test.skip)("module.js is an AMD module whose dependencies are Grafana's shared modules", () => {
    const js = fs.readFileSync(moduleJs, 'utf8');
    const m = /define\((\[[^\]]*\])/.exec(js);
    expect(m).not.toBeNull();
    const deps: string[] = JSON.parse(m![1]);
    expect(deps).toEqual(expect.arrayContaining(['react', '@grafana/data', '@grafana/ui', '@grafana/runtime']));
    for (const d of deps) expect(SHARED).toContain(d);
    expect(js.length).toBeLessThan(400_000);
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
      // react/jsx-runtime is a few lines calling the external React; Grafana 11.0 does not provide it.
      const bundled = mods.filter((n) => /node_modules\/(react|react-dom|scheduler|rxjs|lodash|@emotion\/[a-z]+|@grafana\/(data|ui|runtime))\//.test(n) && !/node_modules\/react\/(jsx-runtime|cjs\/react-jsx-runtime)/.test(n));
      expect(bundled).toEqual([]);
      expect(fs.readFileSync(path.join(out, 'module.js'), 'utf8')).toMatch(/^(\/\*[^]*?\*\/\s*)?define\(/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 120000);

  (built ? test : test.skip)('dist/plugin.json has the version and date filled in and is valid; the dashboards and logo are beside it', () => {
    const pj = readJson(path.join(DIST, 'plugin.json'));
    expect(pj.info.version).toBe(readJson(path.join(PLUGIN, 'package.json')).version);
    expect(pj.info.updated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const validate = validator('plugin.schema.json');
    expect(validate(pj) ? [] : validate.errors).toEqual([]);
    for (const inc of pj.includes) expect(fs.existsSync(path.join(DIST, inc.path))).toBe(true);
    expect(fs.existsSync(path.join(DIST, pj.info.logos.small))).toBe(true);
    expect(fs.existsSync(path.join(DIST, 'README.md'))).toBe(true);
  });
});
