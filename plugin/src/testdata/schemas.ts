/** Grafana's JSON Schemas (copies in schemas/, their sources in schemas/README.md) as ajv validators. */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import * as fs from 'fs';
import * as path from 'path';

const SCHEMA_DIR = path.join(__dirname, 'schemas');

export function validator(schemaFile: 'plugin.schema.json' | 'dashboard.jsonschema.json') {
  const file = path.join(SCHEMA_DIR, schemaFile);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: the plugin's tests read Grafana's schemas from ${SCHEMA_DIR} (see README.md there)`);
  // The upstream patterns escape '-' (\-), which is valid only without the u flag.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(JSON.parse(fs.readFileSync(file, 'utf8')));
}
