/** The histogram panel: a bar per bucket between its xMin and xMax, per group. */
import * as grafanaData from '@grafana/data';
import type { RendererProps } from './model';
import { LEGEND_ROW, Swatch } from './timeseries';
import { fmt, niceMax, NoData, numeric, seriesColor, ticks, values } from './common';

const { getFieldDisplayName } = grafanaData;

export function HistogramPanel({ frames, theme, width, height }: RendererProps) {
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
            return (
              <rect
                key={`${i}-${k}`}
                data-mark="bar"
                x={X(b.lo) + 0.5}
                y={Y(b.n)}
                width={Math.max(1, X(hi) - X(b.lo) - 1)}
                height={plot.y + plot.h - Y(b.n)}
                fill={color}
                fillOpacity={0.5}
                stroke={color}
              />
            );
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
