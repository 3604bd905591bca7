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

const o = { parallel: 4 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const v = () => argv[++i];
  if (a === '--listen' || a === '--connect') {
    o.mode = a.slice(2);
    o.addr = v();
  } else if (a === '--port') o.port = Number(v());
  else if (a === '--count') o.count = Number(v());
  else if (a === '--parallel') o.parallel = Number(v());
  else {
    process.stderr.write(`tcp-churn: unknown argument ${a}\n`);
    process.exit(2);
  }
}
if (!o.mode || !net.isIP(o.addr) || !(o.port > 0) || (o.mode === 'connect' && !(o.count > 0 && o.parallel > 0))) {
  process.stderr.write('usage: tcp-churn.js --listen ADDR --port N | --connect ADDR --port N --count N [--parallel N]\n');
  process.exit(2);
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
