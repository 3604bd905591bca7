/** The table panel: a row per frame row, columns in their units. */
import React from 'react';
import * as grafanaData from '@grafana/data';
import type { RendererProps } from './model';
import { fieldUnit, fmt, NoData, values } from './common';

const { FieldType, getFieldDisplayName } = grafanaData;

export function TablePanel({ panel, frames, theme, height }: RendererProps) {
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
