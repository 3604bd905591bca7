/**
 * The data source: sends queries to an nfscope exporter through Grafana's
 * data proxy (the exporter URL and bearer token stay on the server) and turns
 * the answers into frames.
 */
import { DataSourceApi, type DataQueryRequest, type DataQueryResponse, type DataSourceInstanceSettings, type MetricFindValue, type ScopedVars, type TimeRange } from '@grafana/data';
import { getBackendSrv, getTemplateSrv, type FetchError } from '@grafana/runtime';
import type { NfsAnswer, StatusAnswer } from '@nfscope/api';
import { lastValueFrom, timeout as rxTimeout, TimeoutError } from 'rxjs';
import { answerNotices, answerToFrames } from './frames';
import { templateInterpolator } from './interpolate';
import { buildQueryBody, filterValues, parseFilters, type Interpolator } from './query';
import { DEFAULT_QUERY, type FilterLabel, type NfscopeOptions, type NfscopeQuery, type NfscopeVariableQuery, type Scope } from './types';
import { NfscopeVariableSupport } from './variables';

export const DEFAULT_TIMEOUT_S = 30;

/** Labels a virtual filter label stands for when listing values (the API keeps `nf`/`nf_type` as filters only). */
const VALUE_SOURCES: Partial<Record<FilterLabel, string[]>> = {
  nf: ['client_nf', 'server_nf', 'src_nf', 'dst_nf', 'nf'],
  nf_type: ['client_type', 'server_type', 'nf_type'],
};

/** /api/v1/status as the contract has it, every part optional: the URL may not be an nfscope exporter, or an older one. */
export type ExporterStatus = Partial<Omit<StatusAnswer, 'config'>> & { config?: Partial<StatusAnswer['config']> };

export type ExporterNf = NfsAnswer['nfs'][number];

/** An exporter or data-proxy failure, with a message a person can act on. */
export class ExporterError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

function errorText(data: unknown): string | undefined {
  if (typeof data === 'string') return data.trim() || undefined;
  if (data && typeof data === 'object') {
    const d = data as { error?: unknown; message?: unknown };
    if (typeof d.error === 'string') return d.error;
    if (typeof d.message === 'string') return d.message;
  }
  return undefined;
}

export class DataSource extends DataSourceApi<NfscopeQuery, NfscopeOptions> {
  readonly url: string;
  readonly defaultScope: Scope;
  readonly timeoutMs: number;

  constructor(settings: DataSourceInstanceSettings<NfscopeOptions>) {
    super(settings);
    this.url = (settings.url ?? '').replace(/\/+$/, '');
    this.defaultScope = settings.jsonData?.defaultScope === 'cluster' ? 'cluster' : 'node';
    const t = Number(settings.jsonData?.timeout);
    this.timeoutMs = (Number.isFinite(t) && t > 0 ? t : DEFAULT_TIMEOUT_S) * 1000;
    this.variables = new NfscopeVariableSupport(this);
  }

  getDefaultQuery(): Partial<NfscopeQuery> {
    return DEFAULT_QUERY;
  }

  filterQuery(q: NfscopeQuery): boolean {
    return !q.hide;
  }

  /** GET or POST through the data proxy; rejects with an ExporterError that says what to do. */
  async request<T>(path: string, opts: { method?: 'GET' | 'POST'; params?: Record<string, string | number>; data?: unknown; requestId?: string } = {}): Promise<T> {
    const url = `${this.url}${path}`;
    try {
      const res = await lastValueFrom(
        getBackendSrv()
          .fetch<T>({ url, method: opts.method ?? 'GET', params: opts.params, data: opts.data, requestId: opts.requestId, showErrorAlert: false })
          .pipe(rxTimeout(this.timeoutMs)),
      );
      return res.data;
    } catch (e) {
      throw this.explain(e, path);
    }
  }

  private explain(e: unknown, path: string): ExporterError {
    if (e instanceof TimeoutError) {
      return new ExporterError(`The exporter did not answer ${path} within ${this.timeoutMs / 1000} s. Check that it is running, or raise the timeout in the data source settings.`);
    }
    const fe = e as FetchError;
    const status = typeof fe?.status === 'number' ? fe.status : undefined;
    const text = errorText(fe?.data) ?? (fe as unknown as Error)?.message ?? fe?.statusText;
    switch (status) {
      case undefined:
      case 0:
      case -1:
        return new ExporterError(`Could not reach the exporter (${text ?? 'network error'}). Check the exporter URL in the data source settings.`);
      case 400:
        return new ExporterError(`The exporter refused the query: ${text ?? 'bad request'}`, status);
      case 401:
      case 403:
        return new ExporterError(
          `The exporter rejected the credentials (${status}${text ? `: ${text}` : ''}). Check the bearer token in the data source settings against the exporter's configured token.`,
          status,
        );
      case 404:
        return new ExporterError(
          `${path} does not exist at the exporter URL (404${text ? `: ${text}` : ''}). Check that the URL points at an nfscope exporter (default port 9810) with the query API (/api/v1).`,
          status,
        );
      case 502:
      case 503:
      case 504:
        return new ExporterError(
          `Grafana could not get an answer from the exporter (${status}${text ? `: ${text}` : ''}). Check the URL, that the exporter runs, and that Grafana's server can reach it.`,
          status,
        );
      default:
        return new ExporterError(`The exporter answered ${status}${text ? `: ${text}` : ''}`, status);
    }
  }

  interpolator(scopedVars?: ScopedVars): Interpolator {
    return templateInterpolator(getTemplateSrv(), scopedVars);
  }

  async query(request: DataQueryRequest<NfscopeQuery>): Promise<DataQueryResponse> {
    const interp = this.interpolator(request.scopedVars);
    const targets = request.targets.filter((t) => this.filterQuery(t));
    const results = await Promise.all(
      targets.map(async (target) => {
        try {
          const q = { ...DEFAULT_QUERY, ...target };
          const body = buildQueryBody(q, { from: request.range.from.valueOf(), to: request.range.to.valueOf(), intervalMs: request.intervalMs, defaultScope: this.defaultScope }, interp);
          const answer = await this.request<unknown>('/api/v1/query', { method: 'POST', data: body, requestId: request.requestId ? `${request.requestId}_${target.refId}` : undefined });
          const frames = answerToFrames(answer, q);
          const notices = frames.length === 0 ? answerNotices(answer) : [];
          return { frames, error: undefined, notices };
        } catch (e) {
          return { frames: [], error: { refId: target.refId, message: (e as Error).message }, notices: [] };
        }
      }),
    );
    const errors = results.flatMap((r) => (r.error ? [r.error] : []));
    return { data: results.flatMap((r) => r.frames), errors: errors.length ? errors : undefined, error: errors[0] };
  }

  /** Queries with variables replaced, for Explore and for sharing (multi-value variables become value lists). */
  interpolateVariablesInQueries(queries: NfscopeQuery[], scopedVars: ScopedVars): NfscopeQuery[] {
    const interp = this.interpolator(scopedVars);
    return queries.map((q) => {
      const filters: NfscopeQuery['filters'] = {};
      for (const [label, values] of Object.entries(q.filters ?? {})) {
        const v = filterValues(values, interp);
        if (v) filters[label as FilterLabel] = v;
      }
      const out: NfscopeQuery = { ...q, datasource: this.getRef(), filters };
      if (q.extraFilters) {
        out.extraFilters = parseFilters(q.extraFilters)
          .flatMap((f) => {
            if (f.op === '=~' || f.op === '!~') return [`${f.label}${f.op}${interp.regex(f.value as string)}`];
            const v = filterValues(Array.isArray(f.value) ? f.value : [f.value], interp);
            return v ? [`${f.label}${f.op}${v.join(',')}`] : [];
          })
          .join('; ');
      }
      if (q.groupBy)
        out.groupBy = q.groupBy.flatMap((g) => {
          const r = interp.values(g);
          return r === 'all' ? [] : r;
        });
      return out;
    });
  }

  private rangeParams(range?: TimeRange, scope?: Scope): Record<string, string | number> {
    const p: Record<string, string | number> = { scope: scope ?? this.defaultScope };
    if (range) {
      p.from = range.from.valueOf();
      p.to = range.to.valueOf();
    }
    return p;
  }

  /** Values of one label in the range; virtual labels (nf, nf_type) list the union of what they stand for. */
  async labelValues(label: string, range?: TimeRange, scope?: Scope): Promise<string[]> {
    const sources = VALUE_SOURCES[label as FilterLabel] ?? [label];
    const params = this.rangeParams(range, scope);
    const lists = await Promise.all(
      sources.map((name) =>
        this.request<{ values?: string[] }>(`/api/v1/labels/${encodeURIComponent(name)}/values`, { params }).then(
          (r) => r.values ?? [],
          (e: ExporterError) => {
            // A virtual label's sources exist for different kinds; one the exporter does not know is not an error here.
            if (sources.length > 1 && e.status === 400) return [];
            throw e;
          },
        ),
      ),
    );
    return [...new Set(lists.flat())].sort();
  }

  async labelNames(): Promise<string[]> {
    const r = await this.request<{ labels?: string[] }>('/api/v1/labels');
    return r.labels ?? [];
  }

  async nfs(): Promise<ExporterNf[]> {
    const r = await this.request<{ nfs?: ExporterNf[] }>('/api/v1/nfs');
    return r.nfs ?? [];
  }

  /** The values a template variable offers. */
  async variableValues(query: NfscopeVariableQuery, range?: TimeRange, scopedVars?: ScopedVars): Promise<string[]> {
    const scope = query.scope ?? this.defaultScope;
    switch (query.kind) {
      case 'nfs': {
        const type = query.nfType ? getTemplateSrv().replace(query.nfType, scopedVars) : '';
        return (await this.nfs()).filter((n) => !type || type === '$__all' || n.type === type).map((n) => n.name);
      }
      case 'nf_types':
        return [...new Set((await this.nfs()).map((n) => n.type))].sort();
      case 'procedures':
        return this.labelValues('procedure', range, scope);
      case 'interfaces':
        return this.labelValues('interface', range, scope);
      case 'reasons':
        return this.labelValues('reason', range, scope);
      case 'nodes':
        return this.labelValues('node', range, scope);
      case 'label_values':
        if (!query.label) throw new ExporterError('Label values: choose the label whose values the variable lists.');
        return this.labelValues(getTemplateSrv().replace(query.label, scopedVars), range, scope);
      default:
        throw new ExporterError(`variable query: "${(query as { kind?: string }).kind}" is not a kind of variable query`);
    }
  }

  async metricFindQuery(query: NfscopeVariableQuery | string, options?: { range?: TimeRange; scopedVars?: ScopedVars }): Promise<MetricFindValue[]> {
    const q: NfscopeVariableQuery = typeof query === 'string' ? parseVariableQuery(query) : query;
    return (await this.variableValues(q, options?.range, options?.scopedVars)).map((text) => ({ text, value: text }));
  }

  async testDatasource(): Promise<{ status: 'success' | 'error'; message: string }> {
    if (!this.url) return { status: 'error', message: 'No exporter URL: set the URL of an nfscope exporter (for example http://worker-1:9810).' };
    let s: ExporterStatus;
    try {
      s = await this.request<ExporterStatus>('/api/v1/status');
    } catch (e) {
      return { status: 'error', message: (e as Error).message };
    }
    if (!s || typeof s !== 'object' || !Array.isArray(s.programs)) {
      return { status: 'error', message: 'The URL answered /api/v1/status, but not as an nfscope exporter does (no "programs"). Check the URL.' };
    }
    const attached = s.programs.filter((p) => (p.attach_points?.length ?? 0) > 0).length;
    const nfs = s.config?.nfs ?? 0;
    const peers = s.config?.peers?.length ?? 0;
    const what = `nfscope exporter on ${s.node ?? 'an unnamed node'}${s.version ? ` (v${s.version})` : ''}, kernel ${s.kernel ?? 'unknown'}: ${attached} of ${s.programs.length} eBPF programs attached, ${nfs} NFs configured${peers ? `, ${peers} peers for cluster queries` : ''}.`;
    if (s.ready === false || attached === 0) {
      return { status: 'error', message: `${what} It is not measuring yet: no programs are attached. Check that the exporter's "interfaces" patterns match this node's interfaces and read its log.` };
    }
    if (nfs === 0) {
      return { status: 'error', message: `${what} No NFs are configured, so every address is "unknown": add the NFs to the exporter's "nfs" list.` };
    }
    return { status: 'success', message: what };
  }
}

/** A variable query written as text (older dashboards, the API): `nfs`, `nfs(UPF)`, `label_values(procedure)`. */
export function parseVariableQuery(text: string): NfscopeVariableQuery {
  const m = /^\s*([a-z_]+)\s*(?:\(\s*([^)]*?)\s*\))?\s*$/.exec(text);
  const kinds = ['nfs', 'nf_types', 'procedures', 'interfaces', 'reasons', 'nodes', 'label_values'];
  if (!m || !kinds.includes(m[1])) throw new ExporterError(`variable query "${text}": use one of ${kinds.join(', ')} (nfs(TYPE), label_values(LABEL))`);
  const kind = m[1] as NfscopeVariableQuery['kind'];
  if (kind === 'nfs') return { refId: 'A', kind, nfType: m[2] || undefined };
  if (kind === 'label_values') return { refId: 'A', kind, label: m[2] || undefined };
  return { refId: 'A', kind };
}
