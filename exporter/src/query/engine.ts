/**
 * The query engine: which raw series a kind needs (a Plan), how the answers
 * of several nodes combine (bucket counts and counters added, vantage
 * applied), and the frames each kind answers with (docs/query-api.md).
 * Raw bucket counts are kept until the last step, where quantiles are computed.
 */
import { HIST_SLOTS } from '../kernel/layout';
import { quantile, slotBounds, total } from '../histogram';
import type { Family, Grid, Group, Labels } from '../history/store';
import { bucketCount, bucketOfSlot, coarsenBucket, FINE_BPO, LAT_RETRANS, LAT_SUM, LAT_TIMEOUTS, TRAFFIC_BYTES, TRAFFIC_PACKETS } from '../history/store';
import { addSparse, at, sumRange, type Sparse } from '../history/sparse';
import type { Query } from './params';
import type { Field, Frame } from '@nfscope/api';

/** What one node is asked for: its series summed into groups on a grid. */
export interface Plan {
  families: Family[];
  /** filter texts (params.ts parseFilterText) */
  filters: string[];
  groupBy: string[];
  grid: Grid;
  /** series of this vantage only; `all` keeps every one */
  vantage: 'client' | 'server' | 'all';
  /** outcome series of this outcome only */
  outcome?: string;
}

/** One node's answer to a Plan. */
export interface NodeData {
  node: string;
  /** NFs this node hosts (its configuration) */
  hosted: string[];
  overflow: number;
  groups: Group[];
}

/** A data frame of an answer, as the API contract (@nfscope/api) has it. */
export type { Frame, Field };

/** Whether a kind answers over the whole range (one sample) rather than as time series. */
export function wholeRange(kind: Query['kind']): boolean {
  return kind === 'latency_distribution' || kind === 'topology' || kind === 'nf_pairs';
}

/** request_rate and timeouts split by outcome read the outcome series; otherwise the latency series answer. */
function usesOutcomes(q: Query): boolean {
  return (q.kind === 'request_rate' || q.kind === 'timeouts') && [...q.groupBy, ...q.filters.map((f) => f.label)].some((l) => l === 'outcome' || l === 'code');
}

export function planFor(q: Query, grid: Grid): Plan {
  const filters = q.filters.map((f) => f.source);
  let families: Family[];
  let outcome: string | undefined;
  switch (q.kind) {
    case 'drops':
      families = ['drop'];
      break;
    case 'traffic':
      families = ['traffic'];
      break;
    case 'request_rate':
    case 'timeouts':
      families = usesOutcomes(q) ? ['outcome'] : ['latency'];
      if (q.kind === 'timeouts') outcome = 'timeout';
      break;
    case 'error_ratio':
    case 'nf_pairs':
    case 'topology':
      families = ['latency', 'outcome'];
      outcome = 'rejected';
      break;
    default:
      families = ['latency'];
  }
  const transactions = families[0] === 'latency' || families[0] === 'outcome';
  // Cluster-wide, "auto" drops the server's view of a transaction whose client
  // answered too: that needs each group's vantage and client NF until the end.
  // Traffic, cluster-wide, counts from one node per NF pair (see combine): that needs each group's NF pair.
  const extra = transactions && q.scope === 'cluster' && q.vantage === 'auto' ? ['vantage', 'client_nf'] : families[0] === 'traffic' && q.scope === 'cluster' ? ['src_nf', 'dst_nf'] : [];
  return {
    families,
    filters,
    groupBy: [...new Set([...q.groupBy, ...extra])],
    grid,
    vantage: !transactions || q.vantage === 'auto' ? 'all' : q.vantage,
    outcome,
  };
}

const groupKey = (family: Family, labels: Labels, by: readonly string[]) => family + JSON.stringify(by.map((l) => labels[l] ?? ''));

function sumInto(into: Group, g: Group): void {
  for (let k = 0; k < into.steps.length; k++) {
    const b = g.steps[k];
    if (!b) continue;
    const a = into.steps[k];
    into.steps[k] = a ? addSparse(a, b) : b;
  }
}

/** Latency buckets per octave of a group's histogram indexes. */
export const bpoOf = (g: Pick<Group, 'bucketsPerOctave'>): number => g.bucketsPerOctave ?? FINE_BPO;

/** A latency vector's histogram buckets summed into a coarser toBpo (scalars kept). */
export function coarsen(s: Sparse, bpo: number, toBpo: number): Sparse {
  if (bpo === toBpo) return s;
  const m = new Map<number, number>();
  const n = bucketCount(bpo);
  for (let k = 0; k < s.i.length; k++) {
    const j = s.i[k] < n ? coarsenBucket(s.i[k], bpo, toBpo) : s.i[k];
    m.set(j, (m.get(j) ?? 0) + s.v[k]);
  }
  const i = [...m.keys()].sort((a, b) => a - b);
  return { i, v: i.map((j) => m.get(j)!) };
}

/**
 * Whether node `n`'s count of the packets from src_nf to dst_nf is the one a
 * cluster-wide answer takes. Packets between NFs on two attached nodes are
 * counted by both: the sender's node counts them (what was sent, as a
 * transaction is taken from the client's view), or, when the sender is
 * hosted on no node that answered, the receiver's; traffic neither end of
 * which is hosted on an answering node is taken from every node that saw it.
 */
export function countsTraffic(n: Pick<NodeData, 'hosted'>, labels: Labels, hosted: ReadonlySet<string>): boolean {
  const src = labels.src_nf ?? '';
  const dst = labels.dst_nf ?? '';
  if (hosted.has(src)) return n.hosted.includes(src);
  if (hosted.has(dst)) return n.hosted.includes(dst);
  return true;
}

/**
 * Merges the nodes' answers: groups with the same labels add up; with
 * vantage auto, a server-side observation counts only when its client NF is
 * hosted on no node that answered (the client's view of it is missing), and
 * traffic counts from one node per NF pair (countsTraffic). Latency groups
 * come at the coarsest resolution among them (nodes may keep their tiers at
 * different buckets per octave).
 */
export function combine(q: Query, plan: Plan, nodes: NodeData[]): Group[] {
  const hosted = new Set(nodes.flatMap((n) => n.hosted));
  const dropServerView = q.scope === 'cluster' && q.vantage === 'auto';
  const onceTraffic = q.scope === 'cluster';
  const out = new Map<string, Group>();
  let bpo = FINE_BPO;
  for (const n of nodes) for (const g of n.groups) if (g.family === 'latency') bpo = Math.min(bpo, bpoOf(g));
  for (const n of nodes) {
    for (const g0 of n.groups) {
      if (dropServerView && g0.labels.vantage === 'server' && hosted.has(g0.labels.client_nf)) continue;
      if (onceTraffic && g0.family === 'traffic' && !countsTraffic(n, g0.labels, hosted)) continue;
      const g = g0.family === 'latency' && bpoOf(g0) !== bpo ? { ...g0, steps: g0.steps.map((s) => s && coarsen(s, bpoOf(g0), bpo)) } : g0;
      const labels = Object.fromEntries(q.groupBy.map((l) => [l, g.labels[l] ?? '']));
      const key = groupKey(g.family, labels, q.groupBy);
      const e = out.get(key);
      if (e) sumInto(e, g);
      else out.set(key, { family: g.family, labels, ...(g.family === 'latency' ? { bucketsPerOctave: bpo } : {}), steps: [...g.steps] });
    }
  }
  return [...out.values()].sort((a, b) => compareLabels(a.labels, b.labels, q.groupBy));
}

function compareLabels(a: Labels, b: Labels, by: readonly string[]): number {
  for (const l of by) {
    const c = (a[l] ?? '').localeCompare(b[l] ?? '');
    if (c !== 0) return c;
  }
  return 0;
}

// ---------------------------------------------------------------------------
// Histograms

const scratch = new Map<number, Float64Array>();

/** The bounds (ns) of the buckets at bpo per octave. */
export const boundsAt = (bpo: number) => (b: number) => coarseBounds(b, bpo);

/**
 * The histogram part of a latency vector as dense counts at its own
 * resolution (bpo buckets per octave); fn sees it, then it is zeroed again.
 */
export function withCounts<T>(s: Sparse, bpo: number, fn: (counts: Float64Array) => T): T {
  const n = bucketCount(bpo);
  let row = scratch.get(n);
  if (!row) scratch.set(n, (row = new Float64Array(n)));
  for (let k = 0; k < s.i.length; k++) if (s.i[k] < n) row[s.i[k]] = s.v[k];
  try {
    return fn(row);
  } finally {
    for (let k = 0; k < s.i.length; k++) if (s.i[k] < n) row[s.i[k]] = 0;
  }
}

/**
 * Quantiles (seconds) of the latency histogram in a sparse vector at bpo
 * buckets per octave; null when it has no completed request. In a coarse
 * bucket the values are taken as spread evenly, as in a kernel slot.
 */
function quantilesOf(s: Sparse | null, qs: number[], bpo: number): (number | null)[] {
  if (!s) return qs.map(() => null);
  const bounds = boundsAt(bpo);
  return withCounts(s, bpo, (c) => (total(c) > 0 ? qs.map((q) => round(quantile(c, q, bounds) / 1e9)) : qs.map(() => null)));
}

const completed = (s: Sparse | null) => sumRange(s, 0, HIST_SLOTS);
const round = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(9)) : x);

/** Coarse buckets: bucket 0 is the kernel's underflow slot, then bpo per octave, then the overflow slot. */
export function coarseBucketOf(slot: number, bpo: number): number {
  return bucketOfSlot(slot, bpo);
}

/** [lower, upper) of a coarse bucket, in ns. */
export function coarseBounds(bucket: number, bpo: number): [number, number] {
  const w = 16 / bpo;
  const last = 1 + (HIST_SLOTS - 2) / w;
  if (bucket <= 0) return slotBounds(0);
  if (bucket >= last) return slotBounds(HIST_SLOTS - 1);
  return [slotBounds(1 + (bucket - 1) * w)[0], slotBounds(bucket * w)[1]];
}

const leText = (ns: number) => (Number.isFinite(ns) ? String(Number((ns / 1e9).toPrecision(6))) : '+Inf');

/** The resolution of combined latency groups (combine() brings them to one). */
export function latencyBpo(groups: Group[]): number {
  let bpo = FINE_BPO;
  for (const g of groups) if (g.family === 'latency') bpo = Math.min(bpo, bpoOf(g));
  return bpo;
}

/**
 * The buckets per octave a histogram answer has: those asked for, or fewer
 * when the history tier the range is read from keeps fewer.
 */
export function answerBpo(q: Query, groups: Group[]): number {
  return Math.min(q.bucketsPerOctave, latencyBpo(groups));
}

/** Counts per coarse bucket (at bpo per octave) of a latency vector stored at fromBpo. */
function bucketCounts(s: Sparse | null, bpo: number, fromBpo = FINE_BPO): Map<number, number> {
  const m = new Map<number, number>();
  if (!s) return m;
  const n = bucketCount(fromBpo);
  for (let k = 0; k < s.i.length; k++) {
    if (s.i[k] >= n) continue;
    const b = coarsenBucket(s.i[k], fromBpo, bpo);
    m.set(b, (m.get(b) ?? 0) + s.v[k]);
  }
  return m;
}

// ---------------------------------------------------------------------------
// Frames

function title(labels: Labels): string {
  const parts: string[] = [];
  if (labels.client_nf !== undefined && labels.server_nf !== undefined) parts.push(`${labels.client_nf} → ${labels.server_nf}`);
  else if (labels.src_nf !== undefined && labels.dst_nf !== undefined) parts.push(`${labels.src_nf} → ${labels.dst_nf}`);
  for (const [k, v] of Object.entries(labels)) if (!['client_nf', 'server_nf', 'src_nf', 'dst_nf'].includes(k)) parts.push(v);
  return parts.join(' ') || 'all';
}

const qText = (q: number) => String(Number((q * 100).toFixed(6)));

function timeField(grid: Grid): Field {
  return { name: 'time', type: 'time', values: Array.from({ length: grid.n }, (_, k) => grid.fromMs + (k + 1) * grid.stepMs) };
}

function series(name: string, grid: Grid, labels: Labels, unit: string, values: (number | null)[]): Frame {
  return {
    name,
    meta: { type: 'timeseries-multi' },
    fields: [timeField(grid), { name: 'value', type: 'number', values, labels, config: { unit } }],
  };
}

/** Latency and outcome groups of the same labels, side by side. */
function pairUp(groups: Group[], by: readonly string[]): { labels: Labels; lat: Group | null; rej: Group | null }[] {
  const m = new Map<string, { labels: Labels; lat: Group | null; rej: Group | null }>();
  for (const g of groups) {
    const key = JSON.stringify(by.map((l) => g.labels[l] ?? ''));
    const e = m.get(key) ?? { labels: g.labels, lat: null, rej: null };
    m.set(key, e);
    if (g.family === 'outcome') e.rej = g;
    else e.lat = g;
  }
  return [...m.values()];
}

/** The frames of a query from its combined groups. */
export function frames(q: Query, grid: Grid, groups: Group[]): Frame[] {
  const stepS = grid.stepMs / 1000;
  const rate = (g: Group, f: (s: Sparse | null) => number) => g.steps.map((s) => round(f(s) / stepS));
  switch (q.kind) {
    case 'latency_percentiles':
      return groups.flatMap((g) => {
        const perStep = g.steps.map((s) => quantilesOf(s, q.quantiles, bpoOf(g)));
        return q.quantiles.map((qq, j) =>
          series(
            `p${qText(qq)} ${title(g.labels)}`,
            grid,
            { ...g.labels, quantile: String(qq) },
            's',
            perStep.map((v) => v[j]),
          ),
        );
      });
    case 'request_rate':
      return groups.map((g) =>
        series(
          title(g.labels),
          grid,
          g.labels,
          'reqps',
          rate(g, (s) => (g.family === 'outcome' ? at(s, 0) : completed(s) + at(s, LAT_TIMEOUTS))),
        ),
      );
    case 'timeouts':
      return groups.map((g) =>
        series(
          title(g.labels),
          grid,
          g.labels,
          'reqps',
          rate(g, (s) => (g.family === 'outcome' ? at(s, 0) : at(s, LAT_TIMEOUTS))),
        ),
      );
    case 'retransmissions':
      return groups.map((g) =>
        series(
          title(g.labels),
          grid,
          g.labels,
          'reqps',
          rate(g, (s) => at(s, LAT_RETRANS)),
        ),
      );
    case 'error_ratio':
      return pairUp(groups, q.groupBy)
        .filter((p) => p.lat)
        .map((p) =>
          series(
            title(p.labels),
            grid,
            p.labels,
            'percentunit',
            p.lat!.steps.map((s, k) => {
              const requests = completed(s) + at(s, LAT_TIMEOUTS);
              return requests > 0 ? round((at(p.rej?.steps[k], 0) + at(s, LAT_TIMEOUTS)) / requests) : null;
            }),
          ),
        );
    case 'drops':
      return groups.map((g) =>
        series(
          title(g.labels),
          grid,
          g.labels,
          'pps',
          rate(g, (s) => at(s, 0)),
        ),
      );
    case 'traffic': {
      const idx = q.metric === 'bytes' ? TRAFFIC_BYTES : TRAFFIC_PACKETS;
      return groups.map((g) =>
        series(
          title(g.labels),
          grid,
          g.labels,
          q.metric === 'bytes' ? 'Bps' : 'pps',
          rate(g, (s) => at(s, idx)),
        ),
      );
    }
    case 'latency_heatmap':
      return [heatmap(q, grid, groups)];
    case 'latency_distribution':
      return groups.map((g) => distribution(q, g));
    case 'topology':
      return topology(grid, groups);
    case 'nf_pairs':
      return [pairTable(q, grid, groups)];
  }
}

function heatmap(q: Query, grid: Grid, groups: Group[]): Frame {
  const bpo = answerBpo(q, groups);
  const fromBpo = groups.length > 0 ? bpoOf(groups[0]) : FINE_BPO;
  const perStep = Array.from({ length: grid.n }, (_, k) => {
    let s: Sparse | null = null;
    for (const g of groups) if (g.steps[k]) s = s ? addSparse(s, g.steps[k]!) : g.steps[k];
    return bucketCounts(s, bpo, fromBpo);
  });
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of perStep) for (const b of m.keys()) [lo, hi] = [Math.min(lo, b), Math.max(hi, b)];
  const fields: Field[] = [timeField(grid)];
  for (let b = lo; b <= hi; b++) {
    const [lower, upper] = coarseBounds(b, bpo);
    const le = leText(upper);
    // ge, the bucket's lower bound, lets a client draw each bucket at its true height (the buckets are not uniform).
    fields.push({ name: le, type: 'number', values: perStep.map((m) => m.get(b) ?? 0), labels: { le, ge: leText(lower) }, config: { unit: 'short' } });
  }
  return { name: 'latency heatmap', meta: { type: 'heatmap-rows' }, fields };
}

function distribution(q: Query, g: Group): Frame {
  const bpo = answerBpo(q, [g]);
  const m = bucketCounts(g.steps[0], bpo, bpoOf(g));
  const xMin: number[] = [];
  const xMax: number[] = [];
  const count: number[] = [];
  if (m.size > 0) {
    const keys = [...m.keys()];
    for (let b = Math.min(...keys); b <= Math.max(...keys); b++) {
      const [lo, hi] = coarseBounds(b, bpo);
      xMin.push(round(lo / 1e9));
      // The overflow bucket has no upper bound; it is drawn as wide as its lower bound.
      xMax.push(round((Number.isFinite(hi) ? hi : 2 * lo) / 1e9));
      count.push(m.get(b) ?? 0);
    }
  }
  return {
    name: `latency distribution ${title(g.labels)}`,
    meta: { type: 'histogram' },
    fields: [
      { name: 'xMin', type: 'number', values: xMin, labels: g.labels, config: { unit: 's' } },
      { name: 'xMax', type: 'number', values: xMax, labels: g.labels, config: { unit: 's' } },
      { name: 'count', type: 'number', values: count, labels: g.labels, config: { unit: 'short' } },
    ],
  };
}

interface PairTotals {
  labels: Labels;
  hist: Sparse | null;
  completed: number;
  rejected: number;
  timeouts: number;
  retrans: number;
  sumNs: number;
}

function totals(groups: Group[], by: readonly string[]): PairTotals[] {
  return pairUp(groups, by)
    .filter((p) => p.lat)
    .map((p) => {
      const s = p.lat!.steps[0];
      return {
        labels: p.labels,
        hist: s,
        completed: completed(s),
        rejected: at(p.rej?.steps[0], 0),
        timeouts: at(s, LAT_TIMEOUTS),
        retrans: at(s, LAT_RETRANS),
        sumNs: at(s, LAT_SUM),
      };
    });
}

function topology(grid: Grid, groups: Group[]): Frame[] {
  const rangeS = (grid.stepMs * grid.n) / 1000;
  const edges = new Map<string, { source: string; target: string; hist: Sparse | null; requests: number; errors: number; interfaces: Set<string> }>();
  const nodes = new Map<string, { type: string; served: number; errors: number }>();
  const node = (name: string, type: string) => {
    const n = nodes.get(name) ?? { type, served: 0, errors: 0 };
    nodes.set(name, n);
    return n;
  };
  for (const t of totals(groups, ['client_nf', 'client_type', 'server_nf', 'server_type', 'interface'])) {
    const { client_nf: c, server_nf: s } = t.labels;
    const id = `${c}->${s}`;
    const e = edges.get(id) ?? { source: c, target: s, hist: null, requests: 0, errors: 0, interfaces: new Set<string>() };
    edges.set(id, e);
    const requests = t.completed + t.timeouts;
    const errors = t.rejected + t.timeouts;
    e.hist = e.hist && t.hist ? addSparse(e.hist, t.hist) : (e.hist ?? t.hist);
    e.requests += requests;
    e.errors += errors;
    e.interfaces.add(t.labels.interface);
    node(c, t.labels.client_type);
    const sv = node(s, t.labels.server_type);
    sv.served += requests;
    sv.errors += errors;
  }
  const names = [...nodes.keys()].sort();
  const share = (n: { served: number; errors: number }) => (n.served > 0 ? round(n.errors / n.served) : 0);
  const nodeFrame: Frame = {
    name: 'nodes',
    meta: { preferredVisualisationType: 'nodeGraph' },
    fields: [
      { name: 'id', type: 'string', values: names },
      { name: 'title', type: 'string', values: names },
      { name: 'subtitle', type: 'string', values: names.map((n) => nodes.get(n)!.type) },
      { name: 'mainstat', type: 'number', values: names.map((n) => round(nodes.get(n)!.served / rangeS)), config: { unit: 'reqps', displayNameFromDS: 'requests/s served' } },
      { name: 'secondarystat', type: 'number', values: names.map((n) => share(nodes.get(n)!)), config: { unit: 'percentunit', displayNameFromDS: 'error share' } },
      { name: 'arc__accepted', type: 'number', values: names.map((n) => round(1 - share(nodes.get(n)!))), config: { color: { mode: 'fixed', fixedColor: 'green' } } },
      { name: 'arc__rejected', type: 'number', values: names.map((n) => share(nodes.get(n)!)), config: { color: { mode: 'fixed', fixedColor: 'red' } } },
    ],
  };
  const ids = [...edges.keys()].sort();
  const maxRate = Math.max(0, ...ids.map((id) => edges.get(id)!.requests));
  const edgeFrame: Frame = {
    name: 'edges',
    meta: { preferredVisualisationType: 'nodeGraph' },
    fields: [
      { name: 'id', type: 'string', values: ids },
      { name: 'source', type: 'string', values: ids.map((id) => edges.get(id)!.source) },
      { name: 'target', type: 'string', values: ids.map((id) => edges.get(id)!.target) },
      { name: 'mainstat', type: 'number', values: ids.map((id) => round(edges.get(id)!.requests / rangeS)), config: { unit: 'reqps', displayNameFromDS: 'requests/s' } },
      { name: 'secondarystat', type: 'number', values: ids.map((id) => quantilesOf(edges.get(id)!.hist, [0.99], latencyBpo(groups))[0]), config: { unit: 's', displayNameFromDS: 'p99' } },
      {
        name: 'detail__error_ratio',
        type: 'number',
        values: ids.map((id) => (edges.get(id)!.requests > 0 ? round(edges.get(id)!.errors / edges.get(id)!.requests) : null)),
        config: { unit: 'percentunit', displayNameFromDS: 'error ratio' },
      },
      { name: 'detail__interfaces', type: 'string', values: ids.map((id) => [...edges.get(id)!.interfaces].sort().join(',')), config: { displayNameFromDS: 'interfaces' } },
      { name: 'thickness', type: 'number', values: ids.map((id) => (maxRate > 0 ? 1 + Math.round((4 * edges.get(id)!.requests) / maxRate) : 1)) },
    ],
  };
  return [nodeFrame, edgeFrame];
}

function pairTable(q: Query, grid: Grid, groups: Group[]): Frame {
  const rangeS = (grid.stepMs * grid.n) / 1000;
  const rows = totals(groups, q.groupBy);
  const num = (name: string, values: (number | null)[], unit?: string): Field => ({ name, type: 'number', values, ...(unit ? { config: { unit } } : {}) });
  const bpo = latencyBpo(groups);
  const qs = rows.map((r) => quantilesOf(r.hist, [0.5, 0.9, 0.99], bpo));
  const requests = rows.map((r) => r.completed + r.timeouts);
  return {
    name: 'NF pairs',
    meta: { preferredVisualisationType: 'table' },
    fields: [
      ...q.groupBy.map((l): Field => ({ name: l, type: 'string', values: rows.map((r) => r.labels[l]) })),
      num('requests', requests, 'short'),
      num(
        'rate',
        requests.map((n) => round(n / rangeS)),
        'reqps',
      ),
      num(
        'p50',
        qs.map((x) => x[0]),
        's',
      ),
      num(
        'p90',
        qs.map((x) => x[1]),
        's',
      ),
      num(
        'p99',
        qs.map((x) => x[2]),
        's',
      ),
      num(
        'error_ratio',
        rows.map((r, i) => (requests[i] > 0 ? round((r.rejected + r.timeouts) / requests[i]) : null)),
        'percentunit',
      ),
      num(
        'rejected',
        rows.map((r) => r.rejected),
        'short',
      ),
      num(
        'timeouts',
        rows.map((r) => r.timeouts),
        'short',
      ),
      num(
        'retransmissions',
        rows.map((r) => r.retrans),
        'short',
      ),
    ],
  };
}
