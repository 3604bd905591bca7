/** Grafana's JSON Schemas (shared/schemas beside the repository; SOURCES.md there) as ajv validators. */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import * as fs from 'fs';
import * as path from 'path';

const REPO = path.resolve(__dirname, '../../..');
// A clone's ../shared; from a worktree under wt/, ../../shared.
const SCHEMA_DIRS = [path.resolve(REPO, '../shared/schemas'), path.resolve(REPO, '../../shared/schemas')];

export function validator(schemaFile: 'plugin.schema.json' | 'dashboard.jsonschema.json') {
  const dir = SCHEMA_DIRS.find((d) => fs.existsSync(path.join(d, schemaFile)));
  if (!dir) throw new Error(`${schemaFile} is not in ${SCHEMA_DIRS.join(' or ')}: the shared/ folder must sit beside the repository`);
  // The upstream patterns escape '-' (\-), which is valid only without the u flag.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(JSON.parse(fs.readFileSync(path.join(dir, schemaFile), 'utf8')));
}
