/**
 * Builds the browser test's host pages: one per Grafana release whose
 * packages are installed in test-host/grafana-<major>/ (each folder's
 * package.json pins @grafana/data, @grafana/ui, @grafana/runtime, React and
 * React DOM at the versions that Grafana release runs). The host's own
 * sources (host.tsx, preview.tsx, template-srv.ts, boot-data.ts) resolve
 * their imports in that folder only, so each page carries exactly that
 * release's packages; output in test-host/dist/grafana-<major>/. Not part of
 * the plugin. `--env grafana=13` builds one.
 */
const fs = require('fs');
const path = require('path');
const webpack = require('webpack');
const CopyWebpackPlugin = require('copy-webpack-plugin');

/** The packages whose versions the host page reports (window.nfscopeHost.versions()). */
const REPORTED = ['@grafana/data', '@grafana/ui', '@grafana/runtime', '@grafana/schema', 'react', 'react-dom', 'rxjs', '@emotion/css'];

function releases() {
  return fs
    .readdirSync(__dirname)
    .filter((d) => /^grafana-\d+$/.test(d))
    .sort();
}

function hostConfig(release, mode) {
  const dir = path.join(__dirname, release);
  const modules = path.join(dir, 'node_modules');
  const version = (p) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(modules, p, 'package.json'), 'utf8')).version;
    } catch {
      throw new Error(`${release}: ${p} is not installed in ${modules}: run npm ci --prefix ${path.relative(process.cwd(), dir)} (scripts/setup.sh does)`);
    }
  };
  const packages = Object.fromEntries(REPORTED.map((p) => [p, version(p)]));
  return {
    name: release,
    mode: mode ?? 'production',
    context: __dirname,
    entry: { host: './host.tsx' },
    devtool: false,
    target: 'web',
    output: { path: path.join(__dirname, 'dist', release), filename: '[name].js', clean: true },
    resolve: { extensions: ['.ts', '.tsx', '.js', '.mjs'], conditionNames: ['import', 'module', 'browser', 'default'] },
    module: {
      rules: [
        {
          test: /\.[jt]sx?$/,
          exclude: /node_modules/,
          use: { loader: 'swc-loader', options: { jsc: { target: 'es2020', parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } } } } },
        },
        // The host's own files import from this release's folder, never from the workspace's node_modules.
        { test: /\.[jt]sx?$/, include: __dirname, exclude: /node_modules/, resolve: { modules: [modules] } },
        { test: /\.m?js$/, resolve: { fullySpecified: false } },
        // Grafana's .mjs builds import CommonJS packages (react-use/lib/*) by default export: loose interop, as Grafana's own build does.
        { test: /\.mjs$/, include: /node_modules/, type: 'javascript/auto' },
        { test: /\.css$/, type: 'asset/source' },
        { test: /\.(svg|png|woff2?|ttf)$/, type: 'asset/resource' },
      ],
    },
    // One file: the page loads host.js, then module.js.
    optimization: { splitChunks: false, minimize: false },
    plugins: [
      new webpack.DefinePlugin({
        __GRAFANA_VERSION__: JSON.stringify(packages['@grafana/data']),
        __HOST_PACKAGES__: JSON.stringify(packages),
        'process.env.NODE_ENV': JSON.stringify('production'),
      }),
      new webpack.optimize.LimitChunkCountPlugin({ maxChunks: 1 }),
      new CopyWebpackPlugin({ patterns: [{ from: 'index.html', to: '.' }] }),
    ],
    performance: { hints: false },
    stats: 'errors-warnings',
  };
}

module.exports = (env = {}, argv = {}) => {
  const wanted = env.grafana ? [`grafana-${env.grafana}`] : releases();
  if (wanted.length === 0) throw new Error('no test-host/grafana-<major>/ folder: nothing to build');
  return wanted.map((r) => hostConfig(r, argv.mode));
};
