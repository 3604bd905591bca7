import { FieldType, getFieldDisplayName, type DataFrame } from '@grafana/data';
import { answerToFrames } from './frames';
import { ANSWERS } from './testdata/answers';
import { contractProblems } from '@nfscope/api/dist/validate';
import { buildQueryBody } from './query';
import { KIND_ORDER, KINDS, type QueryKind } from './types';

const convert = (kind: QueryKind, extra = {}) => answerToFrames(ANSWERS[kind], { refId: 'A', kind, ...extra });
const field = (f: DataFrame, name: string) => f.fields.find((x) => x.name === name)!;

test('there is an answer fixture for every query kind', () => {
  expect(Object.keys(ANSWERS).sort()).toEqual([...KIND_ORDER].sort());
});

describe.each(KIND_ORDER.filter((k) => KINDS[k].timeSeries))('%s: time series', (kind) => {
  test('one frame per series, time then value, the refId, the unit and the series name', () => {
    const frames = convert(kind);
    expect(frames).toHaveLength(ANSWERS[kind].frames.length);
    for (const [i, f] of frames.entries()) {
      expect(f.refId).toBe('A');
      expect(f.meta?.type).toBe('timeseries-multi');
      expect(f.fields.map((x) => x.type)).toEqual([FieldType.time, FieldType.number]);
      const v = f.fields[1];
      expect(v.config.unit).toBe(KINDS[kind].unit);
      expect(v.labels).toEqual(ANSWERS[kind].frames[i].fields[1].labels);
      expect(getFieldDisplayName(v, f, frames)).toBe(ANSWERS[kind].frames[i].name);
      expect(f.length).toBe(3);
    }
  });
});

test('latency percentiles keep nulls (steps without a completed request) and apply the legend format', () => {
  const [p50, p99] = convert('latency_percentiles', { legendFormat: '{{client_nf}} → {{server_nf}} p{{quantile}}' });
  expect(p50.fields[1].values).toEqual([0.0021, null, 0.0019]);
  expect(getFieldDisplayName(p50.fields[1], p50)).toBe('smf-1 → upf-1 p0.5');
  expect(getFieldDisplayName(p99.fields[1], p99)).toBe('smf-1 → upf-1 p0.99');
});

test('traffic is pps for packets and Bps for bytes; error ratio is percentunit', () => {
  expect(convert('traffic')[0].fields[1].config.unit).toBe('pps');
  expect(convert('traffic', { metric: 'bytes' })[0].fields[1].config.unit).toBe('Bps');
  expect(convert('error_ratio')[0].fields[1].config.unit).toBe('percentunit');
});

test("latency heatmap: one sparse heatmap-cells frame, xMax/yMin/yMax/count in that order, each cell at its bucket's bounds", () => {
  const [f] = convert('latency_heatmap');
  expect(f.meta?.type).toBe('heatmap-cells');
  // Grafana's heatmap reads a sparse frame's fields by position.
  expect(f.fields.map((x) => [x.name, x.type])).toEqual([
    ['xMax', FieldType.time],
    ['yMin', FieldType.number],
    ['yMax', FieldType.number],
    ['count', FieldType.number],
  ]);
  expect(field(f, 'yMin').config.unit).toBe('s');
  // Three steps × three buckets, step by step, buckets ascending, zeros kept.
  const times = ANSWERS.latency_heatmap.frames[0].fields[0].values;
  expect(field(f, 'xMax').values).toEqual(times.flatMap((t) => [t, t, t]));
  expect(field(f, 'yMin').values).toEqual([0.000488, 0.000977, 0.00195, 0.000488, 0.000977, 0.00195, 0.000488, 0.000977, 0.00195]);
  expect(field(f, 'yMax').values).toEqual([0.000977, 0.00195, 0.00391, 0.000977, 0.00195, 0.00391, 0.000977, 0.00195, 0.00391]);
  expect(field(f, 'count').values).toEqual([3, 10, 2, 0, 4, 1, 1, 8, 0]);
});

test('latency heatmap: the bucket below the smallest bound and the overflow bucket get bounds a log axis can draw', () => {
  const times = [1000, 2000];
  const answer = {
    kind: 'latency_heatmap',
    frames: [
      {
        meta: { type: 'heatmap-rows' },
        fields: [
          { name: 'time', type: 'time', values: times },
          { name: '1e-06', type: 'number', values: [1, 0], labels: { le: '1e-06', ge: '0' } },
          { name: '2e-06', type: 'number', values: [0, 2], labels: { le: '2e-06' } },
          { name: '+Inf', type: 'number', values: [5, null], labels: { le: '+Inf', ge: '2e-06' } },
        ],
      },
    ],
  };
  const [f] = answerToFrames(answer, { refId: 'H', kind: 'latency_heatmap' });
  expect(f.refId).toBe('H');
  // ge 0 → half the upper bound; no ge → the bucket below's upper bound; +Inf → twice the lower bound; null → 0.
  expect(field(f, 'yMin').values.slice(0, 3)).toEqual([5e-7, 1e-6, 2e-6]);
  expect(field(f, 'yMax').values.slice(0, 3)).toEqual([1e-6, 2e-6, 4e-6]);
  expect(field(f, 'count').values).toEqual([1, 0, 5, 0, 2, 0]);
  for (const v of field(f, 'yMin').values as number[]) expect(v).toBeGreaterThan(0);
});

test('latency distribution: histogram frame with xMin/xMax in seconds and counts', () => {
  const [f] = convert('latency_distribution');
  expect(f.meta?.type).toBe('histogram');
  expect(field(f, 'xMin').config.unit).toBe('s');
  expect(field(f, 'xMax').config.unit).toBe('s');
  expect(field(f, 'count').values).toEqual([4, 22, 3]);
});

test('topology: Node Graph nodes and edges, arcs green/red summing to 1, stats with units', () => {
  const frames = convert('topology');
  const nodes = frames.find((f) => f.name === 'nodes')!;
  const edges = frames.find((f) => f.name === 'edges')!;
  for (const f of [nodes, edges]) expect(f.meta?.preferredVisualisationType).toBe('nodeGraph');
  expect(field(nodes, 'id').values).toEqual(['smf-1', 'upf-1']);
  expect(field(nodes, 'arc__accepted').config.color).toEqual({ mode: 'fixed', fixedColor: 'green' });
  expect(field(nodes, 'arc__rejected').config.color).toEqual({ mode: 'fixed', fixedColor: 'red' });
  const acc = field(nodes, 'arc__accepted').values;
  const rej = field(nodes, 'arc__rejected').values;
  acc.forEach((a: number, i: number) => expect(a + rej[i]).toBeCloseTo(1, 9));
  expect(field(nodes, 'mainstat').config.unit).toBe('reqps');
  expect(field(nodes, 'secondarystat').config.unit).toBe('percentunit');
  expect(field(edges, 'source').values).toEqual(['smf-1']);
  expect(field(edges, 'target').values).toEqual(['upf-1']);
  expect(field(edges, 'mainstat').config.unit).toBe('reqps');
  expect(field(edges, 'secondarystat').config.unit).toBe('s');
});

test('NF-pair table: one table frame, columns in order, units on rate, percentiles and error ratio', () => {
  const [f] = convert('nf_pairs');
  expect(f.meta?.preferredVisualisationType).toBe('table');
  expect(f.fields.map((x) => x.name)).toEqual([
    'client_nf',
    'client_type',
    'server_nf',
    'server_type',
    'interface',
    'procedure',
    'requests',
    'rate',
    'p50',
    'p90',
    'p99',
    'error_ratio',
    'rejected',
    'timeouts',
    'retransmissions',
  ]);
  expect(field(f, 'rate').config.unit).toBe('reqps');
  for (const p of ['p50', 'p90', 'p99']) expect(field(f, p).config.unit).toBe('s');
  expect(field(f, 'error_ratio').config.unit).toBe('percentunit');
});

test('a unit the exporter gives is kept', () => {
  const answer = {
    ...ANSWERS.request_rate,
    frames: [{ ...ANSWERS.request_rate.frames[0], fields: [ANSWERS.request_rate.frames[0].fields[0], { ...ANSWERS.request_rate.frames[0].fields[1], config: { unit: 'rps' } }] }],
  };
  expect(answerToFrames(answer, { refId: 'B', kind: 'request_rate' })[0].fields[1].config.unit).toBe('rps');
});

test('nodes that did not answer a cluster query and series overflow become warnings', () => {
  const answer = { ...ANSWERS.request_rate, nodes: { answered: ['worker-1'], missing: [{ node: 'http://worker-2:9810', error: 'timeout after 2000 ms' }] }, overflow: { series: 12 } };
  const [f] = answerToFrames(answer, { refId: 'A', kind: 'request_rate' });
  expect(f.meta?.notices).toEqual([
    { severity: 'warning', text: expect.stringContaining('http://worker-2:9810 did not answer (timeout after 2000 ms)') },
    { severity: 'warning', text: expect.stringContaining('12 series were not kept') },
  ]);
});

test('an answer that is not a query answer is an error saying so', () => {
  expect(() => answerToFrames({ node: 'worker-1' }, { refId: 'A' })).toThrow(/without "frames"/);
  expect(() => answerToFrames({ frames: [{ name: 'x' }] }, { refId: 'A' })).toThrow(/frame 0 has no "fields"/);
});

test('an answer with no frames is no data, not an error', () => {
  expect(answerToFrames({ ...ANSWERS.drops, frames: [] }, { refId: 'A', kind: 'drops' })).toEqual([]);
});

test('the answers these tests feed the plugin keep the API contract (@nfscope/api), and the POST bodies it builds do too', () => {
  for (const [kind, answer] of Object.entries(ANSWERS)) expect({ kind, problems: contractProblems('QueryAnswer', answer) }).toEqual({ kind, problems: [] });
  for (const kind of KIND_ORDER) {
    const body = buildQueryBody(
      { refId: 'A', kind, filters: { client_nf: ['smf-1', 'smf-2'] }, extraFilters: 'procedure!=Heartbeat', quantiles: [0.5, 0.99] },
      { from: 1000, to: 61000, intervalMs: 1000, defaultScope: 'node' },
    );
    expect({ kind, problems: contractProblems('QueryRequest', body) }).toEqual({ kind, problems: [] });
  }
});
