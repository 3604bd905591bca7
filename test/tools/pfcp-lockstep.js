#!/usr/bin/env node
'use strict';
/**
 * PFCP peers in lockstep, run inside a test host's namespace: every address
 * sends a Heartbeat Request from port 8805 to port 8805 of one SMF, all with
 * the same sequence number, in rounds that start at fixed instants of
 * CLOCK_MONOTONIC (the clock of process.hrtime, the same in every process),
 * so that two such processes pinned to two CPUs send their bursts at the
 * same moment:
 *   pfcp-lockstep.js --to ADDR --from ADDR[,ADDR…] --first SEQ[,SEQ…] --rounds N --period-ms MS [--reuse]
 * Once its sockets are bound it writes "ready" and reads the start instant
 * START (CLOCK_MONOTONIC, ns) as one line on stdin. Round r sends sequence
 * number FIRST + r from each address, in the order given, at START + r·PERIOD
 * ns; FIRST is one for all addresses or one per address. Prints the number of
 * datagrams sent. With --reuse the sockets are bound with SO_REUSEADDR, so
 * that two such processes can send from the same addresses and port (copies
 * of the same requests).
 */
const dgram = require('dgram');
const net = require('net');
const { commandLine } = require('./args');

const USAGE = 'usage: pfcp-lockstep.js --to ADDR --from ADDR[,ADDR…] --first SEQ[,SEQ…] --rounds N --period-ms MS [--reuse]';

function parse() {
  const cl = commandLine('pfcp-lockstep', USAGE, {
    to: { type: 'string' },
    from: { type: 'string' },
    first: { type: 'string' },
    rounds: { type: 'string' },
    'period-ms': { type: 'string' },
    reuse: { type: 'boolean' },
  });
  const o = { to: cl.required('to'), from: cl.required('from').split(','), reuse: cl.values.reuse === true };
  if (!net.isIPv4(o.to)) cl.fail(`--to needs an IPv4 address, not ${JSON.stringify(o.to)}`);
  const bad = o.from.find((a) => !net.isIPv4(a));
  if (bad !== undefined) cl.fail(`--from needs IPv4 addresses, not ${JSON.stringify(bad)}`);
  o.first = cl
    .required('first')
    .split(',')
    .map((f) => cl.number('first', { integer: true, min: 0, max: 2 ** 24 - 1, text: f }));
  if (o.first.length === 1) o.first = o.from.map(() => o.first[0]);
  if (o.first.length !== o.from.length) cl.fail(`--first has ${o.first.length} sequence numbers for ${o.from.length} addresses`);
  o.rounds = cl.number('rounds', { required: true, integer: true, min: 1 });
  if (o.first.some((f) => f + o.rounds > 2 ** 24)) cl.fail(`--rounds: ${o.rounds} rounds take the sequence numbers past 24 bits`);
  o.periodMs = cl.number('period-ms', { required: true, above: 0 });
  return o;
}

/** PFCP Heartbeat Request (TS 29.244 §7.4.2.1): header with sequence number, Recovery Time Stamp IE. */
function heartbeat(seq) {
  const b = Buffer.from([0x20, 1, 0, 12, 0, 0, 0, 0, 0, 96, 0, 4, 0xe9, 0, 0, 0]);
  b.writeUIntBE(seq, 4, 3);
  return b;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until CLOCK_MONOTONIC reaches `at` (ns): a timer for most of it, a spin for the last 2 ms. */
async function until(at) {
  const left = Number(at - process.hrtime.bigint()) / 1e6;
  if (left > 3) await sleep(left - 2);
  while (process.hrtime.bigint() < at);
}

async function main() {
  const o = parse();
  const socks = [];
  for (const a of o.from) {
    const s = dgram.createSocket({ type: 'udp4', reuseAddr: !!o.reuse });
    await new Promise((resolve, reject) => {
      s.once('error', reject);
      s.bind(8805, a, resolve);
    });
    socks.push(s);
  }
  process.stdout.write('ready\n');
  const line = await new Promise((resolve, reject) => {
    let buf = '';
    process.stdin.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve(buf.split('\n')[0].trim());
    });
    process.stdin.on('end', () => reject(new Error('stdin ended before the start instant came')));
  });
  if (!/^\d+$/.test(line)) throw new Error(`stdin: "${line}" is not a CLOCK_MONOTONIC instant in ns`);
  const start = BigInt(line);
  if (process.hrtime.bigint() > start) throw new Error(`the start instant ${start} had passed when it came`);
  process.stdin.destroy();
  const period = BigInt(Math.round(o.periodMs * 1e6));
  let sent = 0;
  for (let r = 0; r < o.rounds; r++) {
    await until(start + BigInt(r) * period);
    // Each send goes through the stack (and the tc programs) in the call, on this CPU.
    await Promise.all(socks.map((s, i) => new Promise((resolve, reject) => s.send(heartbeat(o.first[i] + r), 8805, o.to, (e) => (e ? reject(e) : resolve())))));
    sent += socks.length;
  }
  for (const s of socks) s.close();
  return sent;
}

main().then(
  (n) => process.stdout.write(`${n}\n`),
  (e) => {
    process.stderr.write(`pfcp-lockstep: ${e.message}\n`);
    process.exit(1);
  },
);
