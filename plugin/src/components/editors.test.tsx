import React from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { DataSourceSettings } from '@grafana/data';
import { FakeTemplateSrv } from '../../test-host/template-srv';
import type { NfscopeOptions, NfscopeQuery, NfscopeSecureOptions, NfscopeVariableQuery } from '../types';

const templateSrv = new FakeTemplateSrv([{ name: 'node', value: '$__all', options: ['worker-1'] }]);
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ fetch: jest.fn() }),
  getTemplateSrv: () => templateSrv,
}));

import { ConfigEditor } from './ConfigEditor';
import { QueryEditor } from './QueryEditor';
import { VariableQueryEditor } from './VariableQueryEditor';

/** The part of DataSource the editors use, answering from fixed label values. */
function fakeDatasource() {
  const values: Record<string, string[]> = { client_nf: ['gnb-1', 'smf-1'], interface: ['N4', 'N3'], procedure: ['Heartbeat', 'SessionEstablishment'] };
  return {
    defaultScope: 'node',
    labelValues: jest.fn(async (label: string) => values[label] ?? []),
    labelNames: jest.fn(async () => ['client_nf', 'procedure']),
  } as any;
}

/** Opens a @grafana/ui Select by its accessible name and clicks an option. */
async function choose(user: ReturnType<typeof userEvent.setup>, name: string, option: string) {
  await user.click(screen.getByRole('combobox', { name }));
  await user.click(await screen.findByText(option, { selector: '[role="option"] *, [role="option"]' }));
}

describe('QueryEditor', () => {
  function setup(query: Partial<NfscopeQuery> = {}) {
    const onChange = jest.fn();
    const onRunQuery = jest.fn();
    const ds = fakeDatasource();
    const user = userEvent.setup();
    const utils = render(<QueryEditor datasource={ds} query={{ refId: 'A', ...query }} onChange={onChange} onRunQuery={onRunQuery} />);
    return { ...utils, onChange, onRunQuery, ds, user };
  }

  test('a new query shows latency percentiles with the latency filters and default options', () => {
    setup();
    expect(screen.getByText('Latency percentiles')).toBeInTheDocument();
    for (const f of ['NF', 'Client NF', 'Server NF', 'NF type', 'Interface', 'Procedure', 'Node']) expect(screen.getByRole('combobox', { name: f })).toBeInTheDocument();
    expect(screen.queryByRole('combobox', { name: 'Drop reason' })).not.toBeInTheDocument();
    expect(screen.getByText(/Quantiles: p50, p90, p99/)).toBeInTheDocument();
    expect(screen.getByText(/Group by: client_nf, server_nf, interface, procedure/)).toBeInTheDocument();
  });

  test('choosing another kind changes the query and runs it; the filters follow the kind', async () => {
    const { user, onChange, onRunQuery, rerender, ds } = setup();
    await choose(user, 'Query kind', 'Packet drops');
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', kind: 'drops' });
    expect(onRunQuery).toHaveBeenCalled();
    rerender(<QueryEditor datasource={ds} query={{ refId: 'A', kind: 'drops' }} onChange={onChange} onRunQuery={onRunQuery} />);
    expect(screen.getByRole('combobox', { name: 'Drop reason' })).toBeInTheDocument();
    expect(screen.queryByRole('combobox', { name: 'Client NF' })).not.toBeInTheDocument();
  });

  test('a filter offers the values of the label endpoint and the dashboard variables', async () => {
    const { user, onChange, ds } = setup();
    await user.click(screen.getByRole('combobox', { name: 'Client NF' }));
    expect(ds.labelValues).toHaveBeenCalledWith('client_nf', undefined, 'node');
    expect(await screen.findByText('smf-1')).toBeInTheDocument();
    expect(screen.getByText('$node')).toBeInTheDocument();
    await user.click(screen.getByText('smf-1'));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', kind: 'latency_percentiles', filters: { client_nf: ['smf-1'] } });
  });

  test('the interface filter offers N2, N3, N4, N9 and SBI even before the exporter saw them', async () => {
    const { user } = setup();
    await user.click(screen.getByRole('combobox', { name: 'Interface' }));
    for (const i of ['N2', 'N3', 'N4', 'N9', 'SBI']) expect(await screen.findByText(i)).toBeInTheDocument();
  });

  test('drops have a class filter offering loss and benign even before the exporter saw them', async () => {
    const { user, onChange } = setup({ kind: 'drops' });
    await user.click(screen.getByRole('combobox', { name: 'Drop class' }));
    expect(await screen.findByText('benign')).toBeInTheDocument();
    await user.click(await screen.findByText('loss'));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', kind: 'drops', filters: { class: ['loss'] } });
  });

  test('removing the last value of a filter removes the filter', async () => {
    const { user, onChange } = setup({ filters: { procedure: ['Heartbeat'] } });
    await user.click(within(screen.getByText('Heartbeat').parentElement!).getByRole('button', { name: 'Remove' }));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', kind: 'latency_percentiles', filters: {} });
  });

  test('options: quantiles, group by, legend, vantage and scope change the query', async () => {
    const { user, onChange } = setup();
    await user.click(screen.getByText('Options'));
    await choose(user, 'Quantiles', 'p99.9');
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ quantiles: [0.5, 0.9, 0.99, 0.999] }));
    await choose(user, 'Group by', 'node');
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ groupBy: ['node'] }));
    const legend = screen.getByRole('textbox', { name: 'Legend' });
    await user.type(legend, '{{{{client_nf}} p{{{{quantile}}');
    await user.tab();
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ legendFormat: '{{client_nf}} p{{quantile}}' }));
    await user.click(screen.getByRole('radio', { name: 'Server' }));
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ vantage: 'server' }));
    await user.click(screen.getByRole('radio', { name: 'Cluster' }));
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ scope: 'cluster' }));
  });

  test('traffic offers packets or bytes; extra filters are checked before they are kept', async () => {
    const { user, onChange } = setup({ kind: 'traffic' });
    await user.click(screen.getByText('Options'));
    await user.click(screen.getByRole('radio', { name: 'Bytes/s' }));
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ kind: 'traffic', metric: 'bytes' }));
    const extra = screen.getByRole('textbox', { name: 'Extra filters' });
    await user.type(extra, 'nonsense');
    await user.tab();
    expect(await screen.findByText(/"nonsense" is not LABEL=VALUE/)).toBeInTheDocument();
    const calls = onChange.mock.calls.length;
    await user.clear(extra);
    await user.type(extra, 'src_nf=~gnb-.*');
    await user.tab();
    expect(onChange.mock.calls.length).toBe(calls + 1);
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ extraFilters: 'src_nf=~gnb-.*' }));
  });
});

describe('ConfigEditor', () => {
  function options(patch: Partial<DataSourceSettings<NfscopeOptions, NfscopeSecureOptions>> = {}) {
    return { id: 1, uid: 'nfscope', name: 'nfscope', type: 'nfscope-ebpf-datasource', access: 'proxy', url: '', jsonData: {}, secureJsonFields: {}, ...patch } as DataSourceSettings<
      NfscopeOptions,
      NfscopeSecureOptions
    >;
  }

  test('URL, default scope and timeout go into url and jsonData', async () => {
    const user = userEvent.setup();
    const onOptionsChange = jest.fn();
    const { rerender } = render(<ConfigEditor options={options()} onOptionsChange={onOptionsChange} />);
    await user.type(screen.getByRole('textbox', { name: 'Exporter URL' }), 'h');
    expect(onOptionsChange).toHaveBeenLastCalledWith(expect.objectContaining({ url: 'h', access: 'proxy' }));
    rerender(<ConfigEditor options={options({ url: 'ftp://x' })} onOptionsChange={onOptionsChange} />);
    expect(screen.getByText('Use an http:// or https:// URL')).toBeInTheDocument();
    await user.click(screen.getByRole('radio', { name: 'Cluster' }));
    expect(onOptionsChange).toHaveBeenLastCalledWith(expect.objectContaining({ jsonData: { defaultScope: 'cluster' } }));
    await user.type(screen.getByRole('spinbutton', { name: 'Timeout' }), '5');
    expect(onOptionsChange).toHaveBeenLastCalledWith(expect.objectContaining({ jsonData: { timeout: 5 } }));
  });

  test('the bearer token goes only into secureJsonData', async () => {
    const user = userEvent.setup();
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={options({ url: 'http://worker-1:9810' })} onOptionsChange={onOptionsChange} />);
    await user.type(screen.getByLabelText('Bearer token'), 's');
    const saved = onOptionsChange.mock.calls.at(-1)![0];
    expect(saved.secureJsonData).toEqual({ bearerToken: 's' });
    expect(JSON.stringify({ ...saved, secureJsonData: undefined })).not.toContain('"s"');
    expect(saved.jsonData).toEqual({});
  });

  test('a saved token is shown as configured, never as its value, and can be reset', async () => {
    const user = userEvent.setup();
    const onOptionsChange = jest.fn();
    // As Grafana passes a saved data source: secureJsonFields says a token exists, secureJsonData is absent.
    render(<ConfigEditor options={options({ url: 'http://worker-1:9810', secureJsonFields: { bearerToken: true } })} onOptionsChange={onOptionsChange} />);
    const input = screen.getByLabelText('Bearer token') as HTMLInputElement;
    expect(input.value).toBe('configured');
    expect(input).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Reset' }));
    expect(onOptionsChange).toHaveBeenLastCalledWith(expect.objectContaining({ secureJsonFields: { bearerToken: false }, secureJsonData: { bearerToken: '' } }));
  });
});

describe('VariableQueryEditor', () => {
  test('lists NFs by default and changes to procedures, label values (with the label names) and an NF type', async () => {
    const user = userEvent.setup();
    const onChange = jest.fn();
    const ds = fakeDatasource();
    const props = { datasource: ds, onChange, onRunQuery: jest.fn() };
    const { rerender } = render(<VariableQueryEditor {...props} query={{ refId: 'A' } as NfscopeVariableQuery} />);
    expect(screen.getByText('NFs')).toBeInTheDocument();
    await user.type(screen.getByRole('textbox', { name: 'NF type' }), 'UPF');
    await user.tab();
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', kind: 'nfs', nfType: 'UPF' });
    await choose(user, 'Variable values', 'Procedures');
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', kind: 'procedures' });
    rerender(<VariableQueryEditor {...props} query={{ refId: 'A', kind: 'label_values' }} />);
    await waitFor(() => expect(ds.labelNames).toHaveBeenCalled());
    await choose(user, 'Label', 'procedure');
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', kind: 'label_values', label: 'procedure' });
    await user.click(within(document.body).getByRole('radio', { name: 'Cluster' }));
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ scope: 'cluster' }));
  });
});
