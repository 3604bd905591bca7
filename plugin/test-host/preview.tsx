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
import type { GrafanaTheme2 } from '@grafana/data';
import type { DashboardJson, PanelJson, PanelResult, RendererProps } from './panels/model';
import { timeOfDay } from './panels/common';
import { TimeSeriesPanel } from './panels/timeseries';
import { StatPanel } from './panels/stat';
import { HeatmapPanel } from './panels/heatmap';
import { HistogramPanel } from './panels/histogram';
import { NodeGraphPanel } from './panels/nodegraph';
import { TablePanel } from './panels/table';

export type { DashboardJson, PanelJson, PanelResult };

// Grafana's grid: 24 columns, rows of 30 px, 8 px between panels.
const GRID_ROW = 30;
const GRID_GAP = 8;
const HEADER = 32;

export function dashboardHeight(d: DashboardJson): number {
  const rows = Math.max(0, ...d.panels.map((p) => p.gridPos.y + p.gridPos.h));
  return rows * (GRID_ROW + GRID_GAP) - GRID_GAP;
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
      <div
        style={{
          height: HEADER,
          lineHeight: `${HEADER}px`,
          padding: '0 8px',
          fontSize: 14,
          fontWeight: 500,
          color: theme.colors.text.primary,
          whiteSpace: 'nowrap',
          overflow: 'hidden',
          textOverflow: 'ellipsis',
        }}
      >
        {panel.title}
      </div>
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
