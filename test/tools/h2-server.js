#!/usr/bin/env node
'use strict';
/**
 * An HTTP/2 cleartext (prior knowledge) server on Node's http2 module that
 * answers after a delay, with the status the request asks for:
 *   h2-server.js --port N [--host ADDR] [--delay-ms MIN[-MAX]] [--seed N]
 * A request for /…?status=NNN gets NNN (default 200); /…?delay=MS overrides
 * the delay; otherwise each request waits a reproducible uniform draw from
 * [MIN, MAX] ms. /…?hold=1 is answered only when the server gets SIGUSR2
 * (every held request then). Prints "listening" once it accepts connections;
 * exits on SIGTERM.
 */
const http2 = require('http2');
const { commandLine } = require('./args');

const cl = commandLine('h2-server', 'usage: h2-server.js --port N [--host ADDR] [--delay-ms MIN[-MAX]] [--seed N]', {
  port: { type: 'string' },
  host: { type: 'string', default: '::' },
  'delay-ms': { type: 'string', default: '0' },
  seed: { type: 'string' },
});
const o = { port: cl.port('port'), host: cl.values.host, seed: cl.number('seed', { fallback: 1, integer: true }) };
const delay = cl.values['delay-ms'].split('-');
if (delay.length > 2) cl.fail(`--delay-ms: ${JSON.stringify(cl.values['delay-ms'])} is not MIN or MIN-MAX`);
const [lo, hi = lo] = delay.map((d) => cl.number('delay-ms', { min: 0, text: d }));
if (hi < lo) cl.fail(`--delay-ms: ${JSON.stringify(cl.values['delay-ms'])} has MAX below MIN`);

// A small LCG: the same seed gives the same delays run after run.
let state = o.seed >>> 0;
const rnd = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);

const server = http2.createServer();
server.on('stream', (stream, headers) => {
  const url = new URL(headers[':path'] ?? '/', 'http://x');
  const status = Number(url.searchParams.get('status') ?? 200);
  const asked = url.searchParams.get('delay');
  const delay = asked !== null ? Number(asked) : lo + (hi - lo) * rnd();
  stream.on('error', () => {});
  // Read the body (if any) before answering, as an NF does.
  stream.resume();
  const answer = () => {
    if (stream.destroyed) return;
    stream.respond({ ':status': status, 'content-type': 'application/json' });
    stream.end(JSON.stringify({ status }));
  };
  if (url.searchParams.get('hold') === '1') held.push(answer);
  else if (delay > 0) setTimeout(answer, delay);
  else setImmediate(answer);
});
const held = [];
process.on('SIGUSR2', () => {
  for (const answer of held.splice(0)) answer();
  process.stdout.write('released\n');
});
server.on('sessionError', () => {});
server.listen(o.port, o.host, () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => {
  server.close();
  process.exit(0);
});
