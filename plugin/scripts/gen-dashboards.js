#!/usr/bin/env node
/**
 * Writes the prebuilt dashboards (src/dashboards/*.json) from one
 * description, so that every dashboard uses the same data source uid, the
 * same variables and the same panel conventions. Run it after changing this
 * file: `node plugin/scripts/gen-dashboards.js`; a test checks that the JSON
 * files are what it writes.
 */
const fs = require('fs');
const path = require('path');

const DS = { type: 'nfscope-ebpf-datasource', uid: 'nfscope' };
const OUT = path.join(__dirname, '..', 'src', 'dashboards');

// ---- variables --------------------------------------------------------------

function queryVariable(name, label, query, description) {
  return {
    type: 'query',
    name,
    label,
    description,
    datasource: DS,
    query: { refId: 'A', ...query },
    refresh: 2, // on time range change: label values come from the range's history
    multi: true,
    includeAll: true,
    current: { text: ['All'], value: ['$__all'] },
    options: [],
    sort: 1,
  };
}

/** A fixed list of values, one chosen by default (not All). */
function customVariable(name, label, values, current, description) {
  return {
    type: 'custom',
    name,
    label,
    description,
    query: values.join(','),
    multi: true,
    includeAll: true,
    current: { text: [current], value: [current] },
    options: values.map((v) => ({ text: v, value: v, selected: v === current })),
  };
}

const VARS = {
  node: queryVariable('node', 'Node', { kind: 'nodes' }, 'Nodes whose exporters measured the data'),
  client_nf: queryVariable('client_nf', 'Client NF', { kind: 'nfs' }, 'NF that sent the request'),
  server_nf: queryVariable('server_nf', 'Server NF', { kind: 'nfs' }, 'NF that answered'),
  nf: queryVariable('nf', 'NF', { kind: 'nfs' }, 'NF on either side'),
  reason: queryVariable('reason', 'Drop reason', { kind: 'reasons' }, 'Kernel drop reason'),
  class: customVariable('class', 'Drop class', ['loss', 'benign'], 'loss', 'loss: traffic that did not get where it was going; benign: drops nobody was waiting for, such as frames for other hosts under a promiscuous capture (docs/drops.md)'),
};

/** Drops that are loss: what the dashboards' drop panels show unless a panel is about benign ones. */
const LOSS = { class: ['loss'] };

// ---- panels -----------------------------------------------------------------

let nextId = 1;

/** A target: the plugin's query model (src/types.ts). */
function q(kind, opts = {}) {
  return { datasource: DS, kind, ...opts };
}

function withRefIds(targets) {
  return targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), ...t }));
}

function panel(type, title, targets, { w = 12, h = 8, description, options = {}, fieldConfig, maxDataPoints } = {}) {
  const p = {
    type,
    id: nextId++,
    title,
    description,
    datasource: DS,
    gridPos: { x: 0, y: 0, w, h },
    targets: withRefIds(targets),
    options,
    fieldConfig: fieldConfig ?? { defaults: {}, overrides: [] },
  };
  if (maxDataPoints) p.maxDataPoints = maxDataPoints;
  if (!description) delete p.description;
  return p;
}

const legendBottom = { legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['mean', 'max', 'lastNotNull'] }, tooltip: { mode: 'multi', sort: 'desc' } };

function timeseries(title, targets, opts = {}) {
  return panel('timeseries', title, targets, {
    ...opts,
    options: { ...legendBottom, ...opts.options },
    fieldConfig: opts.fieldConfig ?? { defaults: { custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, spanNulls: false, showPoints: 'never' } }, overrides: [] },
  });
}

function heatmap(title, target, opts = {}) {
  return panel('heatmap', title, [target], {
    ...opts,
    options: {
      // The plugin answers heatmap-cells with each bucket's bounds: Grafana draws them on a log axis at their true heights.
      calculate: false,
      yAxis: { unit: 's', axisPlacement: 'left' },
      // Empty cells (zero counts, kept so that the cell width is right) are not drawn.
      filterValues: { le: 1e-9 },
      cellValues: { unit: 'short' },
      color: { mode: 'scheme', scheme: 'Oranges', steps: 64, exponent: 0.5, fill: 'dark-orange' },
      tooltip: { mode: 'single', yHistogram: true },
      legend: { show: true },
    },
  });
}

function histogram(title, target, opts = {}) {
  return panel('histogram', title, [target], { ...opts, options: { legend: { showLegend: true, placement: 'bottom', displayMode: 'list' } }, fieldConfig: { defaults: { unit: 's' }, overrides: [] } });
}

function table(title, target, opts = {}) {
  return panel('table', title, [target], {
    h: 9,
    w: 24,
    ...opts,
    options: { showHeader: true, cellHeight: 'sm', sortBy: [{ displayName: 'rate', desc: true }] },
  });
}

function nodeGraph(title, target, opts = {}) {
  return panel('nodeGraph', title, [target], { h: 12, w: 24, ...opts, options: { nodes: { mainStatUnit: 'reqps', secondaryStatUnit: 'percentunit' }, edges: { mainStatUnit: 'reqps', secondaryStatUnit: 's' } } });
}

function stat(title, target, opts = {}) {
  return panel('stat', title, [target], {
    w: 6,
    h: 4,
    ...opts,
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', textMode: 'value_and_name', justifyMode: 'auto', orientation: 'auto' },
  });
}

/** Places panels left to right, top to bottom, on Grafana's 24-column grid. */
function layout(panels) {
  let x = 0;
  let y = 0;
  let rowH = 0;
  for (const p of panels) {
    const { w, h } = p.gridPos;
    if (x + w > 24) {
      x = 0;
      y += rowH;
      rowH = 0;
    }
    p.gridPos = { x, y, w, h };
    x += w;
    rowH = Math.max(rowH, h);
  }
  return panels;
}

function dashboard(uid, title, description, tags, vars, panels) {
  nextId = 1;
  const built = panels();
  return {
    uid,
    title,
    description,
    tags: ['nfscope', '5g', ...tags],
    editable: true,
    graphTooltip: 1,
    timezone: 'browser',
    time: { from: 'now-15m', to: 'now' },
    refresh: '10s',
    schemaVersion: 39,
    version: 1,
    links: [{ type: 'dashboards', tags: ['nfscope'], asDropdown: true, title: 'nfscope dashboards', includeVars: true, keepTime: true, icon: 'external link', targetBlank: false, tooltip: '', url: '' }],
    annotations: { list: [{ builtIn: 1, datasource: { type: 'grafana', uid: '-- Grafana --' }, enable: true, hide: true, iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations & Alerts', type: 'dashboard' }] },
    templating: { list: vars.map((v) => VARS[v]) },
    panels: layout(built),
  };
}

// Filters every latency panel carries.
const pairFilters = (extra = {}) => ({ node: ['$node'], client_nf: ['$client_nf'], server_nf: ['$server_nf'], ...extra });

// ---- dashboards -------------------------------------------------------------

const dashboards = {
  'overview.json': dashboard(
    'nfscope-overview',
    'nfscope: 5G core overview',
    'Who talks to whom in the 5G core, how fast and how often it fails, and what the kernel drops; measured by eBPF on every node.',
    ['overview'],
    ['node', 'client_nf', 'server_nf'],
    () => [
      nodeGraph('NF topology', q('topology', { filters: pairFilters() }), { description: 'Nodes: requests/s served and error share (arc: accepted vs rejected). Edges: requests/s and p99.' }),
      stat('N4 (PFCP) p99', q('latency_percentiles', { filters: pairFilters({ interface: ['N4'] }), quantiles: [0.99], groupBy: ['interface'], legendFormat: 'N4 p99' }), { fieldConfig: { defaults: { unit: 's', decimals: 2 }, overrides: [] } }),
      stat('N3/N9 (GTP-U echo) p99', q('latency_percentiles', { filters: pairFilters({ interface: ['N3', 'N9'] }), quantiles: [0.99], groupBy: ['interface'], legendFormat: '{{interface}} p99' }), { fieldConfig: { defaults: { unit: 's', decimals: 2 }, overrides: [] } }),
      stat('SBI p99', q('latency_percentiles', { filters: pairFilters({ interface: ['SBI'] }), quantiles: [0.99], groupBy: ['interface'], legendFormat: 'SBI p99' }), { fieldConfig: { defaults: { unit: 's', decimals: 2 }, overrides: [] } }),
      stat('N2 (NGAP) p99', q('latency_percentiles', { filters: pairFilters({ interface: ['N2'] }), quantiles: [0.99], groupBy: ['interface'], legendFormat: 'N2 p99' }), { fieldConfig: { defaults: { unit: 's', decimals: 2 }, overrides: [] } }),
      timeseries('Latency p50 / p99 by interface', [q('latency_percentiles', { filters: pairFilters(), quantiles: [0.5, 0.99], groupBy: ['interface'], legendFormat: '{{interface}} p{{quantile}}' })]),
      timeseries('Request rate by interface', [q('request_rate', { filters: pairFilters(), groupBy: ['interface'], legendFormat: '{{interface}}' })]),
      timeseries('Error ratio by interface', [q('error_ratio', { filters: pairFilters(), groupBy: ['interface'], legendFormat: '{{interface}}' })], { fieldConfig: { defaults: { unit: 'percentunit', min: 0, custom: { drawStyle: 'line', fillOpacity: 10 } }, overrides: [] } }),
      timeseries('Packet drops (loss) by reason', [q('drops', { filters: { node: ['$node'], ...LOSS }, groupBy: ['reason'], legendFormat: '{{reason}}' })], { fieldConfig: { defaults: { unit: 'pps', custom: { drawStyle: 'bars', fillOpacity: 60, stacking: { mode: 'normal', group: 'A' } } }, overrides: [] } }),
      table('NF pairs', q('nf_pairs', { filters: pairFilters() })),
    ],
  ),

  'n4-pfcp.json': dashboard(
    'nfscope-n4-pfcp',
    'nfscope: N4 (PFCP)',
    'SMF–UPF control: PFCP request→response latency per procedure, rejections by cause, timeouts and retransmissions.',
    ['n4', 'pfcp'],
    ['node', 'client_nf', 'server_nf'],
    () => {
      const f = (extra) => pairFilters({ interface: ['N4'], ...extra });
      return [
        timeseries('PFCP latency percentiles by procedure', [q('latency_percentiles', { filters: f(), groupBy: ['procedure'], legendFormat: '{{procedure}} p{{quantile}}' })], { w: 24 }),
        heatmap('PFCP latency heatmap', q('latency_heatmap', { filters: f() })),
        histogram('PFCP latency distribution by procedure', q('latency_distribution', { filters: f(), groupBy: ['procedure'], legendFormat: '{{procedure}}' })),
        timeseries('Requests by procedure', [q('request_rate', { filters: f(), groupBy: ['procedure'], legendFormat: '{{procedure}}' })]),
        timeseries('Requests by outcome and cause', [q('request_rate', { filters: f(), groupBy: ['outcome', 'code'], legendFormat: '{{outcome}} {{code}}' })]),
        timeseries('Error ratio by procedure', [q('error_ratio', { filters: f(), groupBy: ['procedure'], legendFormat: '{{procedure}}' })], { w: 8 }),
        timeseries('Timeouts by procedure', [q('timeouts', { filters: f(), groupBy: ['procedure'], legendFormat: '{{procedure}}' })], { w: 8 }),
        timeseries('Retransmissions by procedure', [q('retransmissions', { filters: f(), groupBy: ['procedure'], legendFormat: '{{procedure}}' })], { w: 8 }),
        table('PFCP NF pairs', q('nf_pairs', { filters: f() })),
      ];
    },
  ),

  'sbi.json': dashboard(
    'nfscope-sbi',
    'nfscope: SBI (HTTP/2)',
    'Service-based interface between NFs: HTTP/2 request→response latency per method and server NF, status codes and errors.',
    ['sbi', 'http2'],
    ['node', 'client_nf', 'server_nf'],
    () => {
      const f = (extra) => pairFilters({ interface: ['SBI'], ...extra });
      return [
        nodeGraph('SBI topology', q('topology', { filters: f() }), { h: 10 }),
        timeseries('SBI latency percentiles by server NF', [q('latency_percentiles', { filters: f(), groupBy: ['server_nf'], legendFormat: '{{server_nf}} p{{quantile}}' })]),
        timeseries('SBI p99 by method', [q('latency_percentiles', { filters: f(), quantiles: [0.99], groupBy: ['procedure'], legendFormat: '{{procedure}} p99' })]),
        heatmap('SBI latency heatmap', q('latency_heatmap', { filters: f() })),
        timeseries('Requests by status code', [q('request_rate', { filters: f(), groupBy: ['outcome', 'code'], legendFormat: '{{code}} ({{outcome}})' })]),
        timeseries('Error ratio by server NF', [q('error_ratio', { filters: f(), groupBy: ['server_nf'], legendFormat: '{{server_nf}}' })]),
        timeseries('Timeouts by server NF', [q('timeouts', { filters: f(), groupBy: ['server_nf'], legendFormat: '{{server_nf}}' })]),
        table('SBI NF pairs', q('nf_pairs', { filters: f() })),
      ];
    },
  ),

  'user-plane.json': dashboard(
    'nfscope-user-plane',
    'nfscope: user plane N3/N9 (GTP-U)',
    'gNB–UPF (N3) and UPF–UPF (N9): GTP-U echo round trips, user-plane packet and byte rates, and drops on the user plane.',
    ['n3', 'n9', 'gtp-u'],
    ['node', 'client_nf', 'server_nf', 'nf'],
    () => {
      const f = (extra) => pairFilters({ interface: ['N3', 'N9'], ...extra });
      const t = { node: ['$node'], nf: ['$nf'], interface: ['N3', 'N9'] };
      const lost = { ...t, ...LOSS };
      return [
        timeseries('GTP-U echo latency percentiles', [q('latency_percentiles', { filters: f(), groupBy: ['client_nf', 'server_nf', 'interface'], legendFormat: '{{client_nf}} → {{server_nf}} {{interface}} p{{quantile}}' })], { w: 24 }),
        heatmap('GTP-U echo latency heatmap', q('latency_heatmap', { filters: f() })),
        timeseries('Echo timeouts', [q('timeouts', { filters: f(), groupBy: ['client_nf', 'server_nf', 'interface'], legendFormat: '{{client_nf}} → {{server_nf}} {{interface}}' })]),
        timeseries('User-plane packets/s', [q('traffic', { filters: t, metric: 'packets', groupBy: ['src_nf', 'dst_nf', 'interface'], legendFormat: '{{src_nf}} → {{dst_nf}} {{interface}}' })]),
        timeseries('User-plane bytes/s', [q('traffic', { filters: t, metric: 'bytes', groupBy: ['src_nf', 'dst_nf', 'interface'], legendFormat: '{{src_nf}} → {{dst_nf}} {{interface}}' })], { fieldConfig: { defaults: { unit: 'Bps' }, overrides: [] } }),
        timeseries('User-plane drops (loss) by NF and reason', [q('drops', { filters: lost, groupBy: ['nf', 'reason'], legendFormat: '{{nf}} {{reason}}' })], { w: 24 }),
      ];
    },
  ),

  'n2-ngap.json': dashboard(
    'nfscope-n2-ngap',
    'nfscope: N2 (NGAP)',
    'gNB–AMF: NGAP over SCTP, latency from a DATA chunk to its SACK per procedure, procedure rates.',
    ['n2', 'ngap'],
    ['node', 'client_nf', 'server_nf'],
    () => {
      const f = (extra) => pairFilters({ interface: ['N2'], ...extra });
      return [
        timeseries('NGAP latency percentiles by procedure', [q('latency_percentiles', { filters: f(), groupBy: ['procedure'], legendFormat: '{{procedure}} p{{quantile}}' })], { w: 24 }),
        heatmap('NGAP latency heatmap', q('latency_heatmap', { filters: f() })),
        timeseries('NGAP procedures/s', [q('request_rate', { filters: f(), groupBy: ['procedure'], legendFormat: '{{procedure}}' })]),
        table('N2 NF pairs', q('nf_pairs', { filters: f() })),
      ];
    },
  ),

  'drops.json': dashboard(
    'nfscope-drops',
    'nfscope: packet drops',
    'Every packet the kernel dropped on the way to or from an NF, with the reason the kernel gives (skb:kfree_skb). The class variable starts at loss; benign drops (frames for other hosts under a capture, queues purged at close) have a panel of their own.',
    ['drops'],
    ['node', 'nf', 'reason', 'class'],
    () => {
      const f = { node: ['$node'], nf: ['$nf'], reason: ['$reason'], class: ['$class'] };
      const benign = { node: ['$node'], nf: ['$nf'], reason: ['$reason'], class: ['benign'] };
      return [
        timeseries('Drops by reason', [q('drops', { filters: f, groupBy: ['reason'], legendFormat: '{{reason}}' })], { w: 24, fieldConfig: { defaults: { unit: 'pps', custom: { drawStyle: 'bars', fillOpacity: 60, stacking: { mode: 'normal', group: 'A' } } }, overrides: [] } }),
        timeseries('Drops by NF', [q('drops', { filters: f, groupBy: ['nf', 'nf_type'], legendFormat: '{{nf}} ({{nf_type}})' })]),
        timeseries('Drops by interface', [q('drops', { filters: f, groupBy: ['interface'], legendFormat: '{{interface}}' })]),
        timeseries('Drops by sender (peer NF)', [q('drops', { filters: f, groupBy: ['peer_nf', 'nf'], legendFormat: '{{peer_nf}} → {{nf}}' })]),
        timeseries('Drops by node', [q('drops', { filters: f, groupBy: ['node'], legendFormat: '{{node}}' })]),
        timeseries('Benign drops by reason (not loss)', [q('drops', { filters: benign, groupBy: ['reason'], legendFormat: '{{reason}}' })], {
          description: 'Drops nobody was waiting for: frames for other hosts seen in promiscuous mode, duplicates, packets for sockets already closed, queues purged at teardown (docs/drops.md). Shown whatever the class variable says.',
        }),
        timeseries('Drops by class', [q('drops', { filters: { node: ['$node'], nf: ['$nf'], reason: ['$reason'] }, groupBy: ['class'], legendFormat: '{{class}}' })]),
      ];
    },
  ),

  'exporter-health.json': dashboard(
    'nfscope-exporter-health',
    'nfscope: exporter health',
    "What each node's exporter sees: traffic and transactions per node and vantage, traffic from addresses no NF claims (gaps in the NF list), timeouts. Program run times and map fill levels are on /metrics and /api/v1/status.",
    ['exporter'],
    ['node'],
    () => {
      const n = { node: ['$node'] };
      return [
        timeseries('Packets/s measured per node', [q('traffic', { filters: n, metric: 'packets', groupBy: ['node'], legendFormat: '{{node}}' })]),
        timeseries('Bytes/s measured per node', [q('traffic', { filters: n, metric: 'bytes', groupBy: ['node'], legendFormat: '{{node}}' })]),
        timeseries('Transactions/s per node and vantage', [q('request_rate', { filters: n, groupBy: ['node', 'vantage'], legendFormat: '{{node}} ({{vantage}})' })]),
        timeseries('Traffic with addresses no NF claims', [q('traffic', { filters: { ...n, nf: ['unknown'] }, metric: 'packets', groupBy: ['src_nf', 'dst_nf', 'interface'], legendFormat: '{{src_nf}} → {{dst_nf}} {{interface}}' })], {
          description: 'Packets to or from addresses that belong to no configured NF (reported as "unknown"): add those NFs to the exporter configuration.',
        }),
        timeseries('Timeouts per node', [q('timeouts', { filters: n, groupBy: ['node', 'interface'], legendFormat: '{{node}} {{interface}}' })]),
        timeseries('Kernel drops per node and class', [q('drops', { filters: n, groupBy: ['node', 'class'], legendFormat: '{{node}} {{class}}' })]),
      ];
    },
  ),
};

function render(d) {
  return `${JSON.stringify(d, null, 2)}\n`;
}

if (require.main === module) {
  fs.mkdirSync(OUT, { recursive: true });
  for (const [file, d] of Object.entries(dashboards)) fs.writeFileSync(path.join(OUT, file), render(d));
  console.log(`wrote ${Object.keys(dashboards).length} dashboards to ${path.relative(process.cwd(), OUT)}`);
}

module.exports = { dashboards, render, DS };
