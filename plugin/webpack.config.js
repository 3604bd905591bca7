/**
 * `npm run build -w plugin`: the build in .config/webpack/webpack.config.js
 * (create-plugin's layout). Changes to the plugin's build go here, merged
 * over that configuration, so .config/ stays as it is.
 */
const base = require('./.config/webpack/webpack.config.js');

module.exports = (env, argv) => base(env, argv);
