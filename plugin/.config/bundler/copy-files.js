/**
 * What the build copies beside dist/module.js, as Grafana and its plugin
 * catalogue expect it: plugin.json (version and date filled in), the README
 * Grafana shows on the plugin's page, CHANGELOG.md, the licence, the
 * dashboards plugin.json includes, the logo and the screenshots plugin.json
 * names.
 */
const fs = require('fs');
const path = require('path');
const { PLUGIN_ROOT, SOURCE_DIR } = require('./constants');

function pluginJson() {
  return JSON.parse(fs.readFileSync(path.join(SOURCE_DIR, 'plugin.json'), 'utf8'));
}

function packageJson() {
  return JSON.parse(fs.readFileSync(path.join(PLUGIN_ROOT, 'package.json'), 'utf8'));
}

/** %VERSION%, %TODAY% and %PLUGIN_ID% in plugin.json and the README. */
function fillIn(content) {
  return content
    .toString()
    .replace(/%VERSION%/g, packageJson().version)
    .replace(/%TODAY%/g, new Date().toISOString().slice(0, 10))
    .replace(/%PLUGIN_ID%/g, pluginJson().id);
}

function copyFilePatterns() {
  const pj = pluginJson();
  const assets = new Set([pj.info?.logos?.small, pj.info?.logos?.large, ...(pj.info?.screenshots ?? []).map((s) => s.path)].filter(Boolean));
  return [
    { from: 'plugin.json', to: '.', transform: fillIn },
    { from: path.join(PLUGIN_ROOT, 'README.md'), to: '.', transform: fillIn },
    { from: path.join(PLUGIN_ROOT, 'CHANGELOG.md'), to: '.' },
    { from: path.join(PLUGIN_ROOT, '..', 'LICENSE'), to: '.', noErrorOnMissing: true },
    { from: 'dashboards/*.json', to: '.' },
    ...[...assets].map((p) => ({ from: p, to: p })),
  ];
}

module.exports = { copyFilePatterns, pluginJson, packageJson };
