/**
 * webpack's public path, from the URL Grafana's AMD loader loaded
 * module.js from (its `module` object, external `amd-module`): chunks then
 * load from where module.js came from, also under a sub-path
 * (root_url = …/grafana/) or a CDN. Falls back to the path the build assumed.
 * Imported first by module.ts.
 */
// @ts-expect-error: 'amd-module' is the AMD loader's module object, an external with no types.
import amdModule from 'amd-module';

declare let __webpack_public_path__: string;

const uri: unknown = (amdModule as { uri?: unknown } | undefined)?.uri;
if (typeof uri === 'string' && uri.includes('/')) __webpack_public_path__ = uri.slice(0, uri.lastIndexOf('/') + 1);
