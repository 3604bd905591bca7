/**
 * The exporter's HTTP API: health, Prometheus /metrics and the JSON API
 * (contract in docs/query-api.md and README.md, "API and metrics").
 */
import type { NfsAnswer, StatusAnswer } from '@nfscope/api';
import * as os from 'os';
import express, { type Request, type Response } from 'express';
import type { Collector } from './collector';
import { VERSION } from './collector';
import type { Config } from './config';
import type { Datapath } from './datapath';
import { HttpError } from './http-error';
import { checkToken } from './auth';
import { registerQueryRoutes, storeSummary, type QueryContext } from './query/api';

export const MAX_WINDOW_SECONDS = 3600;

/** Parses a window such as "60s", "5m", "1h" or "90" (seconds). */
export function parseWindow(text: unknown, max = MAX_WINDOW_SECONDS): number {
  if (text === undefined) return 60;
  const m = typeof text === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim()) : null;
  if (!m) throw new HttpError(400, `window: ${JSON.stringify(text)} is not a duration (examples: 30s, 5m, 1h)`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? 's']!;
  const s = Number(m[1]) * unit;
  if (s < 1 || s > max) throw new HttpError(400, `window: ${JSON.stringify(text)} is outside 1s..${max}s`);
  return s;
}

export { HttpError };

export interface ApiContext {
  config: Config;
  datapath: Datapath;
  collector: Collector;
  /** the history and peers the query and summary API answer from */
  query: QueryContext;
  /** when set, /metrics and /api/* need `Authorization: Bearer <token>` */
  token?: string;
}

/** The exporter's own memory (bytes): resident set, V8 heap committed and in use, and outside the heap. */
function memoryStatus(): Record<string, number> {
  const m = process.memoryUsage();
  return { rss_bytes: m.rss, heap_total_bytes: m.heapTotal, heap_used_bytes: m.heapUsed, external_bytes: m.external, array_buffers_bytes: m.arrayBuffers };
}

export function createApp(ctx: ApiContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  if (ctx.token) {
    const token = ctx.token;
    app.use((req, res, next) => {
      if (req.path === '/healthz' || req.path === '/readyz') return next();
      if (checkToken(req.headers.authorization, token)) return next();
      res.status(401).set('WWW-Authenticate', 'Bearer realm="nfscope"').json({ error: 'authorization: a valid bearer token is required' });
    });
  }

  const json = (fn: (req: Request) => unknown) => (req: Request, res: Response) => {
    try {
      res.json(fn(req));
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      res.status(status).json({ error: (e as Error).message });
    }
  };

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });

  app.get('/readyz', (_req, res) => {
    const ready = ctx.datapath.ready && ctx.collector.lastReadAt > 0;
    res
      .status(ready ? 200 : 503)
      .type('text/plain')
      .send(ready ? 'ready\n' : 'not ready: programs not attached or maps not read yet\n');
  });

  app.get('/metrics', async (_req, res) => {
    try {
      res.type(ctx.collector.registry.contentType).send(await ctx.collector.registry.metrics());
    } catch (e) {
      res
        .status(500)
        .type('text/plain')
        .send(`${(e as Error).message}\n`);
    }
  });

  app.get(
    '/api/v1/status',
    json((): StatusAnswer => ({
      node: ctx.config.node,
      version: VERSION,
      kernel: os.release(),
      ready: ctx.datapath.ready,
      last_read: ctx.collector.lastReadAt ? new Date(ctx.collector.lastReadAt * 1000).toISOString() : null,
      programs: ctx.datapath.programs().map((p) => ({
        name: p.name,
        attach_points: p.attachPoints,
        run_count: p.runCount,
        run_time_ns: p.runTimeNs,
      })),
      // Run counts and times are counted only while statistics are on (config program_stats).
      program_stats: ctx.datapath.programStats(),
      interfaces: ctx.datapath.attachedInterfaces(),
      maps: ctx.datapath.maps(),
      memory: memoryStatus(),
      config: {
        interfaces: ctx.config.interfaces,
        nfs: ctx.config.nfs.length,
        protocols: ctx.config.protocols,
        peers: ctx.config.peers,
      },
      // Series, overflow, bytes held and the retention each tier holds now.
      history: ctx.query.store.stats(),
    })),
  );

  app.get(
    '/api/v1/nfs',
    json((): NfsAnswer => ({
      nfs: ctx.config.nfs.map((nf) => ({ name: nf.name, type: nf.type, addresses: nf.addresses, node: nf.node ?? ctx.config.node })),
    })),
  );

  // The summary, of this node or the cluster, from the history.
  app.get('/api/v1/summary', async (req, res) => {
    try {
      const window = parseWindow(req.query.window);
      const scope = req.query.scope ?? 'node';
      if (scope !== 'node' && scope !== 'cluster') throw new HttpError(400, `scope: ${JSON.stringify(scope)} is not "node" or "cluster"`);
      res.json(await storeSummary(ctx.query, window, scope));
    } catch (e) {
      res.status(e instanceof HttpError ? e.status : 500).json({ error: (e as Error).message });
    }
  });

  registerQueryRoutes(app, ctx.query);

  app.use((req, res) => {
    res.status(404).json({ error: `no such endpoint: ${req.method} ${req.path}` });
  });
  return app;
}
