#!/usr/bin/env node
'use strict';
/**
 * Steady-rate 5G load for the exporter benchmark, from one process inside a
 * bench host's namespace (ip netns exec …):
 *
 *   load-peer.js pfcp-client --from A1,A2,… --to B1,B2,… --rate R --seconds S
 *       PFCP Heartbeat Requests from every client address (UDP 8805) to every
 *       server address, round robin over the pairs, R requests per second in all
 *   load-peer.js pfcp-server --on B1,B2,… --seconds S
 *       answers every Heartbeat Request on each address with its Response
 *   load-peer.js gpdu --from A --to B --rate R --seconds S
 *       GTP-U G-PDUs (128-octet inner packet) A → B:2152, R per second
 *
 * Prints "ready" once bound and one JSON line with its counts at the end.
 * Sends in 5 ms batches; a batch that cannot keep up is counted as behind.
 */
const dgram = require('dgram');
const path = require('path');
const pk = require(path.join(__dirname, '../lib/packets.js'));

function parse(argv) {
  const o = { mode: argv[0], rate: 0, seconds: 10 };
  for (let i = 1; i < argv.length; i++) {
    const v = () => argv[++i];
    const a = argv[i];
    if (a === '--from') o.from = v().split(',');
    else if (a === '--to') o.to = v().split(',');
    else if (a === '--on') o.on = v().split(',');
    else if (a === '--rate') o.rate = Number(v());
    else if (a === '--seconds') o.seconds = Number(v());
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

function bind(addr, port) {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: false });
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, addr, () => {
      s.removeListener('error', reject);
      try {
        s.setSendBufferSize(1 << 20);
        s.setRecvBufferSize(1 << 21);
      } catch {
        /* the defaults then */
      }
      resolve(s);
    });
  });
}

/** Calls send(i) rate times a second for seconds, in 5 ms batches; resolves with how many it started. */
function paced(rate, seconds, send) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let started = 0;
    const timer = setInterval(() => {
      const elapsed = Date.now() - t0;
      const due = Math.min(Math.floor((rate * Math.min(elapsed, seconds * 1000)) / 1000), Math.floor(rate * seconds));
      while (started < due) send(started++);
      if (elapsed >= seconds * 1000) {
        clearInterval(timer);
        resolve(started);
      }
    }, 5);
  });
}

const done = (r) => process.stdout.write(`${JSON.stringify(r)}\n`, () => process.exit(0));

async function main() {
  const o = parse(process.argv.slice(2));
  if (o.mode === 'pfcp-server') {
    const socks = await Promise.all(o.on.map((a) => bind(a, 8805)));
    let answered = 0;
    for (const s of socks) {
      s.on('message', (m, r) => {
        if (m.length < 8 || m[1] !== 1) return;
        const resp = Buffer.from(m);
        resp[1] = 2;
        answered++;
        s.send(resp, r.port, r.address);
      });
    }
    process.stdout.write('ready\n');
    setTimeout(() => done({ answered }), o.seconds * 1000);
  } else if (o.mode === 'pfcp-client') {
    const socks = await Promise.all(o.from.map((a) => bind(a, 8805)));
    let answers = 0;
    let errors = 0;
    for (const s of socks) s.on('message', (m) => m[1] === 2 && answers++);
    const template = pk.pfcp(1, 0, [pk.RECOVERY]);
    const seqAt = pk.pfcpSeqOffset(template);
    const pairs = o.from.length * o.to.length;
    process.stdout.write('ready\n');
    const sent = await paced(o.rate, o.seconds, (i) => {
      const p = i % pairs;
      const c = Math.floor(p / o.to.length);
      const b = Buffer.from(template);
      b.writeUIntBE((Math.floor(i / pairs) + 1) & 0xffffff, seqAt, 3);
      socks[c].send(b, 8805, o.to[p % o.to.length], (e) => e && errors++);
    });
    setTimeout(() => done({ sent, answers, errors }), 500);
  } else if (o.mode === 'gpdu') {
    const s = await bind(o.from[0], 2152);
    const payload = pk.gtpGpdu(0x100, pk.innerIpv4Udp(128));
    let errors = 0;
    process.stdout.write('ready\n');
    const sent = await paced(o.rate, o.seconds, () => s.send(payload, 2152, o.to[0], (e) => e && errors++));
    setTimeout(() => done({ sent, errors }), 200);
  } else {
    throw new Error('mode: pfcp-client | pfcp-server | gpdu');
  }
}

main().catch((e) => {
  process.stderr.write(`load-peer.js: ${e.stack || e.message}\n`);
  process.exit(1);
});
