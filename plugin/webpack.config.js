/**
 * Builds dist/ the way Grafana loads a frontend plugin (create-plugin's
 * conventions): dist/module.js is an AMD module whose dependencies on React,
 * rxjs, lodash, @emotion and @grafana/{data,ui,runtime} are left to the
 * Grafana page that loads it; plugin.json, README, logo and dashboards are
 * copied beside it.
 */
const path = require('path');
const CopyWebpackPlugin = require('copy-webpack-plugin');
const pkg = require('./package.json');
const pluginJson = require('./src/plugin.json');

/** What Grafana provides to plugins at run time (its shared dependencies). */
const EXTERNALS = [
  'react',
  'react-dom',
  'rxjs',
  'lodash',
  'moment',
  'jquery',
  'slate',
  'prismjs',
  'emotion',
  '@emotion/css',
  '@emotion/react',
  '@grafana/data',
  '@grafana/ui',
  '@grafana/runtime',
];

module.exports = (env, argv) => ({
  mode: argv.mode ?? 'production',
  context: path.join(__dirname, 'src'),
  entry: { module: './module.ts' },
  devtool: argv.mode === 'development' ? 'eval-source-map' : 'source-map',
  target: 'web',
  output: {
    path: path.join(__dirname, 'dist'),
    filename: '[name].js',
    library: { type: 'amd' },
    publicPath: `public/plugins/${pluginJson.id}/`,
    clean: true,
    uniqueName: pluginJson.id,
  },
  externals: [
    ...EXTERNALS,
    // lodash/debounce and the like (in @grafana/plugin-ui): the function of Grafana's lodash, not a second copy.
    ({ request }, callback) => {
      const m = /^lodash\/([A-Za-z]+)$/.exec(request ?? '');
      return m ? callback(undefined, ['lodash', m[1]]) : callback();
    },
  ],
  resolve: {
    extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs'],
    // @grafana/plugin-ui's ESM build lets webpack drop what this plugin does not use.
    conditionNames: ['import', 'module', 'browser', 'default'],
  },
  module: {
    rules: [
      {
        test: /\.[jt]sx?$/,
        exclude: /node_modules/,
        use: {
          loader: 'swc-loader',
          options: {
            jsc: {
              baseUrl: __dirname,
              target: 'es2020',
              parser: { syntax: 'typescript', tsx: true, decorators: false },
              transform: { react: { runtime: 'automatic' } },
            },
          },
        },
      },
      { test: /\.m?js$/, resolve: { fullySpecified: false } },
      // Grafana's .mjs builds import CommonJS packages (react-use/lib/*) by default export: loose interop, as Grafana's own build does.
      { test: /\.mjs$/, include: /node_modules/, type: 'javascript/auto' },
      { test: /\.svg$/, type: 'asset/resource', generator: { filename: 'img/[name][ext]' } },
    ],
  },
  plugins: [
    new CopyWebpackPlugin({
      patterns: [
        {
          from: 'plugin.json',
          to: '.',
          transform: (content) =>
            content
              .toString()
              .replace('%VERSION%', pkg.version)
              .replace('%TODAY%', new Date().toISOString().slice(0, 10)),
        },
        { from: '../README.md', to: '.', noErrorOnMissing: true },
        { from: 'img/*', to: '.' },
        { from: 'dashboards/*.json', to: '.' },
      ],
    }),
  ],
  performance: { hints: false },
  optimization: { minimize: argv.mode !== 'development' },
});
