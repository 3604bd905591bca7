/**
 * nfscope's dashboard preview, for the browser test and the README's
 * pictures: a prebuilt dashboard's panels laid out by gridPos on Grafana's
 * 24-column grid, each panel's targets run through the plugin's DataSource
 * (the caller does that), and the returned frames drawn by small renderers
 * of our own in Grafana's dark theme: time series, stat, heatmap-cells,
 * histogram, node graph and table. Grafana's panels cannot run without a
 * Grafana server; this shows what the queries return, not how Grafana's
 * panels would lay it out to the pixel. Every drawn mark carries data-mark
 * (series, stat, cell, bar, node, edge, row) so the test can count them
 * against the frames.
 */
import React from 'react';
import * as grafanaData from '@grafana/data';
import type { DataFrame, Field, GrafanaTheme2 } from '@grafana/data';

const { FieldType, getFieldDisplayName, getValueFormat, formattedValueToString } = grafanaData;

export interface PanelJson {
  id?: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: Array<Record<string, unknown>>;
  options?: any;
  fieldConfig?: { defaults?: any; overrides?: unknown[] };
  maxDataPoints?: number;
}

export interface DashboardJson {
  uid?: string;
  title: string;
  panels: PanelJson[];
  templating?: { list: Array<{ name: string; label?: string }> };
}

export interface PanelResult {
  frames: DataFrame[];
  errors: Array<{ refId?: string; message: string }>;
}

// Grafana's grid: 24 columns, rows of 30 px, 8 px between panels.
const GRID_ROW = 30;
const GRID_GAP = 8;
const HEADER = 32;

export function dashboardHeight(d: DashboardJson): number {
  const rows = Math.max(0, ...d.panels.map((p) => p.gridPos.y + p.gridPos.h));
  return rows * (GRID_ROW + GRID_GAP) - GRID_GAP;
}

// ---- value formatting, with Grafana's own unit formatters ---------------------

function fmt(v: unknown, unit?: string, decimals?: number): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return String(v);
  return formattedValueToString(getValueFormat(unit ?? 'short')(v, decimals));
}

const timeOfDay = (t: number) => new Date(t).toISOString().slice(11, 19);

/** Unit and decimals of a field: what the data source set, else the panel's defaults (Grafana fills only what is unset). */
function fieldUnit(f: Field, panel: PanelJson): { unit?: string; decimals?: number } {
  const d = panel.fieldConfig?.defaults ?? {};
  return { unit: f.config.unit ?? d.unit, decimals: f.config.decimals ?? d.decimals };
}

function values(f: Field): unknown[] {
  return Array.from(f.values as ArrayLike<unknown>);
}

function numeric(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** A round step for about `count` ticks between lo and hi. */
function ticks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Time ticks on round seconds, none so close to an edge that its label would be cut. */
function timeTicks(from: number, to: number, width: number): number[] {
  const margin = ((to - from) * 30) / width;
  return ticks(from, to, Math.max(2, Math.floor(width / 110))).filter((t) => t - from >= margin && to - t >= margin);
}

function niceMax(hi: number): number {
  if (!(hi > 0)) return 1;
  const t = ticks(0, hi, 4);
  const step = t.length > 1 ? t[1] - t[0] : hi;
  return Math.ceil(hi / step - 1e-9) * step;
}

function seriesColor(theme: GrafanaTheme2, i: number): string {
  const palette = theme.visualization.palette;
  return theme.visualization.getColorByName(palette[i % palette.length]);
}

// ---- the frame a panel gets: series of a time series answer -----------------

interface Series {
  name: string;
  field: Field;
  times: number[];
  vals: Array<number | null>;
  unit?: string;
  decimals?: number;
}

function timeSeries(frames: DataFrame[], panel: PanelJson): Series[] {
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

// ---- renderers ------------------------------------------------------------------

interface Box {
  width: number;
  height: number;
}

interface RendererProps extends Box {
  panel: PanelJson;
  frames: DataFrame[];
  theme: GrafanaTheme2;
  from: number;
  to: number;
}

function NoData({ theme }: { theme: GrafanaTheme2 }) {
  return <div style={{ display: 'flex', alignItems: 'center', justifyContent: 'center', height: '100%', color: theme.colors.text.secondary, fontSize: 16 }}>No data</div>;
}

function TimeSeriesPanel({ panel, frames, theme, width, height, from, to }: RendererProps) {
  const series = timeSeries(frames, panel);
  if (series.length === 0) return <NoData theme={theme} />;
  const custom = panel.fieldConfig?.defaults?.custom ?? {};
  const bars = custom.drawStyle === 'bars';
  const stacked = custom.stacking?.mode === 'normal';
  const fillOpacity = (custom.fillOpacity ?? 0) / 100;
  const legend = panel.options?.legend ?? { showLegend: true, displayMode: 'list' };
  const calcs: string[] = legend.displayMode === 'table' ? (legend.calcs ?? []) : [];
  const unit = series[0].unit;
  const decimals = series[0].decimals;

  // Legend at the bottom, at most 40% of the panel (Grafana scrolls the rest).
  const legendRows = legend.showLegend === false ? 0 : legend.displayMode === 'table' ? series.length + 1 : Math.ceil(series.length / Math.max(1, Math.floor(width / 180)));
  const legendH = Math.min(legendRows, Math.floor((height * 0.4) / LEGEND_ROW)) * LEGEND_ROW;
  const plotH = height - legendH;

  // Stacking adds each series onto the ones before it, time index by time index.
  const base = series.map(() => [] as number[]);
  if (stacked) {
    const acc = new Map<number, number>();
    series.forEach((s, i) => {
      s.times.forEach((t, j) => {
        const below = acc.get(t) ?? 0;
        base[i][j] = below;
        acc.set(t, below + (s.vals[j] ?? 0));
      });
    });
  }
  const top = (i: number, j: number) => (stacked ? base[i][j] + (series[i].vals[j] ?? 0) : (series[i].vals[j] ?? 0));
  let hi = 0;
  let lo = 0;
  series.forEach((s, i) => s.vals.forEach((v, j) => v !== null && ((hi = Math.max(hi, top(i, j))), (lo = Math.min(lo, v)))));
  const min = panel.fieldConfig?.defaults?.min ?? lo;
  const max = panel.fieldConfig?.defaults?.max ?? niceMax(hi);
  const yTicks = ticks(min, max, Math.max(2, Math.floor(plotH / 50)));
  const yLabels = yTicks.map((v) => fmt(v, unit, decimals));
  const axisW = Math.max(...yLabels.map((l) => l.length)) * 7 + 12;
  const plot = { x: axisW, y: 6, w: width - axisW - 8, h: plotH - 6 - 22 };
  const X = (t: number) => plot.x + ((t - from) / (to - from)) * plot.w;
  const Y = (v: number) => plot.y + plot.h - ((v - min) / (max - min || 1)) * plot.h;
  const xTicks = timeTicks(from, to, plot.w);
  const step = series[0].times.length > 1 ? series[0].times[1] - series[0].times[0] : (to - from) / 50;
  const barW = Math.max(1, ((step / (to - from)) * plot.w) * 0.8);

  return (
    <div style={{ display: 'flex', flexDirection: 'column', height }}>
      <svg width={width} height={plotH} style={{ display: 'block' }}>
        {yTicks.map((v, k) => (
          <g key={`y${k}`}>
            <line x1={plot.x} x2={plot.x + plot.w} y1={Y(v)} y2={Y(v)} stroke={theme.colors.border.weak} />
            <text x={plot.x - 6} y={Y(v) + 4} textAnchor="end" fontSize={11} fill={theme.colors.text.secondary}>
              {yLabels[k]}
            </text>
          </g>
        ))}
        {xTicks.map((t) => (
          <g key={`x${t}`}>
            <line x1={X(t)} x2={X(t)} y1={plot.y} y2={plot.y + plot.h} stroke={theme.colors.border.weak} />
            <text x={X(t)} y={plot.y + plot.h + 15} textAnchor="middle" fontSize={11} fill={theme.colors.text.secondary}>
              {timeOfDay(t)}
            </text>
          </g>
        ))}
        {series.map((s, i) => {
          const color = seriesColor(theme, i);
          if (bars) {
            let d = '';
            s.vals.forEach((v, j) => {
              if (v === null || v === 0) return;
              const y0 = Y(stacked ? base[i][j] : 0);
              const y1 = Y(top(i, j));
              d += `M${X(s.times[j]) - barW / 2},${y0}V${y1}h${barW}V${y0}Z`;
            });
            return <path key={i} data-mark="series" d={d || 'M0,0'} fill={color} fillOpacity={Math.max(fillOpacity, 0.6)} stroke={color} strokeWidth={0.5} />;
          }
          // One path per series; a gap (null) starts a new subpath, as spanNulls: false does.
          const segments: Array<Array<[number, number]>> = [];
          let cur: Array<[number, number]> | null = null;
          s.vals.forEach((v, j) => {
            if (v === null) return void (cur = null);
            if (!cur) segments.push((cur = []));
            cur.push([X(s.times[j]), Y(v)]);
          });
          const line = segments.map((seg) => `M${seg.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join('L')}${seg.length === 1 ? 'h1' : ''}`).join('');
          const area = segments.map((seg) => `M${seg[0][0].toFixed(1)},${Y(Math.max(min, 0))}L${seg.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join('L')}L${seg[seg.length - 1][0].toFixed(1)},${Y(Math.max(min, 0))}Z`).join('');
          return (
            <g key={i}>
              {fillOpacity > 0 && <path d={area} fill={color} fillOpacity={fillOpacity} stroke="none" />}
              <path data-mark="series" d={line} fill="none" stroke={color} strokeWidth={custom.lineWidth ?? 1} />
            </g>
          );
        })}
      </svg>
      {legendH > 0 && <Legend series={series} calcs={calcs} theme={theme} height={legendH} />}
    </div>
  );
}

const CALCS: Record<string, [string, (v: number[]) => number | undefined]> = {
  mean: ['Mean', (v) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined)],
  max: ['Max', (v) => (v.length ? Math.max(...v) : undefined)],
  min: ['Min', (v) => (v.length ? Math.min(...v) : undefined)],
  lastNotNull: ['Last *', (v) => v[v.length - 1]],
  sum: ['Total', (v) => v.reduce((a, b) => a + b, 0)],
};

/** Height of a legend line; the legend shows whole lines only. */
const LEGEND_ROW = 20;

function Swatch({ color }: { color: string }) {
  return <span style={{ display: 'inline-block', width: 14, height: 4, borderRadius: 2, background: color, marginRight: 6, verticalAlign: 'middle' }} />;
}

function Legend({ series, calcs, theme, height }: { series: Series[]; calcs: string[]; theme: GrafanaTheme2; height: number }) {
  const cell: React.CSSProperties = { padding: '0 8px', height: LEGEND_ROW, lineHeight: `${LEGEND_ROW}px`, whiteSpace: 'nowrap', fontSize: 12 };
  if (calcs.length === 0) {
    return (
      <div style={{ height, overflow: 'hidden', display: 'flex', flexWrap: 'wrap', alignContent: 'flex-start', fontSize: 12, padding: '0 4px' }}>
        {series.map((s, i) => (
          <span key={i} style={{ marginRight: 16, lineHeight: `${LEGEND_ROW}px`, whiteSpace: 'nowrap' }}>
            <Swatch color={seriesColor(theme, i)} />
            {s.name}
          </span>
        ))}
      </div>
    );
  }
  return (
    <div style={{ height, overflow: 'hidden' }}>
      <table style={{ borderCollapse: 'collapse', width: '100%' }}>
        <thead>
          <tr style={{ color: theme.colors.text.secondary }}>
            <th style={{ ...cell, textAlign: 'left', fontWeight: 500 }}>Name</th>
            {calcs.map((c) => (
              <th key={c} style={{ ...cell, textAlign: 'right', fontWeight: 500, color: theme.colors.primary.text }}>
                {CALCS[c]?.[0] ?? c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {series.map((s, i) => {
            const nums = s.vals.filter((v): v is number => v !== null);
            return (
              <tr key={i}>
                <td style={{ ...cell, textAlign: 'left' }}>
                  <Swatch color={seriesColor(theme, i)} />
                  {s.name}
                </td>
                {calcs.map((c) => (
                  <td key={c} style={{ ...cell, textAlign: 'right' }}>
                    {fmt(CALCS[c]?.[1](nums), s.unit, s.decimals)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function StatPanel({ panel, frames, theme, width, height }: RendererProps) {
  const stats = timeSeries(frames, panel).map((s) => ({ name: s.name, value: s.vals.filter((v) => v !== null).pop() as number, unit: s.unit, decimals: s.decimals }));
  if (stats.length === 0) return <NoData theme={theme} />;
  const w = width / stats.length;
  const longest = Math.max(...stats.map((s) => fmt(s.value, s.unit, s.decimals).length));
  const valueSize = Math.min(40, height * 0.45, (w * 0.85) / (longest * 0.6));
  return (
    <div style={{ display: 'flex', height }}>
      {stats.map((s, i) => (
        <div key={i} data-mark="stat" style={{ width: w, display: 'flex', flexDirection: 'column', alignItems: 'center', justifyContent: 'center' }}>
          {panel.options?.textMode !== 'value' && <div style={{ fontSize: 13, color: theme.colors.text.primary }}>{s.name}</div>}
          {/* Grafana's default thresholds: green base, red from 80. */}
          <div style={{ fontSize: valueSize, fontWeight: 500, color: theme.visualization.getColorByName(s.value >= 80 ? 'red' : 'green') }}>{fmt(s.value, s.unit, s.decimals)}</div>
        </div>
      ))}
    </div>
  );
}

/** Grafana's "Oranges" scheme, dark (few) to light (many) as the dark theme shows it. */
const ORANGES = ['#7f2704', '#a63603', '#d94801', '#f16913', '#fd8d3c', '#fdae6b', '#fdd0a2', '#feedde'];

function ramp(stops: string[], t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = (s: string) => [1, 3, 5].map((k) => parseInt(s.slice(k, k + 2), 16));
  const [a, b] = [c(stops[i]), c(stops[i + 1])];
  return `rgb(${a.map((v, k) => Math.round(v + (b[k] - v) * f)).join(',')})`;
}

/**
 * A heatmap-cells frame (xMax, yMin, yMax, count) as Grafana's heatmap draws
 * a sparse one: each cell over the step that ends at its xMax, between its
 * own yMin and yMax on a log2 y axis, so unequal buckets keep their heights.
 */
function HeatmapPanel({ panel, frames, theme, width, height, from, to }: RendererProps) {
  const frame = frames.find((f) => (f.meta?.type as string | undefined) === 'heatmap-cells');
  const col = (n: string) => (frame ? (values(frame.fields.find((x) => x.name === n) ?? ({ values: [] } as unknown as Field)) as number[]) : []);
  const [xs, lo, hi] = [col('xMax'), col('yMin'), col('yMax')];
  const counts = col('count').map((v) => (numeric(v) ? v : 0));
  const maxCount = Math.max(0, ...counts);
  if (!frame || maxCount <= 0) return <NoData theme={theme} />;
  const exponent = panel.options?.color?.exponent ?? 0.5;
  const yUnit = panel.options?.yAxis?.unit ?? 's';
  const hideBelow = panel.options?.filterValues?.le ?? 1e-9;
  // The y range: the occupied cells' bounds, in octaves.
  const used = counts.map((c, i) => (c > hideBelow ? i : -1)).filter((i) => i >= 0);
  const yLo = Math.log2(Math.min(...used.map((i) => lo[i])));
  const yHi = Math.log2(Math.max(...used.map((i) => hi[i])));
  const yTicks: number[] = [];
  for (let e = Math.ceil(yLo); e <= Math.floor(yHi); e++) yTicks.push(2 ** e);
  const labels = yTicks.map((t) => fmt(t, yUnit));
  const axisW = Math.max(40, ...labels.map((l) => l.length * 7 + 12));
  const legendH = 24;
  const plot = { x: axisW, y: 4, w: width - axisW - 8, h: height - 4 - 22 - legendH };
  const Y = (v: number) => plot.y + plot.h - ((Math.log2(v) - yLo) / Math.max(1e-9, yHi - yLo)) * plot.h;
  const distinct = [...new Set(xs)].sort((a, b) => a - b);
  // Grafana's rule: the cell width is the gap between the first two steps.
  const step = distinct.length > 1 ? distinct[1] - distinct[0] : (to - from) / 50;
  const X = (t: number) => plot.x + ((t - from) / (to - from)) * plot.w;
  const cellW = Math.max(1, X(step) - X(0) - 1);
  const xTicks = timeTicks(from, to, plot.w);
  const labelEvery = Math.max(1, Math.ceil((14 * yTicks.length) / plot.h));
  return (
    <svg width={width} height={height} style={{ display: 'block' }}>
      {yTicks.map((t, k) =>
        k % labelEvery === 0 ? (
          <text key={t} x={plot.x - 6} y={Y(t) + 4} textAnchor="end" fontSize={11} fill={theme.colors.text.secondary}>
            {labels[k]}
          </text>
        ) : null,
      )}
      {xTicks.map((t) => (
        <text key={t} x={X(t)} y={plot.y + plot.h + 15} textAnchor="middle" fontSize={11} fill={theme.colors.text.secondary}>
          {timeOfDay(t)}
        </text>
      ))}
      {used.map((i) => (
        // The cell of the bucket [yMin, yMax], over the step ending at xMax.
        <rect key={i} data-mark="cell" x={X(xs[i]) - cellW} y={Y(hi[i]) + 0.5} width={cellW} height={Math.max(1, Y(lo[i]) - Y(hi[i]) - 1)} fill={ramp(ORANGES, Math.pow(counts[i] / maxCount, exponent))} />
      ))}
      <defs>
        <linearGradient id={`heat-${panel.id}`}>
          {ORANGES.map((c, i) => (
            <stop key={c} offset={`${(i / (ORANGES.length - 1)) * 100}%`} stopColor={c} />
          ))}
        </linearGradient>
      </defs>
      <g transform={`translate(${plot.x},${height - 14})`}>
        <text x={0} y={4} fontSize={11} fill={theme.colors.text.secondary}>
          1
        </text>
        <rect x={14} y={-4} width={Math.min(200, plot.w / 2)} height={10} rx={2} fill={`url(#heat-${panel.id})`} />
        <text x={Math.min(200, plot.w / 2) + 20} y={4} fontSize={11} fill={theme.colors.text.secondary}>
          {fmt(maxCount, 'short')} per cell
        </text>
      </g>
    </svg>
  );
}

function HistogramPanel({ frames, theme, width, height }: RendererProps) {
  const groups = frames
    .map((frame) => {
      const f = (n: string) => frame.fields.find((x) => x.name === n);
      const [lo, hi, count] = [f('xMin'), f('xMax'), f('count')];
      if (!lo || !hi || !count) return undefined;
      const c = values(count);
      const bins = values(lo)
        .map((x, i) => ({ lo: x as number, hi: values(hi)[i] as number, n: numeric(c[i]) ? (c[i] as number) : 0 }))
        .filter((b) => b.n > 0);
      return { name: getFieldDisplayName(count, frame, frames), unit: lo.config.unit ?? 's', bins };
    })
    .filter((g): g is NonNullable<typeof g> => !!g && g.bins.length > 0);
  if (groups.length === 0) return <NoData theme={theme} />;
  const all = groups.flatMap((g) => g.bins);
  const xmin = Math.min(...all.map((b) => b.lo));
  const xmax = Math.max(...all.map((b) => (Number.isFinite(b.hi) ? b.hi : b.lo * 2)));
  const ymax = niceMax(Math.max(...all.map((b) => b.n)));
  const legendH = Math.min(3, Math.ceil(groups.length / Math.max(1, Math.floor(width / 170)))) * LEGEND_ROW;
  const yTicks = ticks(0, ymax, 4);
  const axisW = Math.max(...yTicks.map((v) => fmt(v, 'short').length)) * 7 + 12;
  const plot = { x: axisW, y: 6, w: width - axisW - 8, h: height - 6 - 22 - legendH };
  const X = (v: number) => plot.x + ((v - xmin) / (xmax - xmin || 1)) * plot.w;
  const Y = (v: number) => plot.y + plot.h - (v / ymax) * plot.h;
  const xTicks = ticks(xmin, xmax, Math.max(2, Math.floor(plot.w / 90)));
  return (
    <div style={{ height }}>
      <svg width={width} height={height - legendH} style={{ display: 'block' }}>
        {yTicks.map((v) => (
          <g key={v}>
            <line x1={plot.x} x2={plot.x + plot.w} y1={Y(v)} y2={Y(v)} stroke={theme.colors.border.weak} />
            <text x={plot.x - 6} y={Y(v) + 4} textAnchor="end" fontSize={11} fill={theme.colors.text.secondary}>
              {fmt(v, 'short')}
            </text>
          </g>
        ))}
        {xTicks.map((v) => (
          <text key={v} x={X(v)} y={plot.y + plot.h + 15} textAnchor="middle" fontSize={11} fill={theme.colors.text.secondary}>
            {fmt(v, groups[0].unit)}
          </text>
        ))}
        {groups.map((g, i) =>
          g.bins.map((b, k) => {
            const color = seriesColor(theme, i);
            const hi = Number.isFinite(b.hi) ? b.hi : b.lo * 2;
            return <rect key={`${i}-${k}`} data-mark="bar" x={X(b.lo) + 0.5} y={Y(b.n)} width={Math.max(1, X(hi) - X(b.lo) - 1)} height={plot.y + plot.h - Y(b.n)} fill={color} fillOpacity={0.5} stroke={color} />;
          }),
        )}
      </svg>
      <div style={{ height: legendH, overflow: 'hidden', fontSize: 12, display: 'flex', flexWrap: 'wrap', padding: '0 4px' }}>
        {groups.map((g, i) => (
          <span key={i} style={{ marginRight: 16, lineHeight: `${LEGEND_ROW}px`, whiteSpace: 'nowrap' }}>
            <Swatch color={seriesColor(theme, i)} />
            {g.name}
          </span>
        ))}
      </div>
    </div>
  );
}

/**
 * Columns left to right, clients before their servers: of two NFs that
 * call each other, the clearly busier direction counts (SMF→UPF, not the
 * UPF's session reports back), and neither when they are about even;
 * then a node's column is its distance from the nodes that only call.
 */
function layers(ids: string[], edges: Array<{ s: string; t: string; rate: number }>): Map<string, number> {
  const known = new Set(ids);
  const rate = new Map(edges.map((e) => [`${e.s}\u0000${e.t}`, e.rate]));
  const forward = edges.filter((e) => {
    if (!known.has(e.s) || !known.has(e.t) || e.s === e.t) return false;
    const back = rate.get(`${e.t}\u0000${e.s}`);
    // Peers (UPF↔UPF on N9: as many each way) stay in one column.
    return back === undefined || e.rate > back * 1.1;
  });
  const out = new Map(ids.map((id) => [id, [] as string[]]));
  for (const e of forward) out.get(e.s)!.push(e.t);
  const indeg = new Map(ids.map((id) => [id, 0]));
  for (const e of forward) indeg.set(e.t, indeg.get(e.t)! + 1);
  // Breadth-first from the nodes nobody calls (in a cycle: the least called): a node's column is its distance from them.
  const layer = new Map<string, number>();
  for (;;) {
    const rest = ids.filter((id) => !layer.has(id));
    if (rest.length === 0) return layer;
    const least = Math.min(...rest.map((id) => indeg.get(id)!));
    const queue = rest.filter((id) => indeg.get(id) === least);
    for (const id of queue) layer.set(id, 0);
    while (queue.length) {
      const u = queue.shift()!;
      for (const t of out.get(u)!) {
        if (layer.has(t)) continue;
        layer.set(t, layer.get(u)! + 1);
        queue.push(t);
      }
    }
  }
}

function NodeGraphPanel({ panel, frames, theme, width, height }: RendererProps) {
  const nodes = frames.find((f) => f.name === 'nodes') ?? frames.find((f) => f.fields.some((x) => x.name === 'id') && !f.fields.some((x) => x.name === 'source'));
  const edges = frames.find((f) => f.name === 'edges') ?? frames.find((f) => f.fields.some((x) => x.name === 'source'));
  if (!nodes || nodes.length === 0) return <NoData theme={theme} />;
  const col = (f: DataFrame | undefined, n: string) => f?.fields.find((x) => x.name === n);
  const ids = values(col(nodes, 'id')!) as string[];
  const titles = col(nodes, 'title') ? (values(col(nodes, 'title')!) as string[]) : ids;
  const nodeMain = col(nodes, 'mainstat');
  const nodeSecond = col(nodes, 'secondarystat');
  const arcs = nodes.fields.filter((x) => x.name.startsWith('arc__'));
  const src = edges ? (values(col(edges, 'source')!) as string[]) : [];
  const dst = edges ? (values(col(edges, 'target')!) as string[]) : [];
  const edgeMain = col(edges, 'mainstat');
  const edgeSecond = col(edges, 'secondarystat');
  const opt = panel.options ?? {};

  const edgeRates = edgeMain ? values(edgeMain) : [];
  const layer = layers(ids, src.map((s, i) => ({ s, t: dst[i], rate: numeric(edgeRates[i]) ? (edgeRates[i] as number) : 0 })));
  const nCols = Math.max(...layer.values()) + 1;
  const columns: string[][] = Array.from({ length: nCols }, () => []);
  ids.forEach((id) => columns[layer.get(id)!].push(id));
  const r = Math.min(34, height / (2.8 * Math.max(...columns.map((c) => c.length))));
  const pos = new Map<string, { x: number; y: number }>();
  // Within a column, by the mean row of the nodes that call them (fewer crossings).
  columns.forEach((c, ci) => {
    if (ci > 0) {
      const row = (id: string) => {
        const ys = src.map((s, i) => (dst[i] === id && pos.has(s) ? pos.get(s)!.y : NaN)).filter((y) => !Number.isNaN(y));
        return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : height / 2;
      };
      c.sort((a, b) => row(a) - row(b));
    }
    c.forEach((id, k) => pos.set(id, { x: ((ci + 0.5) / nCols) * width, y: ((k + 0.5) / c.length) * (height - 18) }));
  });

  const arcPath = (cx: number, cy: number, a0: number, a1: number) => {
    const p = (a: number) => `${cx + r * Math.sin(a * 2 * Math.PI)},${cy - r * Math.cos(a * 2 * Math.PI)}`;
    return `M${p(a0)}A${r},${r} 0 ${a1 - a0 > 0.5 ? 1 : 0} 1 ${p(Math.min(a1, a0 + 0.99999))}`;
  };
  return (
    <svg width={width} height={height} style={{ display: 'block' }}>
      <defs>
        <marker id={`arrow-${panel.id}`} viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0L10,5L0,10Z" fill={theme.colors.text.secondary} />
        </marker>
      </defs>
      {src.map((s, i) => {
        const a = pos.get(s);
        const b = pos.get(dst[i]);
        if (!a || !b) return null;
        const dx = b.x - a.x;
        const dy = b.y - a.y;
        const len = Math.hypot(dx, dy) || 1;
        const [ux, uy] = [dx / len, dy / len];
        // Two NFs calling each other: each direction drawn a little to its own right, label beside it.
        const both = src.some((s2, k) => s2 === dst[i] && dst[k] === s);
        const off = both ? 5 : 0;
        const [ox, oy] = [-uy * off, ux * off];
        const mx = (a.x + b.x) / 2 + ox * (both ? 2.6 : 0);
        const my = (a.y + b.y) / 2 + oy * (both ? 2.6 : 0);
        const main = edgeMain ? fmt(values(edgeMain)[i], opt.edges?.mainStatUnit ?? edgeMain.config.unit) : '';
        const second = edgeSecond ? fmt(values(edgeSecond)[i], opt.edges?.secondaryStatUnit ?? edgeSecond.config.unit) : '';
        return (
          <g key={`e${i}`} data-mark="edge">
            <line x1={a.x + ux * (r + 2) + ox} y1={a.y + uy * (r + 2) + oy} x2={b.x - ux * (r + 4) + ox} y2={b.y - uy * (r + 4) + oy} stroke={theme.colors.text.secondary} strokeOpacity={0.6} strokeWidth={1.5} markerEnd={`url(#arrow-${panel.id})`} />
            <text x={mx} y={my + 4} textAnchor="middle" fontSize={11} fill={theme.colors.text.primary} stroke={theme.colors.background.primary} strokeWidth={3} paintOrder="stroke">
              {main}
              {second ? ` · ${second}` : ''}
            </text>
          </g>
        );
      })}
      {ids.map((id, i) => {
        const p = pos.get(id)!;
        let a0 = 0;
        return (
          <g key={id} data-mark="node">
            <circle cx={p.x} cy={p.y} r={r} fill={theme.colors.background.secondary} stroke={theme.colors.border.medium} />
            {arcs.map((f) => {
              const share = values(f)[i];
              if (!numeric(share) || share <= 0) return null;
              const d = arcPath(p.x, p.y, a0, a0 + share);
              a0 += share;
              return <path key={f.name} d={d} fill="none" stroke={theme.visualization.getColorByName(f.config.color?.fixedColor ?? 'gray')} strokeWidth={3} />;
            })}
            <text x={p.x} y={p.y - 1} textAnchor="middle" fontSize={10} fill={theme.colors.text.primary}>
              {nodeMain ? fmt(values(nodeMain)[i], opt.nodes?.mainStatUnit ?? nodeMain.config.unit) : ''}
            </text>
            <text x={p.x} y={p.y + 11} textAnchor="middle" fontSize={10} fill={theme.colors.text.secondary}>
              {nodeSecond ? fmt(values(nodeSecond)[i], opt.nodes?.secondaryStatUnit ?? nodeSecond.config.unit) : ''}
            </text>
            <text x={p.x} y={p.y + r + 14} textAnchor="middle" fontSize={12} fill={theme.colors.text.primary}>
              {titles[i]}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

function TablePanel({ panel, frames, theme, height }: RendererProps) {
  const frame = frames.find((f) => f.length > 0);
  if (!frame) return <NoData theme={theme} />;
  const cols = frame.fields.filter((f) => !f.config.custom?.hidden);
  const names = cols.map((f) => getFieldDisplayName(f, frame, frames));
  let order = Array.from({ length: frame.length }, (_, i) => i);
  const sortBy = panel.options?.sortBy?.[0];
  const sortCol = sortBy ? names.indexOf(sortBy.displayName) : -1;
  if (sortCol >= 0) {
    const v = values(cols[sortCol]);
    order = order.sort((a, b) => {
      const [x, y] = [v[a], v[b]];
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return sortBy.desc ? -c : c;
    });
  }
  const cell: React.CSSProperties = { padding: '3px 5px', whiteSpace: 'nowrap', borderBottom: `1px solid ${theme.colors.border.weak}`, fontSize: 12 };
  return (
    <div style={{ height, overflow: 'hidden' }}>
      <table style={{ borderCollapse: 'collapse', width: '100%' }}>
        <thead>
          <tr>
            {names.map((n, k) => (
              <th key={k} style={{ ...cell, textAlign: cols[k].type === FieldType.number ? 'right' : 'left', color: theme.colors.primary.text, fontWeight: 500 }}>
                {n}
                {k === sortCol ? (sortBy.desc ? ' ↓' : ' ↑') : ''}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {order.map((row) => (
            <tr key={row} data-mark="row">
              {cols.map((f, k) => {
                const { unit, decimals } = fieldUnit(f, panel);
                return (
                  <td key={k} style={{ ...cell, textAlign: f.type === FieldType.number ? 'right' : 'left' }}>
                    {fmt(values(f)[row], unit, decimals)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const RENDERERS: Record<string, (p: RendererProps) => React.ReactElement> = {
  timeseries: TimeSeriesPanel,
  stat: StatPanel,
  heatmap: HeatmapPanel,
  histogram: HistogramPanel,
  nodeGraph: NodeGraphPanel,
  table: TablePanel,
};

function Panel({ panel, result, theme, colW, from, to }: { panel: PanelJson; result: PanelResult; theme: GrafanaTheme2; colW: number; from: number; to: number }) {
  const { x, y, w, h } = panel.gridPos;
  const width = w * colW + (w - 1) * GRID_GAP;
  const height = h * GRID_ROW + (h - 1) * GRID_GAP;
  const body = { width: width - 16, height: height - HEADER - 8 };
  const Renderer = RENDERERS[panel.type];
  return (
    <div
      data-panel={panel.title}
      data-panel-type={panel.type}
      style={{
        position: 'absolute',
        left: x * (colW + GRID_GAP),
        top: y * (GRID_ROW + GRID_GAP),
        width,
        height,
        boxSizing: 'border-box',
        background: theme.colors.background.primary,
        border: `1px solid ${theme.colors.border.weak}`,
        borderRadius: theme.shape.radius.default,
        overflow: 'hidden',
      }}
    >
      <div style={{ height: HEADER, lineHeight: `${HEADER}px`, padding: '0 8px', fontSize: 14, fontWeight: 500, color: theme.colors.text.primary, whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' }}>{panel.title}</div>
      <div style={{ position: 'relative', margin: '0 8px 8px', ...body }}>
        {result.errors.length > 0 ? (
          <div style={{ color: theme.colors.error.text, fontSize: 12 }}>{result.errors.map((e) => e.message).join('; ')}</div>
        ) : Renderer ? (
          <Renderer panel={panel} frames={result.frames} theme={theme} from={from} to={to} {...body} />
        ) : (
          <div style={{ color: theme.colors.text.secondary }}>nfscope's preview has no renderer for {panel.type} panels</div>
        )}
      </div>
    </div>
  );
}

export function DashboardPreview(props: { dashboard: DashboardJson; file: string; results: PanelResult[]; theme: GrafanaTheme2; width: number; from: number; to: number }) {
  const { dashboard, results, theme, width, from, to } = props;
  const colW = (width - 23 * GRID_GAP) / 24;
  const vars = dashboard.templating?.list ?? [];
  return (
    <div style={{ width, fontFamily: theme.typography.fontFamily, color: theme.colors.text.primary }}>
      <div style={{ display: 'flex', alignItems: 'baseline', gap: 16, marginBottom: 6 }}>
        <span style={{ fontSize: 18, fontWeight: 500 }}>{dashboard.title}</span>
        <span style={{ fontSize: 12, color: theme.colors.text.secondary }}>
          {timeOfDay(from)} – {timeOfDay(to)} UTC
        </span>
      </div>
      <div data-caption style={{ marginBottom: 8, fontSize: 12, color: theme.colors.text.secondary }}>
        nfscope's preview renderer drawing the queries of {props.file} as the nfscope data source returned them from a live exporter on the 5G testbed — not Grafana's panels.
      </div>
      <div style={{ display: 'flex', gap: 8, marginBottom: 8 }}>
        {vars.map((v) => (
          <span key={v.name} style={{ fontSize: 12, border: `1px solid ${theme.colors.border.medium}`, borderRadius: 2, overflow: 'hidden' }}>
            <span style={{ padding: '3px 8px', display: 'inline-block', background: theme.colors.background.secondary }}>{v.label ?? v.name}</span>
            <span style={{ padding: '3px 8px', display: 'inline-block' }}>All</span>
          </span>
        ))}
      </div>
      <div style={{ position: 'relative', height: dashboardHeight(dashboard) }}>
        {dashboard.panels.map((p, i) => (
          <Panel key={i} panel={p} result={results[i]} theme={theme} colW={colW} from={from} to={to} />
        ))}
      </div>
    </div>
  );
}
