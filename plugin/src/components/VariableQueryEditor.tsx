/**
 * The editor of a Query variable on this data source: what to list (NFs, NF
 * types, procedures, interfaces, drop reasons, nodes, any label's values).
 * Multi-value and "Include All" are Grafana's own variable options; an All
 * selection puts no constraint on the label it is used for.
 */
import React, { useEffect, useState, type ChangeEvent } from 'react';
import type { QueryEditorProps, SelectableValue } from '@grafana/data';
import { EditorField, EditorRow, EditorRows } from '@grafana/plugin-ui';
import { Input, RadioButtonGroup, Select } from '@grafana/ui';
import type { DataSource } from '../datasource';
import { VARIABLE_KINDS, type NfscopeOptions, type NfscopeQuery, type NfscopeVariableQuery, type Scope, type VariableKind } from '../types';

export type VariableQueryEditorProps = QueryEditorProps<DataSource, NfscopeQuery, NfscopeOptions, NfscopeVariableQuery>;

const KIND_OPTIONS: Array<SelectableValue<VariableKind>> = (Object.keys(VARIABLE_KINDS) as VariableKind[]).map((k) => ({
  label: VARIABLE_KINDS[k].label,
  value: k,
  description: VARIABLE_KINDS[k].description,
}));

const SCOPES: Array<SelectableValue<Scope | ''>> = [
  { label: 'Default', value: '' },
  { label: 'Node', value: 'node' },
  { label: 'Cluster', value: 'cluster' },
];

export function VariableQueryEditor({ query, onChange, datasource }: VariableQueryEditorProps) {
  const q: NfscopeVariableQuery = { ...query, refId: query.refId ?? 'A', kind: query.kind ?? 'nfs' };
  const [nfType, setNfType] = useState(q.nfType ?? '');
  const [labels, setLabels] = useState<string[]>([]);

  useEffect(() => {
    if (q.kind !== 'label_values') return;
    datasource.labelNames().then(setLabels, () => setLabels([]));
  }, [q.kind, datasource]);

  return (
    <EditorRows>
      <EditorRow>
        <EditorField label="List">
          <Select<VariableKind>
            aria-label="Variable values"
            data-testid="nfscope-variable-kind"
            width={24}
            options={KIND_OPTIONS}
            value={q.kind}
            onChange={(v) => onChange({ ...q, kind: v.value! })}
          />
        </EditorField>
        {q.kind === 'nfs' && (
          <EditorField label="NF type" optional tooltip="Only NFs of this type (UPF, SMF, …); may be a variable">
            <Input
              aria-label="NF type"
              width={16}
              placeholder="any"
              value={nfType}
              onChange={(e: ChangeEvent<HTMLInputElement>) => setNfType(e.currentTarget.value)}
              onBlur={() => onChange({ ...q, nfType: nfType.trim() || undefined })}
            />
          </EditorField>
        )}
        {q.kind === 'label_values' && (
          <EditorField label="Label">
            <Select<string>
              aria-label="Label"
              width={20}
              allowCustomValue
              options={labels.map((l) => ({ label: l, value: l }))}
              value={q.label ?? null}
              onChange={(v) => onChange({ ...q, label: v.value })}
            />
          </EditorField>
        )}
        <EditorField label="Scope">
          <RadioButtonGroup<Scope | ''> options={SCOPES} value={q.scope ?? ''} onChange={(v) => onChange({ ...q, scope: v || undefined })} />
        </EditorField>
      </EditorRow>
    </EditorRows>
  );
}
