/** The stat panel: the last value of each series, in its unit. */
import type { RendererProps } from './model';
import { fmt, NoData, timeSeries } from './common';

export function StatPanel({ panel, frames, theme, width, height }: RendererProps) {
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
