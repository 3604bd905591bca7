/**
 * Data source settings: the exporter URL (Grafana's data proxy forwards to
 * it), an optional bearer token kept in secureJsonData (it never comes back
 * to the browser; plugin.json's route adds it on the server), the default
 * scope and a timeout.
 */
import React, { type ChangeEvent } from 'react';
import type { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { Field, Input, RadioButtonGroup, SecretInput } from '@grafana/ui';
import { ConfigSection } from '@grafana/plugin-ui';
import { DEFAULT_TIMEOUT_S } from '../datasource';
import type { NfscopeOptions, NfscopeSecureOptions, Scope } from '../types';

export type ConfigEditorProps = DataSourcePluginOptionsEditorProps<NfscopeOptions, NfscopeSecureOptions>;

const SCOPES: Array<{ label: string; value: Scope; description: string }> = [
  { label: 'Node', value: 'node', description: 'What this exporter measured on its own node' },
  { label: 'Cluster', value: 'cluster', description: "Every peer exporter's data merged, each transaction counted once" },
];

/** Why a URL will not work, or undefined. */
export function urlProblem(url: string | undefined): string | undefined {
  if (!url) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'Not a URL: write it as http://HOST:9810';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'Use an http:// or https:// URL';
  if (u.pathname !== '/' && u.pathname !== '') return 'Give the exporter itself (http://HOST:PORT), without a path';
  return undefined;
}

export function ConfigEditor({ options, onOptionsChange }: ConfigEditorProps) {
  const jsonData = options.jsonData ?? {};
  const tokenConfigured = Boolean(options.secureJsonFields?.bearerToken);
  const problem = urlProblem(options.url);

  const setJson = (patch: Partial<NfscopeOptions>) => onOptionsChange({ ...options, jsonData: { ...jsonData, ...patch } });

  return (
    <>
      <p>
        nfscope measures latency, errors and packet drops between 5G network functions in the kernel. Point this data source at one nfscope exporter; with the cluster scope it answers for every node
        it has as peers.
      </p>
      <ConfigSection title="Exporter" description="Grafana's server connects to the exporter; the browser talks only to Grafana.">
        <Field label="URL" description="The exporter's API, for example http://worker-1:9810" required invalid={Boolean(problem)} error={problem}>
          <Input
            id="nfscope-url"
            aria-label="Exporter URL"
            width={48}
            placeholder="http://localhost:9810"
            value={options.url ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) => onOptionsChange({ ...options, url: e.currentTarget.value.trim(), access: 'proxy' })}
          />
        </Field>
        <Field label="Bearer token" description="Only when the exporter is configured with a token. Stored encrypted; it is never sent back to the browser.">
          <SecretInput
            id="nfscope-token"
            aria-label="Bearer token"
            width={48}
            isConfigured={tokenConfigured}
            value={options.secureJsonData?.bearerToken ?? ''}
            placeholder="token"
            onChange={(e: ChangeEvent<HTMLInputElement>) => onOptionsChange({ ...options, secureJsonData: { ...options.secureJsonData, bearerToken: e.currentTarget.value } })}
            onReset={() =>
              onOptionsChange({
                ...options,
                secureJsonFields: { ...options.secureJsonFields, bearerToken: false },
                secureJsonData: { ...options.secureJsonData, bearerToken: '' },
              })
            }
          />
        </Field>
      </ConfigSection>
      <ConfigSection title="Queries">
        <Field label="Default scope" description="Used by queries that do not choose one; cluster needs the exporter's peers configured.">
          <RadioButtonGroup<Scope> options={SCOPES} value={jsonData.defaultScope ?? 'node'} onChange={(v) => setJson({ defaultScope: v })} />
        </Field>
        <Field label="Timeout" description={`Seconds to wait for an answer (default ${DEFAULT_TIMEOUT_S}). Grafana's data proxy uses the same value.`}>
          <Input
            id="nfscope-timeout"
            aria-label="Timeout"
            type="number"
            min={1}
            width={12}
            placeholder={String(DEFAULT_TIMEOUT_S)}
            value={jsonData.timeout ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) => {
              const v = e.currentTarget.value;
              setJson({ timeout: v === '' ? undefined : Math.max(1, Number(v)) });
            }}
          />
        </Field>
      </ConfigSection>
    </>
  );
}
