#!/usr/bin/env node
'use strict';
/**
 * Long-lived HTTP/2 cleartext connections from Node's http2 module, driven
 * from standard input one JSON command a line, with a record of every
 * answered request by method and status:
 *   h2-session-client.js --url http://HOST:PORT [--connections N]
 * Commands:
 *   {"op":"burst","n":K}   K requests on every connection, one after another,
 *                          methods PATCH, PUT, DELETE in turn and statuses 201
 *                          and 503 in turn, with the same custom headers each
 *                          time (so that HPACK's dynamic table carries them)
 *   {"op":"hold"}          one PUT (201) on the first connection that the
 *                          server answers only when released; not waited for
 *   {"op":"wait"}          waits until every request has its answer
 * After each command it prints one line, {"ok":true,"record":{"PATCH 201":n,…},
 * "answered":n,"outstanding":n}. Exits 0 on end of input, closing the
 * connections; 1 when a connection fails (the test's traffic must not break).
 */
const http2 = require('http2');
const readline = require('readline');
const { commandLine } = require('./args');

const cl = commandLine('h2-session-client', 'usage: h2-session-client.js --url http://HOST:PORT [--connections N]', {
  url: { type: 'string' },
  connections: { type: 'string' },
});
const o = { url: cl.required('url'), connections: cl.number('connections', { fallback: 2, integer: true, min: 1 }) };
if (!URL.canParse(o.url) || new URL(o.url).protocol !== 'http:') cl.fail(`--url: ${JSON.stringify(o.url)} is not an http:// URL`);

const METHODS = ['PATCH', 'PUT', 'DELETE'];
const STATUSES = [201, 503];
const record = {};
let answered = 0;
let turn = 0;
const outstanding = new Set();
const sessions = [];
for (let c = 0; c < o.connections; c++) {
  const s = http2.connect(o.url);
  s.on('error', (e) => {
    process.stderr.write(`h2-session-client: connection ${c}: ${e.message}\n`);
    process.exit(1);
  });
  sessions.push(s);
}

function request(session, method, status, extra = '') {
  const p = new Promise((resolve, reject) => {
    const req = session.request({
      ':method': method,
      ':path': `/nnrf-nfm/v1/nf-instances/6c7a8f44-0001?status=${status}${extra}`,
      'content-type': 'application/json',
      '3gpp-sbi-target-apiroot': 'http://nrf.5gc.mnc001.mcc001.3gppnetwork.org',
      'user-agent': 'AMF-amf-1',
    });
    let got;
    req.on('response', (h) => (got = h[':status']));
    req.on('error', reject);
    req.resume();
    req.on('end', () => {
      const k = `${method} ${got}`;
      record[k] = (record[k] ?? 0) + 1;
      answered++;
      resolve();
    });
    req.end(method === 'DELETE' ? undefined : '{"nfStatus":"REGISTERED"}');
  });
  outstanding.add(p);
  p.then(
    () => outstanding.delete(p),
    (e) => {
      process.stderr.write(`h2-session-client: ${method}: ${e.message}\n`);
      process.exit(1);
    },
  );
  return p;
}

async function burst(n) {
  await Promise.all(
    sessions.map(async (s) => {
      for (let i = 0; i < n; i++) {
        const k = turn++;
        await request(s, METHODS[k % METHODS.length], STATUSES[k % STATUSES.length]);
      }
    }),
  );
}

const reply = () => process.stdout.write(`${JSON.stringify({ ok: true, record, answered, outstanding: outstanding.size })}\n`);
const rl = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on('line', (line) => {
  queue = queue.then(async () => {
    const cmd = JSON.parse(line);
    if (cmd.op === 'burst') await burst(cmd.n);
    else if (cmd.op === 'hold') request(sessions[0], 'PUT', 201, '&hold=1');
    else if (cmd.op === 'wait') await Promise.all([...outstanding]);
    else throw new Error(`unknown command ${line}`);
    reply();
  });
  queue.catch((e) => {
    process.stderr.write(`h2-session-client: ${e.message}\n`);
    process.exit(1);
  });
});
rl.on('close', () => queue.then(() => {
  for (const s of sessions) s.close();
}));
