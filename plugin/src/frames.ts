/**
 * Turns the exporter's query answers (docs/query-api.md, "Answer") into
 * Grafana data frames. The API already answers in frame shape; this adds
 * what Grafana's panels rely on when the exporter leaves it out (units,
 * frame types, Node Graph arc colours, display names), applies the legend
 * format, and turns partial cluster answers into visible notices.
 */
import { FieldType, toDataFrame, type DataFrame, type Field, type QueryResultMetaNotice } from '@grafana/data';
import { renderLegend } from './query';
import type { Field as ApiFieldOfContract, Frame, QueryAnswer } from '@nfscope/api';
import { KINDS, type NfscopeQuery, type QueryKind } from './types';

/** The exporter's answer and its frames, as the API contract (@nfscope/api) has them. */
export type ApiField = ApiFieldOfContract;
export type ApiFrame = Frame;
export type { QueryAnswer };

const FIELD_TYPES: Record<string, FieldType> = {
  time: FieldType.time,
  number: FieldType.number,
  string: FieldType.string,
  boolean: FieldType.boolean,
};

/** Units of the columns of topology and nf_pairs frames, where the exporter gives none. */
const COLUMN_UNITS: Record<string, Record<string, string>> = {
  nodes: { mainstat: 'reqps', secondarystat: 'percentunit' },
  edges: { mainstat: 'reqps', secondarystat: 's', detail__error_ratio: 'percentunit' },
  nf_pairs: { rate: 'reqps', p50: 's', p90: 's', p99: 's', error_ratio: 'percentunit', requests: 'short', rejected: 'short', timeouts: 'short', retransmissions: 'short' },
};

const ARC_COLORS: Record<string, string> = { arc__accepted: 'green', arc__rejected: 'red' };

function unitFor(kind: QueryKind, q: NfscopeQuery): string | undefined {
  if (kind === 'traffic') return q.metric === 'bytes' ? 'Bps' : 'pps';
  return KINDS[kind].unit;
}

function checkAnswer(answer: unknown): asserts answer is QueryAnswer {
  if (!answer || typeof answer !== 'object' || !Array.isArray((answer as QueryAnswer).frames)) {
    throw new Error('the exporter answered without "frames": is the URL an nfscope exporter with the query API (/api/v1/query)?');
  }
  for (const [i, f] of (answer as QueryAnswer).frames.entries()) {
    if (!f || !Array.isArray(f.fields)) throw new Error(`the exporter's frame ${i} has no "fields"`);
    for (const [j, field] of f.fields.entries()) {
      if (!field || typeof field.name !== 'string' || !Array.isArray(field.values)) throw new Error(`the exporter's frame ${i} field ${j} has no name or values`);
    }
  }
}

function withConfig(field: Field, extra: Record<string, unknown>): void {
  field.config = { ...extra, ...field.config };
}

function notices(answer: QueryAnswer): QueryResultMetaNotice[] {
  const out: QueryResultMetaNotice[] = [];
  for (const m of answer.nodes?.missing ?? []) {
    out.push({ severity: 'warning', text: `Node ${m.node} did not answer (${m.error}); the data comes from the other nodes.` });
  }
  const overflow = answer.overflow?.series ?? 0;
  if (overflow > 0) {
    out.push({ severity: 'warning', text: `The exporter's series table overflowed: ${overflow} series were not kept. Raise its map sizes or narrow the NF configuration.` });
  }
  return out;
}

/** A bound in seconds from a bucket label ("0.00195", "+Inf"); undefined when absent or not a number. */
function bound(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = text === '+Inf' ? Infinity : Number(text);
  return Number.isNaN(v) ? undefined : v;
}

/**
 * The exporter's heatmap (time, then one field per bucket with labels le and
 * ge) as a sparse `heatmap-cells` frame: xMax (the end of each step), yMin,
 * yMax (the bucket's bounds, s) and count, in that order, one row per step
 * and bucket. Grafana's heatmap draws such cells at their own bounds on a
 * log axis, so nfscope's log-linear buckets keep their true heights; a
 * `heatmap-rows` frame would draw every bucket the same height. The bucket
 * below the smallest bound (ge 0) starts at half its upper bound, and the
 * overflow bucket (+Inf) ends at twice its lower bound: a log axis has room
 * for neither 0 nor infinity. Zero counts are kept, so the cell width (the
 * first two steps) is right; the panel hides empty cells.
 */
function heatmapCells(af: ApiFrame, refId: string): DataFrame {
  const time = af.fields.find((f) => f.type === 'time');
  const buckets = af.fields
    .filter((f) => f.type === 'number')
    .map((f) => ({ f, le: bound(f.labels?.le ?? f.name) }))
    .filter((b): b is { f: ApiField; le: number } => b.le !== undefined)
    .sort((a, b) => a.le - b.le);
  const xMax: unknown[] = [];
  const yMin: number[] = [];
  const yMax: number[] = [];
  const count: unknown[] = [];
  const bounds = buckets.map((b, k) => {
    // An exporter older than the ge label: the bucket below ends where this one starts.
    let lo = bound(b.f.labels?.ge) ?? (k > 0 ? buckets[k - 1].le : 0);
    let hi = b.le;
    if (!(lo > 0)) lo = Number.isFinite(hi) ? hi / 2 : 0;
    if (!Number.isFinite(hi)) hi = 2 * lo;
    return [lo, hi];
  });
  const times = time?.values ?? [];
  times.forEach((t, j) => {
    buckets.forEach((b, k) => {
      if (!(bounds[k][0] > 0 && bounds[k][1] > bounds[k][0])) return;
      xMax.push(t);
      yMin.push(bounds[k][0]);
      yMax.push(bounds[k][1]);
      const v = b.f.values[j];
      count.push(typeof v === 'number' ? v : 0);
    });
  });
  const log2 = { custom: { scaleDistribution: { type: 'log', log: 2 } } };
  const frame = toDataFrame({
    name: af.name,
    refId,
    meta: { ...(af.meta ?? {}), type: 'heatmap-cells' },
    fields: [
      { name: 'xMax', type: FieldType.time, values: xMax, config: {} },
      { name: 'yMin', type: FieldType.number, values: yMin, config: { unit: 's', ...log2 } },
      { name: 'yMax', type: FieldType.number, values: yMax, config: { unit: 's', ...log2 } },
      { name: 'count', type: FieldType.number, values: count, config: { unit: 'short' } },
    ],
  });
  frame.refId = refId;
  return frame;
}

/** Data frames for one query's answer. */
export function answerToFrames(answer: unknown, q: NfscopeQuery): DataFrame[] {
  checkAnswer(answer);
  const kind = (answer.kind ?? q.kind ?? 'latency_percentiles') as QueryKind;
  const info = KINDS[kind];
  const unit = unitFor(kind, q);
  const frames = answer.frames.map((af) => {
    if (kind === 'latency_heatmap') return heatmapCells(af, q.refId);
    const frame = toDataFrame({
      name: af.name,
      refId: q.refId,
      meta: af.meta ? { ...af.meta } : undefined,
      fields: af.fields.map((f) => ({
        name: f.name,
        type: FIELD_TYPES[f.type] ?? FieldType.other,
        values: f.values,
        labels: f.labels,
        config: f.config ? { ...f.config } : {},
      })),
    });
    frame.refId = q.refId;
    frame.meta = frame.meta ?? {};
    const numbers = frame.fields.filter((f) => f.type === FieldType.number);

    if (info.timeSeries) {
      frame.meta.type = frame.meta.type ?? ('timeseries-multi' as never);
      for (const f of numbers) {
        if (unit) withConfig(f, { unit });
        if (q.legendFormat) f.config.displayNameFromDS = renderLegend(q.legendFormat, f.labels ?? {});
        else if (!f.config.displayNameFromDS && af.name && numbers.length === 1) f.config.displayNameFromDS = af.name;
      }
    } else if (kind === 'latency_distribution') {
      frame.meta.type = 'histogram' as never;
      for (const f of frame.fields) if (f.name === 'xMin' || f.name === 'xMax') withConfig(f, { unit: 's' });
      if (q.legendFormat) {
        const count = frame.fields.find((f) => f.name === 'count');
        if (count) count.config.displayNameFromDS = renderLegend(q.legendFormat, count.labels ?? {});
      }
    } else if (kind === 'topology') {
      frame.meta.preferredVisualisationType = 'nodeGraph';
      const units = COLUMN_UNITS[af.name === 'edges' ? 'edges' : 'nodes'];
      for (const f of frame.fields) {
        if (units[f.name]) withConfig(f, { unit: units[f.name] });
        if (ARC_COLORS[f.name]) withConfig(f, { color: { mode: 'fixed', fixedColor: ARC_COLORS[f.name] }, displayName: f.name === 'arc__accepted' ? 'Accepted' : 'Rejected' });
      }
    } else if (kind === 'nf_pairs') {
      frame.meta.preferredVisualisationType = 'table';
      for (const f of frame.fields) if (COLUMN_UNITS.nf_pairs[f.name]) withConfig(f, { unit: COLUMN_UNITS.nf_pairs[f.name] });
    }
    return frame;
  });

  const n = notices(answer);
  if (n.length > 0 && frames.length > 0) frames[0].meta = { ...frames[0].meta, notices: [...(frames[0].meta?.notices ?? []), ...n] };
  return frames;
}

/** Notices to show when a partial answer has no frames to carry them. */
export function answerNotices(answer: unknown): QueryResultMetaNotice[] {
  return answer && typeof answer === 'object' ? notices(answer as QueryAnswer) : [];
}
