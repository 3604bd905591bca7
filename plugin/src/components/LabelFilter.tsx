/**
 * A multi-select for one label's values, fed by the exporter's label
 * endpoint when the menu opens, with the dashboard's variables offered first
 * and free text allowed (a value that has not been seen yet, a regex-free
 * literal).
 */
import React, { useCallback, useState } from 'react';
import type { SelectableValue, TimeRange } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { MultiSelect } from '@grafana/ui';
import type { DataSource } from '../datasource';
import type { Scope } from '../types';

export interface LabelFilterProps {
  datasource: DataSource;
  label: string;
  /** Shown name, also the select's accessible name. */
  title: string;
  values: string[];
  onChange: (values: string[]) => void;
  range?: TimeRange;
  scope?: Scope;
  /** Values to offer even before the exporter has seen them (interfaces). */
  known?: string[];
  width?: number;
}

export function variableOptions(): Array<SelectableValue<string>> {
  try {
    return getTemplateSrv()
      .getVariables()
      .map((v) => ({ label: `$${v.name}`, value: `$${v.name}`, description: 'Dashboard variable' }));
  } catch {
    return [];
  }
}

export function LabelFilter({ datasource, label, title, values, onChange, range, scope, known = [], width = 25 }: LabelFilterProps) {
  const [options, setOptions] = useState<Array<SelectableValue<string>>>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const load = useCallback(async () => {
    setLoading(true);
    setError(undefined);
    try {
      const seen = await datasource.labelValues(label, range, scope);
      const all = [...new Set([...seen, ...known])].sort();
      setOptions([...variableOptions(), ...all.map((v) => ({ label: v, value: v }))]);
    } catch (e) {
      setError((e as Error).message);
      setOptions([...variableOptions(), ...known.map((v) => ({ label: v, value: v }))]);
    } finally {
      setLoading(false);
    }
  }, [datasource, label, range, scope, known]);

  return (
    <MultiSelect<string>
      aria-label={title}
      data-testid={`nfscope-filter-${label}`}
      inputId={`nfscope-filter-${label}`}
      width={width}
      placeholder="any"
      isLoading={loading}
      isClearable
      allowCustomValue
      options={options}
      noOptionsMessage={error ?? 'No values in this time range'}
      value={values.map((v) => ({ label: v, value: v }))}
      onOpenMenu={load}
      onChange={(sel: Array<SelectableValue<string>>) => onChange(sel.map((s) => s.value!).filter(Boolean))}
    />
  );
}
