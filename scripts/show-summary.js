#!/usr/bin/env node
'use strict';
// Prints the exporter's summary every two seconds: show-summary.js [URL]
const { parseArgs } = require('node:util');

const USAGE = 'usage: show-summary.js [URL] (default http://127.0.0.1:9810)';
const fail = (message) => {
  process.stderr.write(`show-summary: ${message}\n${USAGE}\n`);
  process.exit(2);
};
let args;
try {
  args = parseArgs({ options: { help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
} catch (e) {
  fail(e.message.replace(/\. To specify a positional argument.*$/s, '').replace(/\n/g, ' '));
}
if (args.values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (args.positionals.length > 1) fail(`unexpected argument ${JSON.stringify(args.positionals[1])}`);
const url = args.positionals[0] || 'http://127.0.0.1:9810';
if (!URL.canParse(url)) fail(`${JSON.stringify(url)} is not a URL`);

const cell = (v, n) => {
  const s = v === null || v === undefined ? '-' : String(v);
  return s.length >= n ? `${s.slice(0, n - 1)} ` : s + ' '.repeat(n - s.length);
};

async function show() {
  try {
    const s = await (await fetch(`${url}/api/v1/summary?window=60s`)).json();
    const out = [`${new Date().toISOString()}  node ${s.node}, last ${s.window_s} s`, ''];
    out.push(['CLIENT', 'SERVER', 'IF', 'PROCEDURE', 'COUNT', 'P50 ms', 'P99 ms', 'REJ', 'T/O', 'RETX'].map((h, i) => cell(h, [8, 8, 5, 22, 7, 9, 9, 5, 5, 5][i])).join(''));
    for (const r of s.latency) {
      out.push([r.client, r.server, r.interface, r.procedure, r.count, r.p50_ms, r.p99_ms, r.rejected, r.timeouts, r.retransmissions].map((v, i) => cell(v, [8, 8, 5, 22, 7, 9, 9, 5, 5, 5][i])).join(''));
    }
    out.push('', ['NF', 'PEER', 'IF', 'DROP REASON', 'CLASS', 'COUNT'].map((h, i) => cell(h, [10, 10, 7, 26, 7, 8][i])).join(''));
    for (const d of s.drops.slice(0, 8)) out.push([d.nf, d.peer_nf, d.interface, d.reason, d.class, d.count].map((v, i) => cell(v, [10, 10, 7, 26, 7, 8][i])).join(''));
    process.stdout.write(`${out.join('\n')}\n\n`);
  } catch (e) {
    process.stdout.write(`cannot read ${url}: ${e.message}\n`);
  }
}
show();
setInterval(show, 2000);
