/**
 * Cluster scope: one exporter asks every peer (config `peers`: URLs, or a
 * `dns+http://NAME:PORT` whose A/AAAA records are every exporter) for the raw
 * groups of a Plan, in parallel and with a timeout, and answers from its own
 * and theirs. Raw groups are bucket counts and counters, so merging is exact.
 * Peers answer POST /api/v1/raw, which never fans out further.
 */
import { errorMessage } from '@nfscope/api';
import { lookup } from 'dns/promises';
import type { HistoryStore, Series } from './history/store';
import type { NodeData, Plan } from './query/engine';
import { matcher, parseFilterText } from './query/params';
import type { Sparse } from './history/sparse';

/** This node's answer to a Plan, from its history. */
export function runPlan(store: HistoryStore, node: string, hosted: Iterable<string>, plan: Plan): NodeData {
  const filters = plan.filters.map(parseFilterText);
  const preds = Object.fromEntries(plan.families.map((f) => [f, matcher(filters, f)]));
  const keep = (s: Series): boolean => {
    if (!preds[s.family](s.labels)) return false;
    if (plan.vantage !== 'all' && (s.family === 'latency' || s.family === 'outcome') && s.labels.vantage !== plan.vantage && s.labels.vantage !== 'both') return false;
    if (plan.outcome && s.family === 'outcome' && s.labels.outcome !== plan.outcome) return false;
    return true;
  };
  return { node, hosted: [...hosted], overflow: store.stats().overflow.series, groups: store.collect(plan.families, keep, plan.groupBy, plan.grid) };
}

/** A NodeData as JSON: only the samples that have counts, as [k, indexes, counts]. */
export function encodeNodeData(d: NodeData): unknown {
  return {
    node: d.node,
    hosted: d.hosted,
    overflow: d.overflow,
    groups: d.groups.map((g) => ({
      family: g.family,
      labels: g.labels,
      ...(g.bucketsPerOctave !== undefined ? { buckets_per_octave: g.bucketsPerOctave } : {}),
      n: g.steps.length,
      steps: g.steps.flatMap((s, k) => (s ? [[k, s.i, s.v]] : [])),
    })),
  };
}

export function decodeNodeData(x: unknown): NodeData {
  const o = x as {
    node: string;
    hosted: string[];
    overflow: number;
    groups: { family: NodeData['groups'][0]['family']; labels: Record<string, string>; buckets_per_octave?: number; n: number; steps: [number, number[], number[]][] }[];
  };
  if (typeof o?.node !== 'string' || !Array.isArray(o.groups) || !Array.isArray(o.hosted)) throw new Error('not a raw answer (node, hosted, groups)');
  return {
    node: o.node,
    hosted: o.hosted,
    overflow: Number(o.overflow) || 0,
    groups: o.groups.map((g) => {
      const steps: (Sparse | null)[] = new Array(g.n).fill(null);
      for (const [k, i, v] of g.steps) steps[k] = { i, v };
      // A peer that does not say keeps the kernel's 16 buckets per octave.
      const bpo = g.buckets_per_octave ?? 16;
      if (![1, 2, 4, 8, 16].includes(bpo)) throw new Error(`buckets_per_octave ${JSON.stringify(g.buckets_per_octave)} of a ${g.family} group is not 1, 2, 4, 8 or 16`);
      return { family: g.family, labels: g.labels, bucketsPerOctave: bpo, steps };
    }),
  };
}

export interface PeerOptions {
  peers: string[];
  timeoutMs: number;
  /** sent as a bearer token to the peers (the cluster shares one) */
  token?: string;
}

/** The peers' base URLs: listed ones as they are, a dns+ entry as one URL per address. */
export async function resolvePeers(peers: string[]): Promise<{ urls: string[]; errors: { node: string; error: string }[] }> {
  const urls: string[] = [];
  const errors: { node: string; error: string }[] = [];
  await Promise.all(
    peers.map(async (p) => {
      const m = /^dns\+(https?):\/\/([^/:]+):(\d+)$/.exec(p);
      if (!m) return void urls.push(p);
      try {
        const addrs = await lookup(m[2], { all: true });
        for (const a of addrs) urls.push(`${m[1]}://${a.family === 6 ? `[${a.address}]` : a.address}:${m[3]}`);
      } catch (e) {
        errors.push({ node: p, error: `cannot resolve ${m[2]}: ${(e as Error).message}` });
      }
    }),
  );
  return { urls: [...new Set(urls)].sort(), errors };
}

export interface FanOut<T> {
  answers: { url: string; body: T }[];
  missing: { node: string; error: string }[];
}

/** Sends the same request to every peer in parallel; a peer that fails or is late is named in `missing`. */
export async function fanOut<T>(opts: PeerOptions, path: string, init: { method: 'GET' | 'POST'; body?: unknown }): Promise<FanOut<T>> {
  const { urls, errors } = await resolvePeers(opts.peers);
  const missing = [...errors];
  const answers: { url: string; body: T }[] = [];
  await Promise.all(
    urls.map(async (url) => {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      try {
        const r = await fetch(url + path, {
          method: init.method,
          headers,
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
        const text = await r.text();
        if (!r.ok) throw new Error(errorMessage(r.status, text));
        answers.push({ url, body: JSON.parse(text) as T });
      } catch (e) {
        const err = e as Error;
        const error = err.name === 'TimeoutError' || err.name === 'AbortError' ? `timeout after ${opts.timeoutMs} ms` : err.message;
        missing.push({ node: url, error });
      }
    }),
  );
  return { answers, missing };
}

/**
 * This node's data and every peer's, each node once: a peer that turns out to
 * be this node (a DNS name that resolves to every exporter) or a node already
 * answered is left out.
 */
export async function gatherCluster(local: NodeData, opts: PeerOptions, plan: Plan): Promise<{ nodes: NodeData[]; missing: { node: string; error: string }[] }> {
  const { answers, missing } = await fanOut<unknown>(opts, '/api/v1/raw', { method: 'POST', body: plan });
  const nodes = [local];
  for (const a of answers) {
    let d: NodeData;
    try {
      d = decodeNodeData(a.body);
    } catch (e) {
      missing.push({ node: a.url, error: (e as Error).message });
      continue;
    }
    if (!nodes.some((n) => n.node === d.node)) nodes.push(d);
  }
  return { nodes, missing };
}
