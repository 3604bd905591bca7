#!/usr/bin/env node
'use strict';
// Prints the exporter's drop summary every two seconds: show-summary.js URL
const url = process.argv[2] || 'http://127.0.0.1:9810';

function pad(s, n) {
  s = String(s);
  return s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length);
}

async function show() {
  try {
    const r = await fetch(`${url}/api/v1/summary?window=60s`);
    const s = await r.json();
    const lines = [`${new Date().toISOString()}  node ${s.node}: kernel drops in the last ${s.window_s} s`];
    lines.push(`${pad('NF', 12)}${pad('TYPE', 8)}${pad('PEER', 12)}${pad('IF', 7)}${pad('REASON', 24)}COUNT`);
    for (const d of s.drops) lines.push(`${pad(d.nf, 12)}${pad(d.nf_type, 8)}${pad(d.peer_nf, 12)}${pad(d.interface, 7)}${pad(d.reason, 24)}${d.count}`);
    process.stdout.write(`${lines.join('\n')}\n\n`);
  } catch (e) {
    process.stdout.write(`cannot read ${url}: ${e.message}\n`);
  }
}
show();
setInterval(show, 2000);
