/** The dashboard JSON the preview reads, a panel's query results, and what every renderer is given. */
import type { DataFrame, GrafanaTheme2 } from '@grafana/data';

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

export interface Box {
  width: number;
  height: number;
}

export interface RendererProps extends Box {
  panel: PanelJson;
  frames: DataFrame[];
  theme: GrafanaTheme2;
  from: number;
  to: number;
}
