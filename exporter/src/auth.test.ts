import type { AddressInfo } from 'net';
import type { Server } from 'http';
import { checkToken } from './auth';
import type { Collector } from './collector';
import type { Config } from './config';
import type { Datapath } from './datapath';
import { createApp } from './server';

const TOKEN = 'abcdefghijklmnop0123456789';

test('checkToken', () => {
  expect(checkToken(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
  expect(checkToken(`bearer  ${TOKEN}`, TOKEN)).toBe(true);
  expect(checkToken(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
  expect(checkToken(`Bearer ${TOKEN.slice(1)}`, TOKEN)).toBe(false);
  expect(checkToken(TOKEN, TOKEN)).toBe(false);
  expect(checkToken(undefined, TOKEN)).toBe(false);
  expect(checkToken('Bearer ', TOKEN)).toBe(false);
});

describe('a token on the API and /metrics', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const config = { node: 'n1', interfaces: [], nfs: [], protocols: {}, peers: [] } as unknown as Config;
    const collector = { registry: { contentType: 'text/plain', metrics: async () => 'm 1\n' }, lastReadAt: 1, latencySummary: () => [], dropSummary: () => [] };
    const datapath = { ready: true };
    server = createApp({ config, datapath: datapath as unknown as Datapath, collector: collector as unknown as Collector, token: TOKEN }).listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  test.each(['/metrics', '/api/v1/summary', '/api/v1/nfs', '/api/v1/query?kind=drops'])('%s needs it', async (p) => {
    const no = await fetch(url + p);
    expect(no.status).toBe(401);
    expect(((await no.json()) as { error: string }).error).toMatch(/^authorization: /);
    const wrong = await fetch(url + p, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
  });

  test('with it, the answer', async () => {
    const r = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('m 1\n');
  });

  test('probes stay open', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });
});
