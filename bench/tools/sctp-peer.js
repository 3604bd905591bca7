#!/usr/bin/env node
'use strict';
/**
 * NGAP over SCTP for the datapath benchmark, through raw IPv4 sockets (the
 * kernel may have no SCTP, and the point is packets whose every byte is
 * known). Runs inside a bench host's namespace:
 *
 *   sctp-peer.js respond [--idle-ms MS]
 *       answers every DATA chunk carrying NGAP (PPID 60) with a SACK whose
 *       cumulative TSN ack is that chunk's TSN, until SIGTERM or idle-ms
 *   sctp-peer.js request --to ADDR --count N [--window W] [--tsn-base T] [--ngap-bytes B]
 *       sends N packets with one NGAP DATA chunk each (InitialUEMessage), at most
 *       W unacknowledged, and counts the SACKs that come back
 *
 * Port 38412 on both sides. A raw socket for protocol 132 is open on both
 * ends, so the kernel hands the packets to it and sends no ICMP "protocol
 * unreachable" back. Prints "ready", then one JSON line with its counts.
 */
const path = require('path');
const pk = require(path.join(__dirname, '../lib/packets.js'));
const { native } = require(path.join(__dirname, '../../exporter/dist/kernel/bpf.js'));

const PORT = 38412;
const PROTO_SCTP = 132;

function parse(argv) {
  const o = { mode: argv[0], window: 16, idleMs: 20000, tsnBase: 1, ngapBytes: 40 };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === '--to') o.to = v();
    else if (a === '--count') o.count = Number(v());
    else if (a === '--window') o.window = Number(v());
    else if (a === '--idle-ms') o.idleMs = Number(v());
    else if (a === '--tsn-base') o.tsnBase = Number(v());
    else if (a === '--ngap-bytes') o.ngapBytes = Number(v());
    else throw new Error(`unknown argument ${a}`);
  }
  if (!['respond', 'request'].includes(o.mode)) throw new Error('mode: respond | request');
  return o;
}

/** The SCTP chunks of a received IPv4 packet (raw sockets deliver the IP header too). */
function* chunks(pkt) {
  if (pkt.length < 20) return;
  const ihl = (pkt[0] & 0x0f) * 4;
  let off = ihl + 12;
  while (off + 4 <= pkt.length) {
    const type = pkt[off];
    const len = pkt.readUInt16BE(off + 2);
    if (len < 4 || off + len > pkt.length) return;
    yield { type, body: pkt.subarray(off, off + len) };
    off += (len + 3) & ~3;
  }
}

const srcOf = (pkt) => `${pkt[12]}.${pkt[13]}.${pkt[14]}.${pkt[15]}`;

/**
 * Reads packets from the raw socket on the event loop, as dgram reads a UDP
 * socket: libuv reports it readable, the addon reads until it would block.
 * stop(then) ends the watch and calls then().
 */
function readLoop(addon, fd, onPacket) {
  const stopWatch = addon.rawWatch(fd, (e, pkt) => {
    if (e) {
      process.stderr.write(`sctp-peer: read: ${e.message}\n`);
      process.exit(1);
    }
    onPacket(pkt);
  });
  let stopped = false;
  return {
    stop(then) {
      if (stopped) return;
      stopped = true;
      stopWatch();
      then();
    },
  };
}

function done(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

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

function respond(o) {
  const addon = native();
  const fd = addon.rawOpen(4, PROTO_SCTP, false);
  let received = 0;
  let sent = 0;
  let errors = 0;
  const finish = () => loop.stop(() => done({ received, sent, errors }));
  idleWatch(o.idleMs, () => received, finish);
  process.on('SIGTERM', finish);
  const loop = readLoop(addon, fd, (pkt) => {
    for (const c of chunks(pkt)) {
      if (c.type !== 0 || c.body.length < 16 || c.body.readUInt32BE(12) !== 60) continue;
      received++;
      try {
        addon.rawSend(fd, pk.sctp(PORT, PORT, [pk.sctpSack(c.body.readUInt32BE(4))]), srcOf(pkt));
        sent++;
      } catch {
        errors++;
      }
    }
  });
  process.stdout.write('ready\n');
}

function request(o) {
  const addon = native();
  const fd = addon.rawOpen(4, PROTO_SCTP, false);
  // InitialUEMessage (procedure code 15) with an open type of ngapBytes octets.
  const template = pk.sctp(PORT, PORT, [pk.sctpData(0, pk.ngap(0x00, 15, o.ngapBytes))]);
  let next = 0;
  let outstanding = 0;
  let sent = 0;
  let received = 0;
  let errors = 0;
  const t0 = process.hrtime.bigint();
  process.stdout.write('ready\n');
  let ms;
  const finish = () => {
    stop();
    ms ??= Number(process.hrtime.bigint() - t0) / 1e6;
    loop.stop(() => done({ sent, received, errors, ms }));
  };
  const stop = idleWatch(1000, () => received, finish, true);
  const pump = () => {
    while (outstanding < o.window && next < o.count) {
      const p = Buffer.from(template);
      p.writeUInt32BE((o.tsnBase + next++) >>> 0, 12 + 4); // TSN of the first chunk
      p.writeUInt32LE(0, 8);
      p.writeUInt32LE(pk.crc32c(p), 8);
      outstanding++;
      try {
        addon.rawSend(fd, p, o.to);
        sent++;
      } catch {
        errors++;
      }
    }
  };
  const loop = readLoop(addon, fd, (pkt) => {
    for (const c of chunks(pkt)) {
      if (c.type !== 3) continue;
      received++;
      outstanding--;
    }
    if (received >= o.count) finish();
    else pump();
  });
  pump();
}

try {
  const o = parse(process.argv.slice(2));
  if (o.mode === 'respond') respond(o);
  else request(o);
} catch (e) {
  process.stderr.write(`sctp-peer: ${e.message}\n`);
  process.exit(1);
}
