/**
 * @nfscope/api: the exporter's /api/v1 contract (docs/query-api.md): the
 * request constants and types, and the answer types. Pure data, nothing to
 * bundle; the schema check is `@nfscope/api/dist/validate` (it needs ajv).
 */
export * from './query';
export * from './answers';
export { errorMessage } from './errors';
