#!/usr/bin/env node
'use strict';
/**
 * A TCP peer that writes exactly the bytes it is given, each chunk in a
 * write of its own (Nagle off), for hand-built HTTP/2 on the wire:
 *   tcp-script.js --connect ADDR --port N [--hex HEX | --gap-ms N]… [--hold-ms N]
 *   tcp-script.js --listen ADDR --port N [--hex HEX | --gap-ms N]… [--hold-ms N]
 * --connect: connects, writes the script, waits --hold-ms, then closes (FIN).
 * --listen: answers every connection with the script once the peer's first
 * octets arrive, holds it open --hold-ms, closes; runs until SIGTERM and
 * prints "listening" once it accepts connections. A --gap-ms between chunks
 * makes each its own TCP segment. Incoming data is read and discarded.
 */
const net = require('net');

const o = { steps: [], holdMs: 0 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const v = () => argv[++i];
  if (a === '--connect' || a === '--listen') {
    o.mode = a.slice(2);
    o.addr = v();
  } else if (a === '--port') o.port = Number(v());
  else if (a === '--hex') o.steps.push({ hex: v() });
  else if (a === '--gap-ms') o.steps.push({ gapMs: Number(v()) });
  else if (a === '--hold-ms') o.holdMs = Number(v());
  else {
    process.stderr.write(`tcp-script: unknown argument ${a}\n`);
    process.exit(2);
  }
}
if (!o.mode || !net.isIP(o.addr) || !(o.port > 0)) {
  process.stderr.write('usage: tcp-script.js --connect|--listen ADDR --port N [--hex HEX | --gap-ms N]… [--hold-ms N]\n');
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function play(sock) {
  sock.setNoDelay(true);
  for (const s of o.steps) {
    if (sock.destroyed) return;
    if (s.hex !== undefined) sock.write(Buffer.from(s.hex, 'hex'));
    else await sleep(s.gapMs);
  }
  await sleep(o.holdMs);
  sock.end();
}

if (o.mode === 'connect') {
  const sock = net.connect({ host: o.addr, port: o.port });
  sock.on('data', () => {});
  sock.on('error', (e) => {
    process.stderr.write(`tcp-script: ${e.message}\n`);
    process.exitCode = 1;
  });
  sock.on('connect', () => play(sock).catch((e) => sock.destroy(e)));
  sock.on('close', () => process.stdout.write('closed\n'));
} else {
  const server = net.createServer((sock) => {
    sock.on('error', () => {});
    sock.once('data', () => play(sock).catch(() => sock.destroy()));
  });
  server.listen(o.port, o.addr, () => process.stdout.write('listening\n'));
  process.on('SIGTERM', () => process.exit(0));
}
