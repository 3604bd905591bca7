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

function parse(argv) {
  const o = { timeoutMs: 30000, spread: 1, copies: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--on') o.on = v();
    else if (a === '--count') o.count = Number(v());
    else if (a === '--base-ms') o.baseMs = Number(v());
    else if (a === '--spread') o.spread = Number(v());
    else if (a === '--timeout-ms') o.timeoutMs = Number(v());
    else if (a === '--copies') o.copies = Number(v());
    else throw new Error(`unknown argument ${a}`);
  }
  if (!net.isIPv4(o.on ?? '')) throw new Error('--on needs an IPv4 address');
  if (!Number.isInteger(o.count) || o.count < 1) throw new Error('--count needs a positive integer');
  if (!(o.baseMs >= 0)) throw new Error('--base-ms needs a delay in ms');
  if (!Number.isInteger(o.spread) || o.spread < 1) throw new Error('--spread needs a positive integer');
  if (!Number.isInteger(o.copies) || o.copies < 1) throw new Error('--copies needs a positive integer');
  return o;
}

const o = parse(process.argv.slice(2));
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
