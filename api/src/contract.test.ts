/** The API contract's two forms agree (TypeScript constants and JSON Schema), and the schema check catches what it must. */
import { BUCKETS_PER_OCTAVE, FILTER_OPS, KINDS, SCOPES, TRAFFIC_METRICS, VANTAGES } from './query';
import { API_SCHEMA, contractProblems } from './validate';

const defs = API_SCHEMA.definitions as Record<string, { enum?: unknown[] }>;

test.each([
  ['Kind', KINDS],
  ['FilterOp', FILTER_OPS],
  ['Scope', SCOPES],
  ['Vantage', VANTAGES],
  ['TrafficMetric', TRAFFIC_METRICS],
  ['BucketsPerOctave', BUCKETS_PER_OCTAVE],
])("the schema's %s enum is the TypeScript constant", (name, values) => {
  expect(defs[name].enum).toEqual([...values]);
});

const answer = () => ({
  kind: 'request_rate',
  scope: 'node',
  from: 1000,
  to: 61000,
  step_ms: 1000,
  nodes: { answered: ['worker-1'], missing: [] },
  overflow: { series: 0 },
  frames: [
    {
      name: 'smf-1 → upf-1',
      fields: [
        { name: 'time', type: 'time', values: [2000, 3000] },
        { name: 'value', type: 'number', values: [1.5, null], labels: { client_nf: 'smf-1' }, config: { unit: 'reqps' } },
      ],
    },
  ],
});

test('a well-formed query answer keeps the contract', () => {
  expect(contractProblems('QueryAnswer', answer())).toEqual([]);
});

test.each([
  ['an unknown kind', (a: any) => (a.kind = 'latency_p99'), /\/kind: must be equal to one of the allowed values \(latency_percentiles/],
  ['a missing step_ms', (a: any) => delete a.step_ms, /\/: must have required property 'step_ms'/],
  ['a field of an unknown type', (a: any) => (a.frames[0].fields[1].type = 'float'), /\/frames\/0\/fields\/1\/type/],
  ['a null time', (a: any) => (a.frames[0].fields[0].values[1] = null), /\/frames\/0\/fields\/0\/values\/1: must be number/],
  ['a label that is not a string', (a: any) => (a.frames[0].fields[1].labels.client_nf = 1), /\/frames\/0\/fields\/1\/labels\/client_nf: must be string/],
  ['a key the contract does not have', (a: any) => (a.series = 3), /must NOT have additional properties \(series\)/],
  ['fields of different lengths', (a: any) => a.frames[0].fields[1].values.push(2), /fields\/1\/values: 3 values where the frame's first field has 2/],
])('%s breaks it, and the problem says where', (_what, spoil, message) => {
  const a = answer();
  spoil(a);
  expect(contractProblems('QueryAnswer', a).join('\n')).toMatch(message);
});

test('a POST body with an operator the API does not have is refused', () => {
  expect(contractProblems('QueryRequest', { kind: 'drops', filters: [{ label: 'nf', op: '==', value: 'upf-1' }] }).join('\n')).toMatch(/\/filters\/0\/op/);
  expect(contractProblems('QueryRequest', { kind: 'drops', filters: [{ label: 'nf', op: '=', value: ['upf-1', 'upf-2'] }], scope: 'cluster' })).toEqual([]);
});
