#!/usr/bin/env node
'use strict';
/**
 * A PFCP responder, run inside a test host's namespace: answers every
 * Heartbeat Request on ADDR:8805 with a Heartbeat Response (same sequence
 * number) after a delay of BASE + (last octet of the sender's address mod
 * SPREAD) ms, and exits once it has answered COUNT requests:
 *   pfcp-responder.js --on ADDR --count N --base-ms MS --spread N [--timeout-ms MS] [--copies N]
 * With --copies N, a request (sender and sequence number) is answered once,
 * after its N-th copy has come, so that no copy comes after the response.
 * Writes "ready" on stdout once bound, and at the end one JSON line:
 * requests answered per sender address.
 */
const dgram = require('dgram');
const net = require('net');
const { commandLine } = require('./args');

const USAGE = 'usage: pfcp-responder.js --on ADDR --count N --base-ms MS --spread N [--timeout-ms MS] [--copies N]';

function parse() {
  const cl = commandLine('pfcp-responder', USAGE, {
    on: { type: 'string' },
    count: { type: 'string' },
    'base-ms': { type: 'string' },
    spread: { type: 'string' },
    'timeout-ms': { type: 'string' },
    copies: { type: 'string' },
  });
  const o = { on: cl.required('on') };
  if (!net.isIPv4(o.on)) cl.fail(`--on needs an IPv4 address, not ${JSON.stringify(o.on)}`);
  o.count = cl.number('count', { required: true, integer: true, min: 1 });
  o.baseMs = cl.number('base-ms', { required: true, min: 0 });
  o.spread = cl.number('spread', { fallback: 1, integer: true, min: 1 });
  o.timeoutMs = cl.number('timeout-ms', { fallback: 30000, above: 0 });
  o.copies = cl.number('copies', { fallback: 1, integer: true, min: 1 });
  return o;
}

const o = parse();
const s = dgram.createSocket('udp4');
const answered = {};
const copies = new Map();
let done = 0;
const timer = setTimeout(() => {
  process.stderr.write(`pfcp-responder: answered ${done} of ${o.count} requests in ${o.timeoutMs} ms\n`);
  process.stdout.write(`${JSON.stringify(answered)}\n`);
  process.exit(1);
}, o.timeoutMs);
s.on('message', (m, from) => {
  if (m.length < 8 || m[1] !== 1) return; // Heartbeat Requests only
  const key = `${from.address}/${m.readUIntBE(4, 3)}`;
  copies.set(key, (copies.get(key) ?? 0) + 1);
  if (copies.get(key) !== o.copies) return;
  const resp = Buffer.from(m);
  resp[1] = 2;
  const delay = o.baseMs + (Number(from.address.split('.')[3]) % o.spread);
  setTimeout(() => {
    s.send(resp, from.port, from.address, (e) => {
      if (e) {
        process.stderr.write(`pfcp-responder: ${e.message}\n`);
        process.exit(1);
      }
      answered[from.address] = (answered[from.address] ?? 0) + 1;
      if (++done === o.count) {
        clearTimeout(timer);
        process.stdout.write(`${JSON.stringify(answered)}\n`);
        s.close();
      }
    });
  }, delay);
});
s.on('error', (e) => {
  process.stderr.write(`pfcp-responder: ${e.message}\n`);
  process.exit(1);
});
s.bind(8805, o.on, () => process.stdout.write('ready\n'));
