import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import type { Server } from 'http';
import { checkToken } from './auth';
import type { Collector } from './collector';
import type { Config } from './config';
import type { Datapath } from './datapath';
import { createApp } from './server';
import { HistoryStore } from './history/store';
import type { QueryContext } from './query/api';

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

/** An empty history, no peers. */
const emptyQuery = (): QueryContext => ({ store: new HistoryStore(), node: 'n1', hosted: new Set(), peers: { peers: [], timeoutMs: 1000 } });

describe('a token on the API and /metrics', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const config = { node: 'n1', interfaces: [], nfs: [], protocols: {}, peers: [] } as unknown as Config;
    const collector = { registry: { contentType: 'text/plain', metrics: async () => 'm 1\n' }, lastReadAt: 1 };
    const datapath = { ready: true };
    server = createApp({ config, datapath: datapath as unknown as Datapath, collector: collector as unknown as Collector, query: emptyQuery(), token: TOKEN }).listen(0, '127.0.0.1');
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

describe('TLS', () => {
  // openssl makes the test certificate (scripts/setup.sh installs it); with CI=true its absence fails the test.
  const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
  (hasOpenssl || process.env.CI === 'true' ? test : test.skip)('the app behind https.createServer with a PEM certificate and key, as main.ts serves it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-tls-'));
    try {
      const cert = path.join(dir, 'c.pem');
      const key = path.join(dir, 'k.pem');
      const r = spawnSync('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ]);
      expect(r.status).toBe(0);
      const config = { node: 'n1', interfaces: [], nfs: [], protocols: {}, peers: [] } as unknown as Config;
      const collector = { registry: { contentType: 'text/plain', metrics: async () => 'm 1\n' }, lastReadAt: 1 };
      const app = createApp({ config, datapath: { ready: true } as unknown as Datapath, collector: collector as unknown as Collector, query: emptyQuery(), token: TOKEN });
      const srv = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, app).listen(0, '127.0.0.1');
      await new Promise<void>((res) => srv.once('listening', res));
      const port = (srv.address() as AddressInfo).port;
      const get = (headers: Record<string, string>) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          https
            .get({ host: '127.0.0.1', port, path: '/metrics', ca: fs.readFileSync(cert), headers }, (res) => {
              let body = '';
              res.on('data', (d) => (body += d));
              res.on('end', () => resolve({ status: res.statusCode!, body }));
            })
            .on('error', reject);
        });
      expect(await get({})).toMatchObject({ status: 401 });
      expect(await get({ authorization: `Bearer ${TOKEN}` })).toEqual({ status: 200, body: 'm 1\n' });
      await new Promise((res) => srv.close(res));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
