/**
 * The routes of the query API (docs/query-api.md): /api/v1/query,
 * /api/v1/labels, /api/v1/labels/{name}/values, the peers' /api/v1/raw, and
 * the cluster-wide /api/v1/summary.
 */
import express, { type Express, type Request, type Response } from 'express';
import type { LabelsAnswer, LabelValuesAnswer, QueryAnswer, SummaryAnswer, SummaryDropRow, SummaryLatencyRow } from '@nfscope/api';
import { maxBound, quantile, total } from '../histogram';
import { bucketCount, FAMILIES, FAMILY_LABELS, LAT_RETRANS, LAT_SUM, LAT_TIMEOUTS, type HistoryStore } from '../history/store';
import { at } from '../history/sparse';
import { HttpError } from '../http-error';
import { encodeNodeData, fanOut, gatherCluster, runPlan, type PeerOptions } from '../cluster';
import { boundsAt, combine, frames, latencyBpo, planFor, wholeRange, type NodeData, type Plan } from './engine';
import { ALL_LABELS, MAX_POINTS, parseFilterText, parseQuery, parseTime, resolveStep, type Query } from './params';

export interface QueryContext {
  store: HistoryStore;
  node: string;
  hosted: Set<string>;
  peers: PeerOptions;
  now?: () => number;
}

interface Answered {
  nodes: NodeData[];
  missing: { node: string; error: string }[];
}

async function gather(ctx: QueryContext, plan: Plan, scope: 'node' | 'cluster'): Promise<Answered> {
  const local = runPlan(ctx.store, ctx.node, ctx.hosted, plan);
  if (scope === 'node') return { nodes: [local], missing: [] };
  return gatherCluster(local, ctx.peers, plan);
}

/** Answers a parsed query. */
export async function runQuery(ctx: QueryContext, q: Query): Promise<QueryAnswer> {
  const tier = ctx.store.tiers[ctx.store.tierFor(q.fromMs)];
  const { stepMs, n } = wholeRange(q.kind) ? { stepMs: q.toMs - q.fromMs, n: 1 } : resolveStep(q, tier.resolutionS * 1000);
  const grid = { fromMs: q.fromMs, stepMs, n };
  const plan = planFor(q, grid);
  const { nodes, missing } = await gather(ctx, plan, q.scope);
  return {
    kind: q.kind,
    scope: q.scope,
    from: q.fromMs,
    to: q.toMs,
    step_ms: stepMs,
    nodes: { answered: nodes.map((d) => d.node), missing },
    overflow: { series: nodes.reduce((a, d) => a + d.overflow, 0) },
    frames: frames(q, grid, combine(q, plan, nodes)),
  };
}

/** Values of a label among the series with data in [from, to]. */
export function labelValues(store: HistoryStore, name: string, fromMs: number, toMs: number): string[] {
  const out = new Set<string>();
  for (const s of store.allSeries()) {
    if (s.lastT * 1000 < fromMs || s.firstT * 1000 > toMs) continue;
    const l = s.labels;
    const names =
      name === 'nf'
        ? s.family === 'drop'
          ? ['nf']
          : s.family === 'traffic'
            ? ['src_nf', 'dst_nf']
            : ['client_nf', 'server_nf']
        : name === 'nf_type'
          ? s.family === 'drop'
            ? ['nf_type']
            : s.family === 'traffic'
              ? []
              : ['client_type', 'server_type']
          : [name];
    for (const n of names) if (l[n] !== undefined) out.add(l[n]);
  }
  return [...out].sort();
}

const json =
  (fn: (req: Request) => unknown | Promise<unknown>) =>
  async (req: Request, res: Response): Promise<void> => {
    try {
      res.json(await fn(req));
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      res.status(status).json({ error: (e as Error).message });
    }
  };

function scopeOf(v: unknown): 'node' | 'cluster' {
  if (v === undefined || v === 'node') return 'node';
  if (v === 'cluster') return 'cluster';
  throw new HttpError(400, `scope: ${JSON.stringify(v)} is not "node" or "cluster"`);
}

/** Checks a Plan sent by a peer; the sender built it, so a bad one is a bug or a version mismatch. */
function checkPlan(b: unknown): Plan {
  const p = b as Plan;
  const bad = (what: string) => new HttpError(400, `raw: ${what}`);
  if (typeof p !== 'object' || p === null) throw bad('the body is not a plan');
  if (!Array.isArray(p.families) || p.families.length === 0 || !p.families.every((f) => FAMILIES.includes(f))) throw bad(`families ${JSON.stringify(p.families)}`);
  if (!Array.isArray(p.filters) || !p.filters.every((f) => typeof f === 'string')) throw bad('filters must be a list of strings');
  if (!Array.isArray(p.groupBy) || !p.groupBy.every((g) => typeof g === 'string')) throw bad('groupBy must be a list of strings');
  const g = p.grid;
  if (typeof g !== 'object' || ![g.fromMs, g.stepMs, g.n].every((x) => typeof x === 'number' && Number.isFinite(x)) || g.n < 1 || g.n > MAX_POINTS || g.stepMs < 1000) {
    throw bad(`grid ${JSON.stringify(g)}`);
  }
  if (!['all', 'client', 'server'].includes(p.vantage)) throw bad(`vantage ${JSON.stringify(p.vantage)}`);
  p.filters.forEach(parseFilterText);
  return p;
}

export function registerQueryRoutes(app: Express, ctx: QueryContext): void {
  const now = ctx.now ?? Date.now;
  const body = express.json({ limit: '256kb' });

  app.get(
    '/api/v1/query',
    json((req) => runQuery(ctx, parseQuery(req.query as Record<string, unknown>, { json: false, nowMs: now(), maxRangeMs: ctx.store.maxRetentionS * 1000 }))),
  );
  app.post(
    '/api/v1/query',
    body,
    json((req) => {
      if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) throw new HttpError(400, 'body: expected a JSON object with the query parameters');
      return runQuery(ctx, parseQuery(req.body as Record<string, unknown>, { json: true, nowMs: now(), maxRangeMs: ctx.store.maxRetentionS * 1000 }));
    }),
  );

  app.get(
    '/api/v1/labels',
    json((): LabelsAnswer => ({ labels: ALL_LABELS })),
  );

  app.get(
    '/api/v1/labels/:name/values',
    json(async (req): Promise<LabelValuesAnswer> => {
      const name = String(req.params.name);
      if (!ALL_LABELS.includes(name)) throw new HttpError(400, `name: ${JSON.stringify(name)} is not a label (labels: ${ALL_LABELS.join(', ')})`);
      const q = req.query as Record<string, unknown>;
      const fromMs = parseTime('from', q.from ?? 'now-1h', now());
      const toMs = parseTime('to', q.to ?? 'now', now());
      const scope = scopeOf(q.scope);
      const values = new Set(labelValues(ctx.store, name, fromMs, toMs));
      const nodes = { answered: [ctx.node], missing: [] as { node: string; error: string }[] };
      if (scope === 'cluster') {
        const r = await fanOut<{ node?: string; values: string[] }>(ctx.peers, `/api/v1/labels/${encodeURIComponent(name)}/values?from=${fromMs}&to=${toMs}`, { method: 'GET' });
        for (const a of r.answers) for (const v of a.body.values ?? []) values.add(v);
        for (const a of r.answers) if (!nodes.answered.includes(a.body.node ?? a.url)) nodes.answered.push(a.body.node ?? a.url);
        nodes.missing = r.missing;
      }
      return { name, node: ctx.node, values: [...values].sort(), ...(scope === 'cluster' ? { nodes } : {}) };
    }),
  );

  app.post(
    '/api/v1/raw',
    body,
    json((req) => encodeNodeData(runPlan(ctx.store, ctx.node, ctx.hosted, checkPlan(req.body)))),
  );
}

/**
 * /api/v1/summary from the history: this node's (the same answer the
 * collector's own window gave), or the cluster's, each transaction once.
 */
export async function storeSummary(ctx: QueryContext, windowS: number, scope: 'node' | 'cluster'): Promise<SummaryAnswer> {
  const nowMs = (ctx.now ?? Date.now)();
  const grid = { fromMs: nowMs - windowS * 1000, stepMs: windowS * 1000, n: 1 };
  const latLabels = ['client_nf', 'client_type', 'server_nf', 'server_type', 'interface', 'procedure'];
  const base: Omit<Query, 'kind' | 'groupBy'> = {
    fromMs: grid.fromMs,
    toMs: nowMs,
    filters: [],
    quantiles: [],
    metric: 'packets',
    vantage: 'auto',
    scope,
    bucketsPerOctave: 16,
  };
  const latQ: Query = { ...base, kind: 'nf_pairs', groupBy: latLabels };
  const dropQ: Query = { ...base, kind: 'drops', groupBy: FAMILY_LABELS.drop.filter((l) => l !== 'node') };
  const latPlan = planFor(latQ, grid);
  const dropPlan = planFor(dropQ, grid);
  const [lat, drop] = await Promise.all([gather(ctx, latPlan, scope), gather(ctx, dropPlan, scope)]);
  const ms = (ns: number) => (Number.isFinite(ns) ? Math.round(ns / 1e3) / 1e3 : null);
  const rows = new Map<string, SummaryLatencyRow>();
  const latGroups = combine(latQ, latPlan, lat.nodes);
  // The summary's window is read from one tier: its histogram resolution is the groups'.
  const bpo = latencyBpo(latGroups);
  const bounds = boundsAt(bpo);
  const hist = new Float64Array(bucketCount(bpo));
  const rejected = new Map(latGroups.filter((g) => g.family === 'outcome').map((g) => [JSON.stringify(latLabels.map((l) => g.labels[l])), at(g.steps[0], 0)]));
  for (const g of latGroups) {
    if (g.family !== 'latency') continue;
    const s = g.steps[0];
    hist.fill(0);
    if (s) s.i.forEach((i, k) => i < hist.length && (hist[i] = s.v[k]));
    const count = total(hist);
    const l = g.labels;
    rows.set(JSON.stringify(latLabels.map((n) => l[n])), {
      client: l.client_nf,
      client_type: l.client_type,
      server: l.server_nf,
      server_type: l.server_type,
      interface: l.interface,
      procedure: l.procedure,
      count,
      p50_ms: ms(quantile(hist, 0.5, bounds)),
      p90_ms: ms(quantile(hist, 0.9, bounds)),
      p99_ms: ms(quantile(hist, 0.99, bounds)),
      max_ms: ms(maxBound(hist, bounds)),
      mean_ms: count > 0 ? ms(at(s, LAT_SUM) / count) : null,
      rejected: rejected.get(JSON.stringify(latLabels.map((n) => l[n]))) ?? 0,
      timeouts: at(s, LAT_TIMEOUTS),
      retransmissions: at(s, LAT_RETRANS),
    });
  }
  const latency = [...rows.values()].sort(
    (a, b) =>
      String(a.interface).localeCompare(String(b.interface)) ||
      String(a.client).localeCompare(String(b.client)) ||
      String(a.server).localeCompare(String(b.server)) ||
      String(a.procedure).localeCompare(String(b.procedure)),
  );
  const drops = combine(dropQ, dropPlan, drop.nodes)
    .map((g): SummaryDropRow => ({ ...(g.labels as unknown as Omit<SummaryDropRow, 'count'>), count: at(g.steps[0], 0) }))
    .filter((d) => d.count > 0)
    .sort((a, b) => b.count - a.count || a.nf.localeCompare(b.nf) || a.reason.localeCompare(b.reason));
  if (scope === 'node') return { node: ctx.node, window_s: windowS, latency, drops };
  const missing = [...lat.missing, ...drop.missing.filter((m) => !lat.missing.some((x) => x.node === m.node))];
  return {
    node: ctx.node,
    scope: 'cluster',
    window_s: windowS,
    nodes: { answered: lat.nodes.map((d) => d.node), missing },
    latency,
    drops,
  };
}
