import type { Field } from '@grafana/data';
import type { RendererProps } from './model';
import { fmt, NoData, numeric, ORANGES, ramp, timeOfDay, timeTicks, values } from './common';

/**
 * A heatmap-cells frame (xMax, yMin, yMax, count) as Grafana's heatmap draws
 * a sparse one: each cell over the step that ends at its xMax, between its
 * own yMin and yMax on a log2 y axis, so unequal buckets keep their heights.
 */
export function HeatmapPanel({ panel, frames, theme, width, height, from, to }: RendererProps) {
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
        <rect
          key={i}
          data-mark="cell"
          x={X(xs[i]) - cellW}
          y={Y(hi[i]) + 0.5}
          width={cellW}
          height={Math.max(1, Y(lo[i]) - Y(hi[i]) - 1)}
          fill={ramp(ORANGES, Math.pow(counts[i] / maxCount, exponent))}
        />
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
