/** The time series panel: a line (and fill) per series, broken at nulls, with its legend and calculations. */
import React from 'react';
import type { GrafanaTheme2 } from '@grafana/data';
import type { RendererProps } from './model';
import { fmt, niceMax, NoData, Series, seriesColor, ticks, timeOfDay, timeSeries, timeTicks } from './common';

export function TimeSeriesPanel({ panel, frames, theme, width, height, from, to }: RendererProps) {
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
  const barW = Math.max(1, (step / (to - from)) * plot.w * 0.8);

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
          const area = segments
            .map(
              (seg) =>
                `M${seg[0][0].toFixed(1)},${Y(Math.max(min, 0))}L${seg.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join('L')}L${seg[seg.length - 1][0].toFixed(1)},${Y(Math.max(min, 0))}Z`,
            )
            .join('');
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
export const LEGEND_ROW = 20;

export function Swatch({ color }: { color: string }) {
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
