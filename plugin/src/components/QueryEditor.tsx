/**
 * The query editor, laid out like Grafana's Prometheus and Loki builders: the
 * query kind first, then label filters, then a collapsible Options row whose
 * summary shows what is set. Selects run the query when they change; text
 * inputs when they lose focus.
 */
import React, { useState, type ChangeEvent } from 'react';
import type { QueryEditorProps, SelectableValue } from '@grafana/data';
import { EditorField, EditorFieldGroup, EditorRow, EditorRows, QueryOptionGroup } from '@grafana/plugin-ui';
import { Input, MultiSelect, RadioButtonGroup, Select } from '@grafana/ui';
import type { DataSource } from '../datasource';
import { parseFilters } from '../query';
import {
  DEFAULT_QUANTILES,
  DROP_CLASSES,
  FILTER_LABELS,
  KIND_ORDER,
  KINDS,
  KNOWN_INTERFACES,
  type FilterLabel,
  type NfscopeOptions,
  type NfscopeQuery,
  type QueryKind,
  type Scope,
  type TrafficMetric,
  type Vantage,
} from '../types';
import { LabelFilter } from './LabelFilter';

export type Props = QueryEditorProps<DataSource, NfscopeQuery, NfscopeOptions>;

const KIND_OPTIONS: Array<SelectableValue<QueryKind>> = KIND_ORDER.map((k) => ({ label: KINDS[k].label, value: k, description: KINDS[k].description }));
const QUANTILE_OPTIONS = [0.5, 0.75, 0.9, 0.95, 0.99, 0.999].map((q) => ({ label: `p${q * 100}`, value: q }));
const VANTAGES: Array<SelectableValue<Vantage>> = [
  { label: 'Auto', value: 'auto', description: 'Every transaction once, the client side preferred' },
  { label: 'Client', value: 'client', description: 'Full round trip as the client NF sees it' },
  { label: 'Server', value: 'server', description: 'Processing time as the server NF sees it' },
];
const SCOPES: Array<SelectableValue<Scope | ''>> = [
  { label: 'Default', value: '', description: "The data source's default scope" },
  { label: 'Node', value: 'node' },
  { label: 'Cluster', value: 'cluster' },
];
const METRICS: Array<SelectableValue<TrafficMetric>> = [
  { label: 'Packets/s', value: 'packets' },
  { label: 'Bytes/s', value: 'bytes' },
];
const OCTAVES = [1, 2, 4, 8, 16].map((n) => ({ label: String(n), value: n, description: n === 16 ? "the kernel's full resolution" : undefined }));

function quantileLabel(q: number): string {
  return `p${Math.round(q * 100000) / 1000}`;
}

export function QueryEditor({ query, onChange, onRunQuery, datasource, range }: Props) {
  const kind: QueryKind = query.kind && KINDS[query.kind] ? query.kind : 'latency_percentiles';
  const info = KINDS[kind];
  const scope = query.scope ?? datasource.defaultScope;
  const [extra, setExtra] = useState(query.extraFilters ?? '');
  const [extraError, setExtraError] = useState<string | undefined>();
  const [legend, setLegend] = useState(query.legendFormat ?? '');

  const change = (patch: Partial<NfscopeQuery>, run = true) => {
    onChange({ ...query, kind, ...patch });
    if (run) onRunQuery();
  };
  const setFilter = (label: FilterLabel, values: string[]) => {
    const filters = { ...query.filters };
    if (values.length > 0) filters[label] = values;
    else delete filters[label];
    change({ filters });
  };

  const quantiles = query.quantiles && query.quantiles.length > 0 ? query.quantiles : DEFAULT_QUANTILES;
  const collapsed: string[] = [];
  if (kind === 'latency_percentiles') collapsed.push(`Quantiles: ${quantiles.map(quantileLabel).join(', ')}`);
  if (info.groupLabels.length > 0) collapsed.push(`Group by: ${(query.groupBy?.length ? query.groupBy : info.defaultGroupBy).join(', ') || 'none'}`);
  if (info.timeSeries) collapsed.push(`Legend: ${query.legendFormat || 'Auto'}`);
  if (info.vantage) collapsed.push(`Vantage: ${query.vantage ?? 'auto'}`);
  collapsed.push(`Scope: ${scope}`);
  if (kind === 'traffic') collapsed.push(`Metric: ${query.metric ?? 'packets'}`);

  return (
    <EditorRows>
      <EditorRow>
        <EditorField label="Query kind" tooltip={info.description}>
          <Select<QueryKind> aria-label="Query kind" data-testid="nfscope-kind" inputId="nfscope-kind" width={28} options={KIND_OPTIONS} value={kind} onChange={(v) => change({ kind: v.value! })} />
        </EditorField>
      </EditorRow>
      <EditorRow>
        <EditorFieldGroup>
          {info.filters.map((label) => (
            <EditorField key={label} label={FILTER_LABELS[label]} optional>
              <LabelFilter
                datasource={datasource}
                label={label}
                title={FILTER_LABELS[label]}
                values={query.filters?.[label] ?? []}
                onChange={(v) => setFilter(label, v)}
                range={range}
                scope={scope}
                known={label === 'interface' ? KNOWN_INTERFACES : label === 'class' ? DROP_CLASSES : undefined}
              />
            </EditorField>
          ))}
        </EditorFieldGroup>
      </EditorRow>
      <EditorRow>
        <EditorField
          label="Extra filters"
          optional
          tooltip="LABEL=V, LABEL!=V, LABEL=~REGEX, LABEL!~REGEX separated by ';'. A comma-separated list after = means any of them."
          invalid={Boolean(extraError)}
          error={extraError}
        >
          <Input
            aria-label="Extra filters"
            data-testid="nfscope-extra-filters"
            width={60}
            placeholder="procedure!=Heartbeat; client_nf=~smf-.*"
            value={extra}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setExtra(e.currentTarget.value)}
            onBlur={() => {
              try {
                parseFilters(extra);
                setExtraError(undefined);
                if (extra !== (query.extraFilters ?? '')) change({ extraFilters: extra || undefined });
              } catch (e) {
                setExtraError((e as Error).message);
              }
            }}
          />
        </EditorField>
      </EditorRow>
      <EditorRow>
        <QueryOptionGroup title="Options" collapsedInfo={collapsed}>
          {kind === 'latency_percentiles' && (
            <EditorField label="Quantiles" tooltip="Each between 0 and 1; type one that is not listed (0.995)">
              <MultiSelect<number>
                aria-label="Quantiles"
                data-testid="nfscope-quantiles"
                width={40}
                allowCustomValue
                options={QUANTILE_OPTIONS}
                value={quantiles.map((q) => ({ label: quantileLabel(q), value: q }))}
                onChange={(sel: Array<SelectableValue<number>>) => {
                  const qs = sel.map((s) => Number(s.value)).filter((q) => q > 0 && q < 1);
                  change({ quantiles: qs.length > 0 ? qs : undefined });
                }}
              />
            </EditorField>
          )}
          {info.groupLabels.length > 0 && (
            <EditorField label="Group by" tooltip="Labels that keep series apart; every other label is summed">
              <MultiSelect<string>
                aria-label="Group by"
                data-testid="nfscope-group-by"
                width={40}
                placeholder={info.defaultGroupBy.join(', ') || 'all summed'}
                options={info.groupLabels.map((l) => ({ label: l, value: l }))}
                value={(query.groupBy ?? []).map((g) => ({ label: g, value: g }))}
                onChange={(sel: Array<SelectableValue<string>>) => change({ groupBy: sel.map((s) => s.value!).filter(Boolean) })}
              />
            </EditorField>
          )}
          {(info.timeSeries || kind === 'latency_distribution') && (
            <EditorField label="Legend" tooltip="{{label}} placeholders, e.g. {{client_nf}} → {{server_nf}} p{{quantile}}; empty: the exporter's series names">
              <Input
                aria-label="Legend"
                data-testid="nfscope-legend"
                width={40}
                placeholder="Auto"
                value={legend}
                onChange={(e: ChangeEvent<HTMLInputElement>) => setLegend(e.currentTarget.value)}
                onBlur={() => {
                  if (legend !== (query.legendFormat ?? '')) change({ legendFormat: legend || undefined });
                }}
              />
            </EditorField>
          )}
          {kind === 'traffic' && (
            <EditorField label="Metric">
              <RadioButtonGroup<TrafficMetric> options={METRICS} value={query.metric ?? 'packets'} onChange={(v) => change({ metric: v })} />
            </EditorField>
          )}
          {(kind === 'latency_heatmap' || kind === 'latency_distribution') && (
            <EditorField label="Buckets per octave" tooltip="Histogram resolution: buckets per doubling of latency">
              <Select<number>
                aria-label="Buckets per octave"
                width={12}
                options={OCTAVES}
                value={query.bucketsPerOctave ?? 4}
                onChange={(v) => change({ bucketsPerOctave: v.value as NfscopeQuery['bucketsPerOctave'] })}
              />
            </EditorField>
          )}
          {info.vantage && (
            <EditorField label="Vantage">
              <RadioButtonGroup<Vantage> options={VANTAGES} value={query.vantage ?? 'auto'} onChange={(v) => change({ vantage: v })} />
            </EditorField>
          )}
          <EditorField label="Scope">
            <RadioButtonGroup<Scope | ''> options={SCOPES} value={query.scope ?? ''} onChange={(v) => change({ scope: v || undefined })} />
          </EditorField>
        </QueryOptionGroup>
      </EditorRow>
    </EditorRows>
  );
}
