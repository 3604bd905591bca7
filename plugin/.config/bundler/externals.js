/**
 * What Grafana's page provides to a plugin's AMD module at run time (its
 * shared dependencies), so dist/module.js must not carry its own copy: one
 * React, one JSX runtime, one @grafana/ui per page. `amd-module` is the AMD
 * loader's `module` object, which tells the plugin the URL it was loaded
 * from (src/public-path.ts).
 */

/** Exact module names Grafana shares with plugins. */
const SHARED = [
  'react',
  'react/jsx-runtime',
  'react/jsx-dev-runtime',
  'react-dom',
  'react-redux',
  'redux',
  'react-router',
  'rxjs',
  'lodash',
  'moment',
  'jquery',
  'i18next',
  'd3',
  'angular',
  'slate',
  'slate-plain-serializer',
  '@grafana/slate-react',
  'prismjs',
  'emotion',
  '@emotion/css',
  '@emotion/react',
];

/** Package prefixes Grafana shares, with their subpaths (@grafana/ui/unstable and the like). */
const SHARED_PREFIXES = [/^@grafana\/ui(\/|$)/, /^@grafana\/runtime(\/|$)/, /^@grafana\/data(\/|$)/];

const externals = [
  { 'amd-module': 'module' },
  ...SHARED,
  ...SHARED_PREFIXES,
  // lodash/debounce and the like (imported by bundled libraries): a function of Grafana's lodash, not a second lodash.
  ({ request }, callback) => {
    const m = /^lodash\/([A-Za-z]+)$/.exec(request ?? '');
    return m ? callback(undefined, ['lodash', m[1]]) : callback();
  },
  // Legacy imports spelled "grafana/app/..." name Grafana's own modules.
  ({ request }, callback) => (request?.startsWith('grafana/') ? callback(undefined, request.slice('grafana/'.length)) : callback()),
];

module.exports = { externals, SHARED, SHARED_PREFIXES };
