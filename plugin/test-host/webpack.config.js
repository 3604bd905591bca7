/**
 * Builds the browser test's host page (test-host/dist): a stand-in for the
 * Grafana page that provides React, @grafana/data and @grafana/ui (the real
 * packages, bundled here) and a @grafana/runtime stand-in to the plugin's AMD
 * module. Not part of the plugin.
 */
const path = require('path');
const CopyWebpackPlugin = require('copy-webpack-plugin');

module.exports = (env, argv) => ({
  mode: argv.mode ?? 'production',
  context: __dirname,
  entry: { host: './host.tsx' },
  devtool: false,
  target: 'web',
  output: { path: path.join(__dirname, 'dist'), filename: '[name].js', clean: true },
  resolve: { extensions: ['.ts', '.tsx', '.js', '.mjs'], conditionNames: ['import', 'module', 'browser', 'default'] },
  module: {
    rules: [
      {
        test: /\.[jt]sx?$/,
        exclude: /node_modules/,
        use: { loader: 'swc-loader', options: { jsc: { target: 'es2020', parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } } } } },
      },
      { test: /\.m?js$/, resolve: { fullySpecified: false } },
      // Grafana's .mjs builds import CommonJS packages (react-use/lib/*) by default export: loose interop, as Grafana's own build does.
      { test: /\.mjs$/, include: /node_modules/, type: 'javascript/auto' },
      { test: /\.css$/, type: 'asset/source' },
      { test: /\.(svg|png|woff2?|ttf)$/, type: 'asset/resource' },
    ],
  },
  // One file: the page loads host.js, then module.js.
  optimization: { splitChunks: false, minimize: false },
  plugins: [new CopyWebpackPlugin({ patterns: [{ from: 'index.html', to: '.' }] })],
  performance: { hints: false },
  stats: 'errors-warnings',
});
