/**
 * What Grafana's server writes into its page before any script runs
 * (window.grafanaBootData): @grafana/runtime's `config` is built from it when
 * that module is evaluated, so the host imports this module first. Only what
 * a data-source plugin can read is filled in: the build's version, no
 * feature toggles, a signed-in viewer with the dark theme.
 */
declare const __GRAFANA_VERSION__: string;

(window as unknown as { grafanaBootData: unknown }).grafanaBootData = {
  assets: { dark: '', light: '' },
  settings: {
    buildInfo: { version: __GRAFANA_VERSION__, edition: 'Open Source', env: 'production' },
    featureToggles: {},
    appSubUrl: '',
    datasources: {},
    panels: {},
  },
  user: { isSignedIn: true, id: 1, login: 'viewer', orgRole: 'Viewer', theme: 'dark', timezone: 'utc' },
  navTree: [],
};
