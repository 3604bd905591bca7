/**
 * Checks an answer (or a request body) against the API's JSON Schema
 * (schema/api.schema.json), plus what a schema cannot say: every field of
 * a frame has as many values as the frame's first. Used by the tests on
 * real exporter answers.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import schema from '../schema/api.schema.json';

/** The schema's top-level definitions a value can be checked as. */
export type SchemaName = 'QueryRequest' | 'QueryAnswer' | 'LabelsAnswer' | 'LabelValuesAnswer' | 'NfsAnswer' | 'StatusAnswer' | 'SummaryAnswer' | 'ErrorAnswer';

export const API_SCHEMA = schema;

let ajv: Ajv | undefined;
const compiled = new Map<SchemaName, ValidateFunction>();

function validator(name: SchemaName): ValidateFunction {
  let v = compiled.get(name);
  if (!v) {
    if (!ajv) {
      ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
      ajv.addSchema(schema, 'api');
    }
    v = ajv.compile({ $ref: `api#/definitions/${name}` });
    compiled.set(name, v);
  }
  return v;
}

/** Every way `value` breaks the contract of `name`, one line each ("/frames/0/fields/1/type: must be equal to one of the allowed values"); empty when it keeps it. */
export function contractProblems(name: SchemaName, value: unknown): string[] {
  const v = validator(name);
  const out = v(value)
    ? []
    : (v.errors ?? []).map(
        (e) =>
          `${e.instancePath || '/'}: ${e.message}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}${e.params && 'additionalProperty' in e.params ? ` (${e.params.additionalProperty})` : ''}`,
      );
  if (name === 'QueryAnswer' && out.length === 0) {
    const frames = (value as { frames: Array<{ fields: Array<{ values: unknown[] }> }> }).frames;
    frames.forEach((f, i) =>
      f.fields.forEach((field, j) => {
        if (field.values.length !== f.fields[0].values.length)
          out.push(`/frames/${i}/fields/${j}/values: ${field.values.length} values where the frame's first field has ${f.fields[0].values.length}`);
      }),
    );
  }
  return out;
}

/** Throws, naming `where` and every problem, when `value` breaks the contract of `name`. */
export function assertContract(name: SchemaName, value: unknown, where: string): void {
  const problems = contractProblems(name, value);
  if (problems.length > 0) throw new Error(`${where}: the answer breaks the API contract (${name} in @nfscope/api's schema):\n  ${problems.join('\n  ')}`);
}

/** Which answer a GET or POST on `path` (/api/v1/…, query string allowed) gives when it succeeds; undefined for other paths. */
export function answerSchemaFor(path: string): SchemaName | undefined {
  const p = path.split('?')[0].replace(/\/+$/, '');
  if (p === '/api/v1/query') return 'QueryAnswer';
  if (p === '/api/v1/labels') return 'LabelsAnswer';
  if (/^\/api\/v1\/labels\/[^/]+\/values$/.test(p)) return 'LabelValuesAnswer';
  if (p === '/api/v1/nfs') return 'NfsAnswer';
  if (p === '/api/v1/status') return 'StatusAnswer';
  if (p === '/api/v1/summary') return 'SummaryAnswer';
  return undefined;
}

/**
 * Checks what the exporter answered on `path` with `status`: a success
 * against its answer's schema, an error against ErrorAnswer. Throws naming
 * the path and every problem.
 */
export function assertAnswer(path: string, status: number, body: unknown): void {
  const name = status >= 200 && status < 300 ? answerSchemaFor(path) : path.startsWith('/api/') ? 'ErrorAnswer' : undefined;
  if (name) assertContract(name, body, `${status} on ${path.split('?')[0]}`);
}
