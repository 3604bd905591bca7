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

function parse(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--to') o.to = v();
    else if (a === '--from') o.from = v().split(',');
    else if (a === '--first') o.first = v().split(',').map(Number);
    else if (a === '--rounds') o.rounds = Number(v());
    else if (a === '--period-ms') o.periodMs = Number(v());
    else if (a === '--reuse') o.reuse = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!net.isIPv4(o.to ?? '')) throw new Error('--to needs an IPv4 address');
  const bad = (o.from ?? []).find((a) => !net.isIPv4(a));
  if (!o.from || bad !== undefined) throw new Error(`--from needs IPv4 addresses${bad !== undefined ? `, not "${bad}"` : ''}`);
  if (!o.first || o.first.some((f) => !Number.isInteger(f) || f < 0 || f >= 2 ** 24)) throw new Error('--first needs 24-bit sequence numbers');
  if (o.first.length === 1) o.first = o.from.map(() => o.first[0]);
  if (o.first.length !== o.from.length) throw new Error(`--first has ${o.first.length} sequence numbers for ${o.from.length} addresses`);
  if (!Number.isInteger(o.rounds) || o.rounds < 1 || o.first.some((f) => f + o.rounds > 2 ** 24)) throw new Error('--rounds needs a count that keeps the sequence numbers within 24 bits');
  if (!(o.periodMs > 0)) throw new Error('--period-ms needs a positive number');
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
  const o = parse(process.argv.slice(2));
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
