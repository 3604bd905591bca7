/** What the preview's renderers share: Grafana's unit formatting, axis ticks, series colours, the time series of a frame, "No data", the heatmap colour ramp. */
import * as grafanaData from '@grafana/data';
import type { DataFrame, Field, GrafanaTheme2 } from '@grafana/data';
import type { PanelJson } from './model';

const { FieldType, getFieldDisplayName, getValueFormat, formattedValueToString } = grafanaData;

// ---- value formatting, with Grafana's own unit formatters ---------------------

export function fmt(v: unknown, unit?: string, decimals?: number): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return String(v);
  return formattedValueToString(getValueFormat(unit ?? 'short')(v, decimals));
}

export const timeOfDay = (t: number) => new Date(t).toISOString().slice(11, 19);

/** Unit and decimals of a field: what the data source set, else the panel's defaults (Grafana fills only what is unset). */
export function fieldUnit(f: Field, panel: PanelJson): { unit?: string; decimals?: number } {
  const d = panel.fieldConfig?.defaults ?? {};
  return { unit: f.config.unit ?? d.unit, decimals: f.config.decimals ?? d.decimals };
}

export function values(f: Field): unknown[] {
  return Array.from(f.values as ArrayLike<unknown>);
}

export function numeric(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** A round step for about `count` ticks between lo and hi. */
export function ticks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Time ticks on round seconds, none so close to an edge that its label would be cut. */
export function timeTicks(from: number, to: number, width: number): number[] {
  const margin = ((to - from) * 30) / width;
  return ticks(from, to, Math.max(2, Math.floor(width / 110))).filter((t) => t - from >= margin && to - t >= margin);
}

export function niceMax(hi: number): number {
  if (!(hi > 0)) return 1;
  const t = ticks(0, hi, 4);
  const step = t.length > 1 ? t[1] - t[0] : hi;
  return Math.ceil(hi / step - 1e-9) * step;
}

export function seriesColor(theme: GrafanaTheme2, i: number): string {
  const palette = theme.visualization.palette;
  return theme.visualization.getColorByName(palette[i % palette.length]);
}

// ---- the frame a panel gets: series of a time series answer -----------------

export interface Series {
  name: string;
  field: Field;
  times: number[];
  vals: Array<number | null>;
  unit?: string;
  decimals?: number;
}

export function timeSeries(frames: DataFrame[], panel: PanelJson): Series[] {
  const out: Series[] = [];
  for (const frame of frames) {
    const time = frame.fields.find((f) => f.type === FieldType.time);
    if (!time) continue;
    const times = values(time) as number[];
    for (const f of frame.fields) {
      if (f.type !== FieldType.number) continue;
      const vals = values(f).map((v) => (numeric(v) ? v : null));
      if (!vals.some((v) => v !== null)) continue;
      out.push({ name: getFieldDisplayName(f, frame, frames), field: f, times, vals, ...fieldUnit(f, panel) });
    }
  }
  return out;
}

export function NoData({ theme }: { theme: GrafanaTheme2 }) {
  return <div style={{ display: 'flex', alignItems: 'center', justifyContent: 'center', height: '100%', color: theme.colors.text.secondary, fontSize: 16 }}>No data</div>;
}

export const ORANGES = ['#7f2704', '#a63603', '#d94801', '#f16913', '#fd8d3c', '#fdae6b', '#fdd0a2', '#feedde'];

export function ramp(stops: string[], t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = (s: string) => [1, 3, 5].map((k) => parseInt(s.slice(k, k + 2), 16));
  const [a, b] = [c(stops[i]), c(stops[i + 1])];
  return `rgb(${a.map((v, k) => Math.round(v + (b[k] - v) * f)).join(',')})`;
}
