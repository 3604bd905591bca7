#!/usr/bin/env node
'use strict';
/**
 * Writes the table of drop reasons and their classes into docs/drops.md,
 * between its BEGIN/END markers, from exporter/src/drop-reasons.ts (built:
 * run `npm run build:ts -w exporter` first). drop-class.test.ts fails when the
 * two differ.
 */
const fs = require('fs');
const path = require('path');
const { dropTableMarkdown } = require('../exporter/dist/drop-class.js');

const file = path.join(__dirname, '../docs/drops.md');
const BEGIN = '<!-- BEGIN drop-reasons (scripts/gen-drop-table.js) -->\n';
const END = '<!-- END drop-reasons -->';
const doc = fs.readFileSync(file, 'utf8');
const a = doc.indexOf(BEGIN);
const b = doc.indexOf(END);
if (a < 0 || b < a) {
  process.stderr.write(`${file}: no ${BEGIN.trim()} … ${END} markers\n`);
  process.exit(1);
}
fs.writeFileSync(file, doc.slice(0, a + BEGIN.length) + dropTableMarkdown() + doc.slice(b));
process.stdout.write(`${path.relative(process.cwd(), file)}: ${dropTableMarkdown().split('\n').length - 3} reasons\n`);
