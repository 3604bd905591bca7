import { dateTime, type DataQueryRequest, type DataSourceInstanceSettings } from '@grafana/data';
import { of, throwError, NEVER, lastValueFrom } from 'rxjs';
import { FakeTemplateSrv } from '../test-host/template-srv';
import { ANSWERS } from './testdata/answers';
import type { NfscopeOptions, NfscopeQuery } from './types';

const fetchMock = jest.fn();
const templateSrv = new FakeTemplateSrv();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ fetch: fetchMock }),
  getTemplateSrv: () => templateSrv,
}));

// Imported after the mock so that the data source sees it.
import { DataSource, parseVariableQuery } from './datasource';

const PROXY = '/api/datasources/proxy/uid/nfscope';

function settings(jsonData: NfscopeOptions = {}): DataSourceInstanceSettings<NfscopeOptions> {
  return {
    id: 1,
    uid: 'nfscope',
    type: 'nfscope-ebpf-datasource',
    name: 'nfscope',
    url: PROXY,
    jsonData,
    access: 'proxy',
    readOnly: false,
    meta: {} as never,
  } as DataSourceInstanceSettings<NfscopeOptions>;
}

function request(targets: NfscopeQuery[]): DataQueryRequest<NfscopeQuery> {
  const to = dateTime(1796153600000);
  const from = dateTime(1796150000000);
  return {
    targets,
    range: { from, to, raw: { from: 'now-1h', to: 'now' } },
    intervalMs: 12000,
    interval: '12s',
    scopedVars: {},
    requestId: 'Q1',
    app: 'dashboard',
    timezone: 'utc',
    startTime: 0,
  } as DataQueryRequest<NfscopeQuery>;
}

const ok = (data: unknown) => of({ data, status: 200, ok: true });
const fail = (status: number, data: unknown) => throwError(() => ({ status, data, statusText: 'x' }));

beforeEach(() => {
  fetchMock.mockReset();
  templateSrv.variables = [];
});

test('query POSTs each visible target to /api/v1/query through the data proxy and returns its frames', async () => {
  fetchMock.mockImplementation(({ data }) => ok(ANSWERS[data.kind]));
  templateSrv.variables = [{ name: 'nf', value: ['smf-1', 'smf-2'] }];
  const ds = new DataSource(settings({ defaultScope: 'cluster' }));
  const res = await ds.query(
    request([
      { refId: 'A', kind: 'request_rate', filters: { client_nf: ['$nf'] } },
      { refId: 'B', kind: 'topology' },
      { refId: 'C', kind: 'drops', hide: true },
    ]),
  );
  expect(fetchMock).toHaveBeenCalledTimes(2);
  const [a, b] = fetchMock.mock.calls.map((c) => c[0]);
  expect(a).toMatchObject({ url: `${PROXY}/api/v1/query`, method: 'POST', requestId: 'Q1_A' });
  expect(a.data).toEqual({ kind: 'request_rate', from: 1796150000000, to: 1796153600000, step: 12000, scope: 'cluster', filters: [{ label: 'client_nf', op: '=', value: ['smf-1', 'smf-2'] }] });
  expect(b.data.kind).toBe('topology');
  expect(res.errors).toBeUndefined();
  expect(res.data.map((f) => `${f.refId}:${f.name}`)).toEqual(['A:smf-1 → upf-1 N4 SessionEstablishment', 'B:nodes', 'B:edges']);
});

test("one failing target reports the exporter's message and does not hide the others", async () => {
  fetchMock.mockImplementation(({ data }) => (data.kind === 'drops' ? fail(400, { error: 'filter: label "procedure" does not exist for drops' }) : ok(ANSWERS[data.kind])));
  const ds = new DataSource(settings());
  const res = await ds.query(
    request([
      { refId: 'A', kind: 'drops', extraFilters: 'procedure=Echo' },
      { refId: 'B', kind: 'traffic' },
    ]),
  );
  expect(res.errors).toEqual([{ refId: 'A', message: 'The exporter refused the query: filter: label "procedure" does not exist for drops' }]);
  expect(res.data).toHaveLength(1);
  expect(res.data[0].refId).toBe('B');
});

test('a query the plugin can tell is wrong is an error before anything is sent', async () => {
  const ds = new DataSource(settings());
  const res = await ds.query(request([{ refId: 'A', extraFilters: 'nonsense' }]));
  expect(fetchMock).not.toHaveBeenCalled();
  expect(res.errors?.[0].message).toMatch(/extra filters: "nonsense" is not LABEL=VALUE/);
});

test.each([
  [401, { error: 'bearer token missing or wrong' }, /rejected the credentials \(401: bearer token missing or wrong\)\. Check the bearer token/],
  [404, { error: 'no such endpoint: POST /api/v1/query' }, /does not exist at the exporter URL.*query API/],
  [502, { message: 'Bad Gateway' }, /Grafana could not get an answer from the exporter \(502: Bad Gateway\)/],
  [0, undefined, /Could not reach the exporter/],
])('HTTP %s becomes a message that says what to check', async (status, body, re) => {
  fetchMock.mockReturnValue(fail(status, body));
  const res = await new DataSource(settings()).query(request([{ refId: 'A' }]));
  expect(res.errors?.[0].message).toMatch(re);
});

test('the configured timeout ends a query that gets no answer', async () => {
  jest.useFakeTimers();
  try {
    fetchMock.mockReturnValue(NEVER);
    const p = new DataSource(settings({ timeout: 2 })).query(request([{ refId: 'A' }]));
    await jest.advanceTimersByTimeAsync(2001);
    expect((await p).errors?.[0].message).toMatch(/did not answer \/api\/v1\/query within 2 s/);
  } finally {
    jest.useRealTimers();
  }
});

describe('testDatasource (health check)', () => {
  const status = {
    node: 'worker-1',
    version: '0.1.0',
    kernel: '6.1.0-28-amd64',
    ready: true,
    programs: [
      { name: 'nfscope_tc', attach_points: ['nfv1 ingress', 'nfv1 egress'] },
      { name: 'nfscope_drops', attach_points: ['skb:kfree_skb'] },
    ],
    config: { nfs: 9, peers: [] },
  };

  test('success names the node, kernel, attached programs and NF count', async () => {
    fetchMock.mockReturnValue(ok(status));
    const r = await new DataSource(settings()).testDatasource();
    expect(fetchMock.mock.calls[0][0]).toMatchObject({ url: `${PROXY}/api/v1/status`, method: 'GET' });
    expect(r).toEqual({ status: 'success', message: 'nfscope exporter on worker-1 (v0.1.0), kernel 6.1.0-28-amd64: 2 of 2 eBPF programs attached, 9 NFs configured.' });
  });

  test('an exporter that attached nothing, or knows no NFs, is an error that says what to fix', async () => {
    fetchMock.mockReturnValue(ok({ ...status, ready: false, programs: status.programs.map((p) => ({ ...p, attach_points: [] })) }));
    expect((await new DataSource(settings()).testDatasource()).message).toMatch(/0 of 2 eBPF programs attached.*"interfaces" patterns/);
    fetchMock.mockReturnValue(ok({ ...status, config: { nfs: 0 } }));
    expect((await new DataSource(settings()).testDatasource()).message).toMatch(/No NFs are configured/);
  });

  test("the exporter's error, in words a person can act on", async () => {
    fetchMock.mockReturnValue(fail(401, { error: 'missing bearer token' }));
    expect(await new DataSource(settings()).testDatasource()).toEqual({
      status: 'error',
      message: expect.stringMatching(/rejected the credentials.*missing bearer token.*bearer token in the data source settings/),
    });
    fetchMock.mockReturnValue(ok('<html>Grafana</html>'));
    expect((await new DataSource(settings()).testDatasource()).message).toMatch(/not as an nfscope exporter does/);
    const noUrl = new DataSource({ ...settings(), url: undefined });
    expect((await noUrl.testDatasource()).message).toMatch(/No exporter URL/);
  });
});

test('label values: the range and scope are passed; virtual labels list the union of what they stand for', async () => {
  fetchMock.mockImplementation(({ url }) => {
    const name = /labels\/([^/]+)\/values/.exec(url)![1];
    if (name === 'client_nf') return ok({ name, values: ['gnb-1', 'smf-1'] });
    if (name === 'server_nf') return ok({ name, values: ['upf-1', 'upf-2'] });
    if (name === 'src_nf') return fail(400, { error: 'unknown label' });
    return ok({ name, values: ['upf-1'] });
  });
  const ds = new DataSource(settings());
  const range = request([]).range;
  expect(await ds.labelValues('nf', range)).toEqual(['gnb-1', 'smf-1', 'upf-1', 'upf-2']);
  expect(fetchMock.mock.calls[0][0]).toMatchObject({ url: `${PROXY}/api/v1/labels/client_nf/values`, params: { from: 1796150000000, to: 1796153600000, scope: 'node' } });
  fetchMock.mockReturnValue(fail(400, { error: 'label: "bogus" is not a label' }));
  await expect(ds.labelValues('bogus')).rejects.toThrow(/refused the query: label: "bogus" is not a label/);
});

describe('template variables', () => {
  const nfs = {
    nfs: [
      { name: 'gnb-1', type: 'gNB' },
      { name: 'smf-1', type: 'SMF' },
      { name: 'upf-1', type: 'UPF' },
      { name: 'upf-2', type: 'UPF' },
    ],
  };

  test('NFs (optionally of one type), NF types and label values', async () => {
    fetchMock.mockImplementation(({ url }) => (url.endsWith('/api/v1/nfs') ? ok(nfs) : ok({ name: 'x', values: ['Heartbeat', 'SessionEstablishment'] })));
    const ds = new DataSource(settings());
    expect(await ds.variableValues({ refId: 'A', kind: 'nfs' })).toEqual(['gnb-1', 'smf-1', 'upf-1', 'upf-2']);
    templateSrv.variables = [{ name: 'type', value: 'UPF' }];
    expect(await ds.variableValues({ refId: 'A', kind: 'nfs', nfType: '$type' })).toEqual(['upf-1', 'upf-2']);
    expect(await ds.variableValues({ refId: 'A', kind: 'nf_types' })).toEqual(['SMF', 'UPF', 'gNB']);
    expect(await ds.variableValues({ refId: 'A', kind: 'procedures' })).toEqual(['Heartbeat', 'SessionEstablishment']);
    expect(fetchMock.mock.calls.at(-1)![0].url).toBe(`${PROXY}/api/v1/labels/procedure/values`);
    for (const [kind, label] of [
      ['interfaces', 'interface'],
      ['reasons', 'reason'],
      ['nodes', 'node'],
    ] as const) {
      await ds.variableValues({ refId: 'A', kind });
      expect(fetchMock.mock.calls.at(-1)![0].url).toBe(`${PROXY}/api/v1/labels/${label}/values`);
    }
  });

  test('the variable support answers a frame of texts; metricFindQuery takes text queries too', async () => {
    fetchMock.mockReturnValue(ok(nfs));
    const ds = new DataSource(settings());
    const res = await lastValueFrom((ds.variables as any).query({ ...request([]), targets: [{ refId: 'A', kind: 'nfs', nfType: 'UPF' }] }));
    expect((res as any).data[0].fields[0]).toMatchObject({ name: 'text', values: ['upf-1', 'upf-2'] });
    expect(await ds.metricFindQuery('nfs(SMF)')).toEqual([{ text: 'smf-1', value: 'smf-1' }]);
    expect(parseVariableQuery('label_values(procedure)')).toEqual({ refId: 'A', kind: 'label_values', label: 'procedure' });
    expect(() => parseVariableQuery('metrics()')).toThrow(/use one of nfs, nf_types/);
  });

  test('interpolateVariablesInQueries turns variables into concrete filters for Explore', () => {
    templateSrv.variables = [
      { name: 'nf', value: ['smf-1', 'smf-2'] },
      { name: 'node', value: '$__all', options: ['worker-1'] },
    ];
    const ds = new DataSource(settings());
    const [q] = ds.interpolateVariablesInQueries([{ refId: 'A', kind: 'request_rate', filters: { client_nf: ['$nf'], node: ['$node'] }, extraFilters: 'server_nf=~$nf', groupBy: ['procedure'] }], {});
    expect(q.filters).toEqual({ client_nf: ['smf-1', 'smf-2'] });
    expect(q.extraFilters).toBe('server_nf=~(smf-1|smf-2)');
    expect(q.datasource).toEqual({ type: 'nfscope-ebpf-datasource', uid: 'nfscope' });
  });
});
