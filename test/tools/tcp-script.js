#!/usr/bin/env node
'use strict';
/**
 * A TCP peer that writes exactly the bytes it is given, each chunk in a
 * write of its own (Nagle off), for hand-built HTTP/2 on the wire:
 *   tcp-script.js --connect ADDR --port N [--hex HEX | --gap-ms N | --wait-line]… [--hold-ms N]
 *   tcp-script.js --listen ADDR --port N [--hex HEX | --gap-ms N | --wait-line]… [--hold-ms N]
 * --connect: connects, writes the script, waits --hold-ms, then closes (FIN).
 * --listen: answers every connection with the script once the peer's first
 * octets arrive, holds it open --hold-ms, closes; runs until SIGTERM and
 * prints "listening" once it accepts connections. A --gap-ms between chunks
 * makes each its own TCP segment. --wait-line prints "waiting" and goes on
 * once a line arrives on stdin (the test decides when, e.g. once an exporter
 * is ready); stdin closing first is an error. Incoming data is read and
 * discarded.
 */
const net = require('net');
const { commandLine, isHex } = require('./args');

const cl = commandLine('tcp-script', 'usage: tcp-script.js --connect|--listen ADDR --port N [--hex HEX | --gap-ms N | --wait-line]… [--hold-ms N]', {
  connect: { type: 'string' },
  listen: { type: 'string' },
  port: { type: 'string' },
  hex: { type: 'string', multiple: true },
  'gap-ms': { type: 'string', multiple: true },
  'wait-line': { type: 'boolean', multiple: true },
  'hold-ms': { type: 'string' },
});
if (cl.given('listen') === cl.given('connect')) cl.fail('give one of --connect ADDR and --listen ADDR');
const mode = cl.given('listen') ? 'listen' : 'connect';
const o = { mode, addr: cl.values[mode], port: cl.port('port'), holdMs: cl.number('hold-ms', { fallback: 0, min: 0 }), steps: [] };
if (!net.isIP(o.addr)) cl.fail(`--${mode}: ${JSON.stringify(o.addr)} is not an IP address`);
// The script is the --hex, --gap-ms and --wait-line options in the order given.
for (const t of cl.tokens) {
  if (t.kind !== 'option') continue;
  if (t.name === 'hex') {
    if (!isHex(t.value)) cl.fail(`--hex: ${JSON.stringify(t.value)} is not hexadecimal octets`);
    o.steps.push({ hex: t.value });
  } else if (t.name === 'gap-ms') o.steps.push({ gapMs: cl.number('gap-ms', { min: 0, text: t.value }) });
  else if (t.name === 'wait-line') o.steps.push({ waitLine: true });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Lines from stdin, read only once a --wait-line step asks (so that stdin keeps no other script alive). */
let input;
function nextLine() {
  if (!input) {
    input = { lines: 0, waiting: null, closed: false, rl: require('readline').createInterface({ input: process.stdin }) };
    input.rl.on('line', () => {
      input.lines++;
      input.waiting?.();
    });
    input.rl.on('close', () => {
      input.closed = true;
      input.waiting?.();
    });
  }
  return new Promise((resolve, reject) => {
    const check = () => {
      if (input.lines > 0) {
        input.lines--;
        input.waiting = null;
        resolve();
      } else if (input.closed) reject(new Error('stdin closed before the line a --wait-line step waits for'));
      else input.waiting = check;
    };
    check();
  });
}

async function play(sock) {
  sock.setNoDelay(true);
  for (const s of o.steps) {
    if (sock.destroyed) return;
    if (s.hex !== undefined) sock.write(Buffer.from(s.hex, 'hex'));
    else if (s.waitLine) {
      process.stdout.write('waiting\n');
      await nextLine();
    } else await sleep(s.gapMs);
  }
  await sleep(o.holdMs);
  sock.end();
  input?.rl.close();
}

if (o.mode === 'connect') {
  const sock = net.connect({ host: o.addr, port: o.port });
  sock.on('data', () => {});
  sock.on('error', (e) => {
    process.stderr.write(`tcp-script: ${e.message}\n`);
    process.exitCode = 1;
  });
  sock.on('connect', () =>
    play(sock).catch((e) => {
      input?.rl.close();
      sock.destroy(e);
    }),
  );
  sock.on('close', () => process.stdout.write('closed\n'));
} else {
  const server = net.createServer((sock) => {
    sock.on('error', () => {});
    sock.once('data', () => play(sock).catch(() => sock.destroy()));
  });
  server.listen(o.port, o.addr, () => process.stdout.write('listening\n'));
  process.on('SIGTERM', () => process.exit(0));
}
