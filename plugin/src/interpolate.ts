/**
 * Template variables through Grafana's TemplateSrv. A frontend data source
 * has to replace variables itself; multi-value variables become several
 * filter values, and a variable set to All puts no constraint on its label
 * (rather than listing every value, which would hide NFs the variable does
 * not know, such as "unknown").
 */
import type { ScopedVars } from '@grafana/data';
import type { TemplateSrv } from '@grafana/runtime';
import type { Interpolator } from './query';

// Joins the values of a multi-value variable inside one replace() call; no label value contains it.
const SEP = '\u001f';
const ALL = '$__all';
/** allValue texts that mean "anything" when a dashboard sets one. */
const ANY_VALUES = new Set(['*', '.*', '.+', ALL]);
/** `$var`, `${var}`, `${var:fmt}`, `[[var]]` standing alone. */
const SOLE_VARIABLE = /^(?:\$([A-Za-z0-9_]+)|\$\{([A-Za-z0-9_]+)(?::[^}]*)?\}|\[\[([A-Za-z0-9_]+)(?::[^\]]*)?\]\])$/;

function isAllSelected(templateSrv: TemplateSrv, name: string, scopedVars?: ScopedVars): boolean {
  const scoped = scopedVars?.[name];
  if (scoped) return scoped.value === ALL || (Array.isArray(scoped.value) && scoped.value.includes(ALL));
  const v = templateSrv.getVariables().find((x) => x.name === name) as { current?: { value?: string | string[] } } | undefined;
  const value = v?.current?.value;
  return value === ALL || (Array.isArray(value) && value.includes(ALL));
}

export function templateInterpolator(templateSrv: TemplateSrv, scopedVars?: ScopedVars): Interpolator {
  return {
    values(text: string) {
      const m = SOLE_VARIABLE.exec(text.trim());
      if (m && isAllSelected(templateSrv, m[1] ?? m[2] ?? m[3], scopedVars)) return 'all';
      const replaced = templateSrv.replace(text, scopedVars, (value: unknown) => (Array.isArray(value) ? value.join(SEP) : String(value)));
      const values = replaced
        .split(SEP)
        .map((s) => s.trim())
        .filter(Boolean);
      return values.some((v) => ANY_VALUES.has(v)) ? 'all' : values;
    },
    regex(text: string) {
      // A multi-value variable inside a regular expression becomes an alternation of escaped values.
      return templateSrv.replace(text, scopedVars, 'regex');
    },
  };
}
