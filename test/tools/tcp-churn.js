#!/usr/bin/env node
'use strict';
/**
 * Many short TCP connections, each closed in the ordinary way:
 *   tcp-churn.js --listen ADDR --port N
 *     answers every request line with one reply line, closes when the peer
 *     does; prints "listening", runs until SIGTERM.
 *   tcp-churn.js --connect ADDR --port N --count N [--parallel N]
 *     opens --count connections (--parallel at a time, 4 by default), each
 *     writing one request, reading the reply and closing (FIN) once it has
 *     it; prints the number of connections that completed, and exits 1 if
 *     any failed.
 */
const net = require('net');
const { commandLine } = require('./args');

const cl = commandLine('tcp-churn', 'usage: tcp-churn.js --listen ADDR --port N | --connect ADDR --port N --count N [--parallel N]', {
  listen: { type: 'string' },
  connect: { type: 'string' },
  port: { type: 'string' },
  count: { type: 'string' },
  parallel: { type: 'string' },
});
if (cl.given('listen') === cl.given('connect')) cl.fail('give one of --listen ADDR and --connect ADDR');
const mode = cl.given('listen') ? 'listen' : 'connect';
const o = { mode, addr: cl.values[mode], port: cl.port('port') };
if (!net.isIP(o.addr)) cl.fail(`--${mode}: ${JSON.stringify(o.addr)} is not an IP address`);
if (mode === 'connect') {
  o.count = cl.number('count', { required: true, integer: true, min: 1 });
  o.parallel = cl.number('parallel', { fallback: 4, integer: true, min: 1 });
}

if (o.mode === 'listen') {
  const server = net.createServer((sock) => {
    let buf = '';
    sock.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) {
        sock.write(`ok ${buf.trim()}\n`);
        buf = '';
      }
    });
    sock.on('end', () => sock.end());
    sock.on('error', () => sock.destroy());
  });
  server.listen(o.port, o.addr, () => process.stdout.write('listening\n'));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else {
  let started = 0;
  let done = 0;
  let failed = 0;
  const one = () =>
    new Promise((resolve) => {
      const n = ++started;
      const sock = net.connect({ host: o.addr, port: o.port });
      let reply = '';
      sock.on('connect', () => sock.write(`request ${n}\n`));
      sock.on('data', (d) => {
        reply += d;
        if (reply.includes('\n')) sock.end();
      });
      sock.on('error', (e) => {
        failed++;
        process.stderr.write(`tcp-churn: connection ${n}: ${e.message}\n`);
      });
      sock.on('close', () => {
        if (reply === `ok request ${n}\n`) done++;
        resolve();
      });
    });
  const worker = async () => {
    while (started < o.count) await one();
  };
  Promise.all(Array.from({ length: Math.min(o.parallel, o.count) }, worker)).then(() => {
    process.stdout.write(`${done}\n`);
    process.exitCode = failed || done !== o.count ? 1 : 0;
  });
}
