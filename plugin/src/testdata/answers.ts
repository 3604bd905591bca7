/**
 * Query answers shaped as docs/query-api.md specifies them, one per kind,
 * with the values an exporter would give for a short run (they feed the
 * frame-conversion and data-source tests; the browser test checks the same
 * conversion against a live exporter).
 */
import type { QueryAnswer } from '../frames';

const T0 = 1796150012000;
const times = [T0, T0 + 12000, T0 + 24000];
const base = { scope: 'node' as const, from: T0 - 12000, to: T0 + 24000, step_ms: 12000, nodes: { answered: ['worker-1'], missing: [] }, overflow: { series: 0 } };

const pair = { client_nf: 'smf-1', server_nf: 'upf-1', interface: 'N4', procedure: 'SessionEstablishment' };

function series(name: string, labels: Record<string, string>, values: Array<number | null>, unit?: string) {
  return {
    name,
    meta: { type: 'timeseries-multi' },
    fields: [
      { name: 'time', type: 'time' as const, values: times },
      { name: 'value', type: 'number' as const, values, labels, ...(unit ? { config: { unit } } : {}) },
    ],
  };
}

export const ANSWERS: Record<string, QueryAnswer> = {
  latency_percentiles: {
    kind: 'latency_percentiles',
    ...base,
    frames: [
      series('p50 smf-1 → upf-1 N4 SessionEstablishment', { ...pair, quantile: '0.5' }, [0.0021, null, 0.0019], 's'),
      series('p99 smf-1 → upf-1 N4 SessionEstablishment', { ...pair, quantile: '0.99' }, [0.0087, null, 0.0071], 's'),
    ],
  },
  request_rate: { kind: 'request_rate', ...base, frames: [series('smf-1 → upf-1 N4 SessionEstablishment', pair, [20.5, 19.9, 21], 'reqps')] },
  error_ratio: { kind: 'error_ratio', ...base, frames: [series('smf-1 → upf-1 N4 SessionEstablishment', pair, [0.02, null, 0])] },
  timeouts: { kind: 'timeouts', ...base, frames: [series('smf-1 → upf-1 N4 SessionEstablishment', pair, [0, 0.083, 0])] },
  retransmissions: { kind: 'retransmissions', ...base, frames: [series('smf-1 → upf-1 N4 SessionEstablishment', pair, [0.083, 0, 0])] },
  drops: { kind: 'drops', ...base, frames: [series('upf-1 NO_SOCKET', { nf: 'upf-1', reason: 'NO_SOCKET' }, [1.5, 0, 0.25], 'pps')] },
  traffic: { kind: 'traffic', ...base, frames: [series('gnb-1 → upf-1 N3', { src_nf: 'gnb-1', dst_nf: 'upf-1', interface: 'N3' }, [1000, 1010, 990])] },
  latency_heatmap: {
    kind: 'latency_heatmap',
    ...base,
    frames: [
      {
        name: 'latency',
        meta: { type: 'heatmap-rows' },
        fields: [
          { name: 'time', type: 'time', values: times },
          { name: '0.000977', type: 'number', values: [3, 0, 1], labels: { le: '0.000977', ge: '0.000488' } },
          { name: '0.00195', type: 'number', values: [10, 4, 8], labels: { le: '0.00195', ge: '0.000977' } },
          { name: '0.00391', type: 'number', values: [2, 1, 0], labels: { le: '0.00391', ge: '0.00195' } },
        ],
      },
    ],
  },
  latency_distribution: {
    kind: 'latency_distribution',
    ...base,
    frames: [
      {
        name: 'SessionEstablishment',
        meta: { type: 'histogram' },
        fields: [
          { name: 'xMin', type: 'number', values: [0.000488, 0.000977, 0.00195] },
          { name: 'xMax', type: 'number', values: [0.000977, 0.00195, 0.00391] },
          { name: 'count', type: 'number', values: [4, 22, 3], labels: { procedure: 'SessionEstablishment' } },
        ],
      },
    ],
  },
  topology: {
    kind: 'topology',
    ...base,
    frames: [
      {
        name: 'nodes',
        meta: { preferredVisualisationType: 'nodeGraph' },
        fields: [
          { name: 'id', type: 'string', values: ['smf-1', 'upf-1'] },
          { name: 'title', type: 'string', values: ['smf-1', 'upf-1'] },
          { name: 'subtitle', type: 'string', values: ['SMF', 'UPF'] },
          { name: 'mainstat', type: 'number', values: [0, 20.5] },
          { name: 'secondarystat', type: 'number', values: [0, 0.02] },
          { name: 'arc__accepted', type: 'number', values: [1, 0.98] },
          { name: 'arc__rejected', type: 'number', values: [0, 0.02] },
        ],
      },
      {
        name: 'edges',
        meta: { preferredVisualisationType: 'nodeGraph' },
        fields: [
          { name: 'id', type: 'string', values: ['smf-1->upf-1'] },
          { name: 'source', type: 'string', values: ['smf-1'] },
          { name: 'target', type: 'string', values: ['upf-1'] },
          { name: 'mainstat', type: 'number', values: [20.5] },
          { name: 'secondarystat', type: 'number', values: [0.0087] },
          { name: 'detail__error_ratio', type: 'number', values: [0.02] },
          { name: 'detail__interfaces', type: 'string', values: ['N4'] },
          { name: 'thickness', type: 'number', values: [3] },
        ],
      },
    ],
  },
  nf_pairs: {
    kind: 'nf_pairs',
    ...base,
    frames: [
      {
        name: 'nf_pairs',
        meta: { preferredVisualisationType: 'table' },
        fields: [
          { name: 'client_nf', type: 'string', values: ['smf-1'] },
          { name: 'client_type', type: 'string', values: ['SMF'] },
          { name: 'server_nf', type: 'string', values: ['upf-1'] },
          { name: 'server_type', type: 'string', values: ['UPF'] },
          { name: 'interface', type: 'string', values: ['N4'] },
          { name: 'procedure', type: 'string', values: ['SessionEstablishment'] },
          { name: 'requests', type: 'number', values: [738] },
          { name: 'rate', type: 'number', values: [20.5] },
          { name: 'p50', type: 'number', values: [0.0021] },
          { name: 'p90', type: 'number', values: [0.0039] },
          { name: 'p99', type: 'number', values: [0.0087] },
          { name: 'error_ratio', type: 'number', values: [0.02] },
          { name: 'rejected', type: 'number', values: [15] },
          { name: 'timeouts', type: 'number', values: [0] },
          { name: 'retransmissions', type: 'number', values: [1] },
        ],
      },
    ],
  },
};
