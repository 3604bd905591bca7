/**
 * Turns the exporter's query answers (docs/query-api.md, "Answer") into
 * Grafana data frames. The API already answers in frame shape; this adds
 * what Grafana's panels rely on when the exporter leaves it out (units,
 * frame types, Node Graph arc colours, display names), applies the legend
 * format, and turns partial cluster answers into visible notices.
 */
import { FieldType, toDataFrame, type DataFrame, type Field, type QueryResultMetaNotice } from '@grafana/data';
import { renderLegend } from './query';
import { KINDS, type NfscopeQuery, type QueryKind } from './types';

export interface ApiField {
  name: string;
  type: 'time' | 'number' | 'string' | 'boolean';
  values: unknown[];
  labels?: Record<string, string>;
  config?: Record<string, unknown>;
}

export interface ApiFrame {
  name?: string;
  meta?: Record<string, unknown>;
  fields: ApiField[];
}

export interface QueryAnswer {
  kind: QueryKind;
  scope?: string;
  from?: number;
  to?: number;
  step_ms?: number;
  nodes?: { answered?: string[]; missing?: Array<{ node: string; error: string }> };
  overflow?: { series?: number };
  frames: ApiFrame[];
}

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

/** Data frames for one query's answer. */
export function answerToFrames(answer: unknown, q: NfscopeQuery): DataFrame[] {
  checkAnswer(answer);
  const kind = (answer.kind ?? q.kind ?? 'latency_percentiles') as QueryKind;
  const info = KINDS[kind];
  const unit = unitFor(kind, q);
  const frames = answer.frames.map((af) => {
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
    } else if (kind === 'latency_heatmap') {
      frame.meta.type = 'heatmap-rows' as never;
      for (const f of numbers) withConfig(f, { unit: 'short' });
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
