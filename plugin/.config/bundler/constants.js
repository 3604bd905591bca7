/** Where the plugin's sources are and where the build goes, relative to plugin/. */
const path = require('path');

const PLUGIN_ROOT = path.resolve(__dirname, '..', '..');
module.exports = {
  PLUGIN_ROOT,
  SOURCE_DIR: path.join(PLUGIN_ROOT, 'src'),
  DIST_DIR: path.join(PLUGIN_ROOT, 'dist'),
};
