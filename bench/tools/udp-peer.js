#!/usr/bin/env node
'use strict';
/**
 * UDP traffic for the datapath benchmark, many datagrams from one process.
 * Runs inside a bench host's namespace (ip netns exec …):
 *
 *   udp-peer.js blast   --to ADDR --port P --count N --hex PAYLOAD [--from-port P]
 *       sends N copies of one datagram, at most 64 sends in flight
 *   udp-peer.js sink    --port P [--idle-ms MS]
 *       receives and counts until SIGTERM, or until nothing arrived for idle-ms (default 20 s)
 *   udp-peer.js respond --port P --kind KIND [--idle-ms MS]
 *       answers every request of KIND with its response (same sequence number), until
 *       SIGTERM or idle-ms without a request
 *   udp-peer.js request --to ADDR --port P --kind KIND --count N [--window W] [--seq-base S]
 *       sends N requests of KIND, at most W unanswered at a time, and waits for the answers
 *
 * KIND: pfcp-heartbeat, pfcp-session (Session Establishment), gtpu-echo.
 * Source port = destination port, as PFCP and GTP-U peers use. Prints "ready"
 * once its socket is bound and one JSON line with its counts when it is done.
 */
const dgram = require('dgram');
const path = require('path');
const pk = require(path.join(__dirname, '../lib/packets.js'));

function parse(argv) {
  const o = { mode: argv[0], window: 16, idleMs: 20000, seqBase: 1, fromPort: undefined };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === '--to') o.to = v();
    else if (a === '--port') o.port = Number(v());
    else if (a === '--from-port') o.fromPort = Number(v());
    else if (a === '--count') o.count = Number(v());
    else if (a === '--hex') o.payload = Buffer.from(v(), 'hex');
    else if (a === '--kind') o.kind = v();
    else if (a === '--window') o.window = Number(v());
    else if (a === '--idle-ms') o.idleMs = Number(v());
    else if (a === '--seq-base') o.seqBase = Number(v());
    else throw new Error(`unknown argument ${a}`);
  }
  if (!['blast', 'sink', 'respond', 'request'].includes(o.mode)) throw new Error('mode: blast | sink | respond | request');
  if (!(o.port > 0)) throw new Error('--port is required');
  if (o.fromPort === undefined) o.fromPort = o.port;
  return o;
}

/**
 * Request and response templates of a kind, and where the sequence number
 * sits; `addrs` are the client's and server's IPv4 addresses (for Node ID IEs).
 */
function kindOf(kind, clientAddr = '0.0.0.0', serverAddr = '0.0.0.0') {
  switch (kind) {
    case 'pfcp-heartbeat':
      return {
        request: pk.pfcp(1, 0, [pk.RECOVERY]),
        response: pk.pfcp(2, 0, [pk.RECOVERY]),
        isRequest: (b) => b.length >= 8 && b[1] === 1,
        isResponse: (b) => b.length >= 8 && b[1] === 2,
        getSeq: (b) => b.readUIntBE(pk.pfcpSeqOffset(b), 3),
        setSeq: (b, s) => b.writeUIntBE(s & 0xffffff, pk.pfcpSeqOffset(b), 3),
      };
    case 'pfcp-session':
      // Session Establishment: the request with Node ID, F-SEID and a few grouped
      // IEs of typical size (Create PDR, Create FAR); the response with Node ID,
      // Cause (accepted) and F-SEID, as UPFs order them.
      return {
        request: pk.pfcp(50, 0, [pk.NODE_ID(clientAddr), pk.F_SEID(0x1001n, clientAddr), pk.GROUPED(1, 60), pk.GROUPED(1, 60), pk.GROUPED(3, 40)], { seid: 0n }),
        response: pk.pfcp(51, 0, [pk.NODE_ID(serverAddr), pk.CAUSE(1), pk.F_SEID(0x2002n, serverAddr), pk.GROUPED(8, 12)], { seid: 0x1001n }),
        isRequest: (b) => b.length >= 16 && b[1] === 50,
        isResponse: (b) => b.length >= 16 && b[1] === 51,
        getSeq: (b) => b.readUIntBE(pk.pfcpSeqOffset(b), 3),
        setSeq: (b, s) => b.writeUIntBE(s & 0xffffff, pk.pfcpSeqOffset(b), 3),
      };
    case 'gtpu-echo':
      return {
        request: pk.gtpEcho(1, 0),
        response: pk.gtpEcho(2, 0),
        isRequest: (b) => b.length >= 12 && b[1] === 1,
        isResponse: (b) => b.length >= 12 && b[1] === 2,
        getSeq: (b) => b.readUInt16BE(8),
        setSeq: (b, s) => b.writeUInt16BE(s & 0xffff, 8),
      };
    default:
      throw new Error(`unknown --kind ${kind}`);
  }
}

function done(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

/**
 * Calls onIdle once `count()` has not changed for idleMs; before the first
 * datagram only when fromStart. Returns a function that cancels the watch.
 */
function idleWatch(idleMs, count, onIdle, fromStart = false) {
  let last = count();
  let at = Date.now();
  const t = setInterval(() => {
    const c = count();
    if (c !== last) {
      last = c;
      at = Date.now();
    } else if ((c > 0 || fromStart) && Date.now() - at >= idleMs) {
      clearInterval(t);
      onIdle();
    }
  }, Math.min(100, idleMs));
  return () => clearInterval(t);
}

function bound(sock, port) {
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, () => {
      sock.removeListener('error', reject);
      resolve();
    });
  });
}

async function blast(o) {
  const s = dgram.createSocket('udp4');
  await bound(s, o.fromPort);
  process.stdout.write('ready\n');
  let sent = 0;
  let errors = 0;
  let inFlight = 0;
  let queued = 0;
  await new Promise((resolve) => {
    const pump = () => {
      while (inFlight < 64 && queued < o.count) {
        inFlight++;
        queued++;
        s.send(o.payload, o.port, o.to, (e) => {
          inFlight--;
          if (e) errors++;
          else sent++;
          if (sent + errors === o.count) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  s.close();
  done({ sent, errors });
}

async function sink(o) {
  const s = dgram.createSocket('udp4');
  let received = 0;
  const finish = () => done({ received });
  idleWatch(o.idleMs, () => received, finish);
  process.on('SIGTERM', finish);
  s.on('message', () => {
    received++;
  });
  await bound(s, o.port);
  process.stdout.write('ready\n');
}

async function respond(o) {
  const k = kindOf(o.kind, '0.0.0.0', '0.0.0.0');
  const s = dgram.createSocket('udp4');
  let received = 0;
  let sent = 0;
  let errors = 0;
  const finish = () => done({ received, sent, errors });
  idleWatch(o.idleMs, () => received, finish);
  s.on('message', (msg, rinfo) => {
    if (!k.isRequest(msg)) return;
    received++;
    const r = Buffer.from(k.response);
    k.setSeq(r, k.getSeq(msg));
    s.send(r, rinfo.port, rinfo.address, (e) => (e ? errors++ : sent++));
  });
  process.on('SIGTERM', finish);
  await bound(s, o.port);
  process.stdout.write('ready\n');
}

async function request(o) {
  const k = kindOf(o.kind);
  const s = dgram.createSocket('udp4');
  await bound(s, o.fromPort);
  process.stdout.write('ready\n');
  let next = 0;
  let outstanding = 0;
  let sent = 0;
  let received = 0;
  let errors = 0;
  const t0 = process.hrtime.bigint();
  await new Promise((resolve) => {
    // Answers stopped coming for a second: finish with what arrived.
    const stop = idleWatch(1000, () => received, resolve, true);
    const pump = () => {
      while (outstanding < o.window && next < o.count) {
        const b = Buffer.from(k.request);
        k.setSeq(b, o.seqBase + next++);
        outstanding++;
        s.send(b, o.port, o.to, (e) => (e ? errors++ : sent++));
      }
    };
    s.on('message', (msg) => {
      if (!k.isResponse(msg)) return;
      received++;
      outstanding--;
      if (received === o.count) {
        stop();
        resolve();
        return;
      }
      pump();
    });
    pump();
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  s.close();
  done({ sent, received, errors, ms });
}

const o = parse(process.argv.slice(2));
({ blast, sink, respond, request })[o.mode](o).catch((e) => {
  process.stderr.write(`udp-peer: ${e.message}\n`);
  process.exit(1);
});
