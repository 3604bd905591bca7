/**
 * A TemplateSrv with the behaviour of Grafana's for the cases this plugin
 * meets: `$var`, `${var}`, `${var:format}`, `[[var]]`; multi-value
 * variables; "All" (the variable's allValue, or every option); scopedVars
 * overriding the dashboard's value; formats as a function, `regex`, `csv`,
 * `pipe` and Grafana's default (glob `{a,b}` for several values). It stands
 * in for the Grafana page in the unit tests and in the browser test's host
 * page.
 */
import type { ScopedVars } from '@grafana/data';

export interface VariableState {
  name: string;
  /** The selected value(s); '$__all' for All. */
  value: string | string[];
  /** Every value the variable offers (what All stands for without an allValue). */
  options?: string[];
  allValue?: string;
  multi?: boolean;
  includeAll?: boolean;
}

const VAR_RE = /\$([A-Za-z0-9_]+)|\$\{([A-Za-z0-9_]+)(?::([A-Za-z0-9_]+))?\}|\[\[([A-Za-z0-9_]+)(?::([A-Za-z0-9_]+))?\]\]/g;

function escapeRegex(s: string): string {
  return s.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

export class FakeTemplateSrv {
  variables: VariableState[];

  constructor(variables: VariableState[] = []) {
    this.variables = variables;
  }

  getVariables() {
    return this.variables.map((v) => ({
      name: v.name,
      type: 'query',
      multi: v.multi ?? Array.isArray(v.value),
      includeAll: v.includeAll ?? true,
      allValue: v.allValue,
      current: { value: v.value, text: v.value === '$__all' ? 'All' : v.value },
      options: (v.options ?? []).map((o) => ({ text: o, value: o, selected: false })),
    })) as never[];
  }

  containsTemplate(target?: string): boolean {
    if (!target) return false;
    VAR_RE.lastIndex = 0;
    return VAR_RE.test(target);
  }

  updateTimeRange(): void {}

  getAdhocFilters(): never[] {
    return [];
  }

  private resolve(name: string, scopedVars?: ScopedVars): { value: string | string[]; variable?: VariableState } | undefined {
    const variable = this.variables.find((v) => v.name === name);
    const scoped = scopedVars?.[name];
    const raw = scoped ? scoped.value : variable?.value;
    if (raw === undefined) return undefined;
    const isAll = raw === '$__all' || (Array.isArray(raw) && raw.includes('$__all'));
    if (isAll && variable) return { value: variable.allValue ?? variable.options ?? [], variable };
    return { value: raw as string | string[], variable };
  }

  // The signature of Grafana's TemplateSrv.replace, which this stands in for.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  replace(target?: string, scopedVars?: ScopedVars, format?: string | Function): string {
    if (!target) return target ?? '';
    return target.replace(VAR_RE, (match, n1, n2, f2, n3, f3) => {
      const name = n1 ?? n2 ?? n3;
      const fmt = f2 ?? f3 ?? format;
      const r = this.resolve(name, scopedVars);
      if (!r) return match;
      const { value, variable } = r;
      if (typeof fmt === 'function') return fmt(value, variable, fmt);
      const list = Array.isArray(value) ? value : [value];
      switch (fmt) {
        case 'regex':
          return list.length === 1 ? escapeRegex(list[0]) : `(${list.map(escapeRegex).join('|')})`;
        case 'csv':
          return list.join(',');
        case 'pipe':
          return list.join('|');
        default:
          return list.length === 1 ? list[0] : `{${list.join(',')}}`;
      }
    });
  }
}
