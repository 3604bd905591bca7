import { FakeTemplateSrv } from '../test-host/template-srv';
import { templateInterpolator } from './interpolate';
import { buildQueryBody, parseFilters, QueryError, renderLegend } from './query';
import { KIND_ORDER, KINDS } from './types';

const ctx = { from: 1796150000000.4, to: 1796153600000.6, intervalMs: 12000, defaultScope: 'node' as const };

describe('buildQueryBody', () => {
  test('a new panel (no fields set) asks for p50/p90/p99 per NF pair and procedure', () => {
    expect(buildQueryBody({ refId: 'A' }, ctx)).toEqual({
      kind: 'latency_percentiles',
      from: 1796150000000,
      to: 1796153600001,
      step: 12000,
      filters: [],
      quantiles: [0.5, 0.9, 0.99],
      scope: 'node',
    });
  });

  test.each(KIND_ORDER)('%s: kind, range, scope and only the filters the kind takes', (kind) => {
    const b = buildQueryBody({ refId: 'A', kind, filters: { client_nf: ['smf-1'], reason: ['NO_SOCKET'], src_nf: ['gnb-1'], node: ['worker-1'] }, scope: 'cluster' }, ctx);
    expect(b.kind).toBe(kind);
    expect(b.scope).toBe('cluster');
    const labels = b.filters.map((f) => f.label);
    expect(labels).toContain('node');
    for (const l of labels) expect(KINDS[kind].filters).toContain(l);
    expect(labels.includes('client_nf')).toBe(KINDS[kind].filters.includes('client_nf'));
    expect(labels.includes('reason')).toBe(kind === 'drops');
    expect(labels.includes('src_nf')).toBe(kind === 'traffic');
    expect('quantiles' in b).toBe(kind === 'latency_percentiles');
    expect('metric' in b).toBe(kind === 'traffic');
  });

  test('several values of one filter become a list; group_by, vantage, metric and resolution are passed on', () => {
    expect(buildQueryBody({ refId: 'A', kind: 'request_rate', filters: { interface: ['N3', 'N9'] }, groupBy: ['outcome', 'code'], vantage: 'server' }, ctx)).toMatchObject({
      filters: [{ label: 'interface', op: '=', value: ['N3', 'N9'] }],
      group_by: ['outcome', 'code'],
      vantage: 'server',
    });
    expect(buildQueryBody({ refId: 'A', kind: 'traffic', metric: 'bytes' }, ctx).metric).toBe('bytes');
    expect(buildQueryBody({ refId: 'A', kind: 'latency_heatmap', bucketsPerOctave: 16 }, ctx).buckets_per_octave).toBe(16);
    // The heatmap and the topology take no group_by; a stored one is not sent.
    expect(buildQueryBody({ refId: 'A', kind: 'latency_heatmap', groupBy: ['procedure'] }, ctx).group_by).toBeUndefined();
    // vantage only for latency kinds; auto is the API's default and is left out.
    expect(buildQueryBody({ refId: 'A', kind: 'drops', vantage: 'client' }, ctx).vantage).toBeUndefined();
    expect(buildQueryBody({ refId: 'A', kind: 'topology', vantage: 'auto' }, ctx).vantage).toBeUndefined();
  });

  test('the data source default scope applies when the query has none; the step is at least 1 s', () => {
    const b = buildQueryBody({ refId: 'A' }, { ...ctx, defaultScope: 'cluster', intervalMs: 20 });
    expect(b.scope).toBe('cluster');
    expect(b.step).toBe(1000);
  });

  test('bad quantiles and unknown kinds are refused before anything is sent', () => {
    expect(() => buildQueryBody({ refId: 'A', quantiles: [99] }, ctx)).toThrow(/quantiles: 99 is not a number between 0 and 1/);
    expect(() => buildQueryBody({ refId: 'A', kind: 'p99' as never }, ctx)).toThrow(QueryError);
  });

  test('extra filters in the API syntax are appended', () => {
    const b = buildQueryBody({ refId: 'A', extraFilters: 'client_nf=~smf-.*; procedure!=Heartbeat,Echo' }, ctx);
    expect(b.filters).toEqual([
      { label: 'client_nf', op: '=~', value: 'smf-.*' },
      { label: 'procedure', op: '!=', value: ['Heartbeat', 'Echo'] },
    ]);
  });
});

describe('parseFilters', () => {
  test('all four operators, newlines and ";" as separators', () => {
    expect(parseFilters('a=1\nb!=2;c=~x.*\n d !~ y')).toEqual([
      { label: 'a', op: '=', value: '1' },
      { label: 'b', op: '!=', value: '2' },
      { label: 'c', op: '=~', value: 'x.*' },
      { label: 'd', op: '!~', value: 'y' },
    ]);
  });
  test.each([
    ['client_nf', /"client_nf" is not LABEL=VALUE/],
    ['client_nf=', /has no value/],
    ['procedure=~', /has no regular expression/],
    ['Client-NF=x', /"Client-NF" in "Client-NF=x" is not a label name/],
  ])('%s is refused with a message naming it', (text, re) => {
    expect(() => parseFilters(text)).toThrow(re);
  });
});

describe('variables in queries', () => {
  const srv = new FakeTemplateSrv([
    { name: 'nf', value: ['smf-1', 'upf-1'], options: ['smf-1', 'upf-1', 'upf-2'] },
    { name: 'node', value: '$__all', options: ['worker-1', 'worker-2'] },
    { name: 'iface', value: 'N4' },
    { name: 'anyNf', value: '$__all', allValue: '.*', options: ['smf-1'] },
  ]);
  const interp = templateInterpolator(srv as never);

  test('a multi-value variable becomes a value list; All puts no constraint; plain values pass', () => {
    const b = buildQueryBody({ refId: 'A', filters: { client_nf: ['$nf'], node: ['$node'], interface: ['${iface}', 'N9'] } }, ctx, interp);
    expect(b.filters).toEqual([
      { label: 'client_nf', op: '=', value: ['smf-1', 'upf-1'] },
      { label: 'interface', op: '=', value: ['N4', 'N9'] },
    ]);
  });

  test('an allValue of ".*" also means no constraint', () => {
    expect(buildQueryBody({ refId: 'A', filters: { server_nf: ['$anyNf'] } }, ctx, interp).filters).toEqual([]);
  });

  test('scoped variables (repeated panels) win over the dashboard value', () => {
    const scoped = templateInterpolator(srv as never, { nf: { text: 'upf-2', value: 'upf-2' } });
    expect(buildQueryBody({ refId: 'A', filters: { nf: ['$nf'] } }, ctx, scoped).filters).toEqual([{ label: 'nf', op: '=', value: 'upf-2' }]);
  });

  test('in extra filters: lists for = and escaped alternations for =~', () => {
    const b = buildQueryBody({ refId: 'A', extraFilters: 'server_nf=$nf; client_nf=~[[nf]]; node=$node' }, ctx, interp);
    expect(b.filters).toEqual([
      { label: 'server_nf', op: '=', value: ['smf-1', 'upf-1'] },
      { label: 'client_nf', op: '=~', value: '(smf-1|upf-1)' },
    ]);
  });

  test('group by may come from a variable', () => {
    const s = new FakeTemplateSrv([{ name: 'by', value: ['client_nf', 'procedure'] }]);
    expect(buildQueryBody({ refId: 'A', kind: 'request_rate', groupBy: ['$by'] }, ctx, templateInterpolator(s as never)).group_by).toEqual(['client_nf', 'procedure']);
  });
});

test('renderLegend fills {{label}} from the series labels', () => {
  expect(renderLegend('{{client_nf}} → {{ server_nf }} p{{quantile}}{{missing}}', { client_nf: 'smf-1', server_nf: 'upf-1', quantile: '0.99' })).toBe('smf-1 → upf-1 p0.99');
});
