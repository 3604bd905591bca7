/**
 * The plugin's build, as Grafana loads a frontend plugin: dist/module.js is
 * an AMD module whose shared dependencies (bundler/externals.js) are the
 * Grafana page's; its source map is beside it; webpack's public path is
 * taken at run time from the URL the page loaded module.js from
 * (src/public-path.ts), so lazily loaded chunks also load when Grafana is
 * served under a sub-path.
 */
const path = require('path');
const CopyWebpackPlugin = require('copy-webpack-plugin');
const webpack = require('webpack');
const { DIST_DIR, SOURCE_DIR } = require('../bundler/constants');
const { externals } = require('../bundler/externals');
const { copyFilePatterns, packageJson, pluginJson } = require('../bundler/copy-files');

/** The swc options for the plugin's own TypeScript and JSX (the automatic JSX runtime: react/jsx-runtime, external). */
const SWC = {
  jsc: {
    baseUrl: SOURCE_DIR,
    target: 'es2020',
    parser: { syntax: 'typescript', tsx: true, decorators: false, dynamicImport: true },
    transform: { react: { runtime: 'automatic' } },
  },
};

module.exports = (env = {}, argv = {}) => {
  const production = (argv.mode ?? (env.development ? 'development' : 'production')) === 'production';
  const pj = pluginJson();
  return {
    mode: production ? 'production' : 'development',
    context: SOURCE_DIR,
    entry: { module: './module.ts' },
    devtool: production ? 'source-map' : 'eval-source-map',
    target: 'web',
    externals,
    output: {
      path: DIST_DIR,
      filename: '[name].js',
      chunkFilename: production ? '[name].js?_cache=[contenthash]' : '[name].js',
      library: { type: 'amd' },
      publicPath: `public/plugins/${pj.id}/`,
      uniqueName: pj.id,
      crossOriginLoading: 'anonymous',
      clean: true,
    },
    resolve: {
      extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs'],
      // @grafana/plugin-ui's ESM build lets webpack drop what the plugin does not use.
      conditionNames: ['import', 'module', 'browser', 'default'],
    },
    module: {
      rules: [
        { test: /\.[jt]sx?$/, exclude: /node_modules/, use: { loader: 'swc-loader', options: SWC } },
        { test: /\.m?js$/, resolve: { fullySpecified: false } },
        // Grafana's .mjs builds import CommonJS packages (react-use/lib/*) by default export: loose interop, as Grafana's own build does.
        { test: /\.mjs$/, include: /node_modules/, type: 'javascript/auto' },
        { test: /\.(svg|png|jpe?g|gif)$/, type: 'asset/resource', generator: { filename: 'img/[name][ext]' } },
      ],
    },
    plugins: [
      new CopyWebpackPlugin({ patterns: copyFilePatterns() }),
    ],
    performance: { hints: false },
    optimization: { minimize: production },
  };
};
