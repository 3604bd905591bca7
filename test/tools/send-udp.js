#!/usr/bin/env node
'use strict';
/**
 * Sends UDP datagrams for the tests, run inside a test host's namespace:
 *   send-udp.js --to ADDR --port PORT --count N [--from-port PORT] [--bad-checksum] [--size BYTES]
 *   send-udp.js --to ADDR --port PORT --hex PAYLOAD [--hex PAYLOAD …] [--from-port PORT] [--gap-ms N]
 *   send-udp.js --to ADDR --port PORT --hex TEMPLATE --seq OFFSET:BYTES:FIRST --count N
 * With --hex each payload is one datagram, sent in order (with --gap-ms between).
 * With --bad-checksum the datagrams go out through a raw socket with a UDP
 * checksum that is deliberately wrong (the correct one plus one), so the
 * receiving kernel drops them with UDP_CSUM. With --seq, N copies of the one
 * template, each with a sequence number FIRST, FIRST+1, … written big-endian
 * in BYTES octets at OFFSET. Prints the number sent.
 */
const dgram = require('dgram');
const net = require('net');
const path = require('path');
const { commandLine, isHex } = require('./args');

const USAGE = [
  'usage: send-udp.js --to ADDR --port PORT --count N [--from-port PORT] [--bad-checksum] [--size BYTES]',
  '       send-udp.js --to ADDR --port PORT --hex PAYLOAD [--hex PAYLOAD …] [--from-port PORT] [--gap-ms N]',
  '       send-udp.js --to ADDR --port PORT --hex TEMPLATE --seq OFFSET:BYTES:FIRST --count N',
].join('\n');

function parse() {
  const cl = commandLine('send-udp', USAGE, {
    to: { type: 'string' },
    port: { type: 'string' },
    count: { type: 'string' },
    'from-port': { type: 'string' },
    size: { type: 'string' },
    'bad-checksum': { type: 'boolean' },
    hex: { type: 'string', multiple: true },
    'gap-ms': { type: 'string' },
    seq: { type: 'string' },
  });
  const o = {
    to: cl.required('to'),
    port: cl.port('port'),
    count: cl.number('count', { integer: true, min: 1 }),
    fromPort: cl.port('from-port', 40000),
    size: cl.number('size', { fallback: 16, integer: true, min: 0 }),
    badChecksum: cl.values['bad-checksum'] === true,
    hex: cl.values.hex ?? [],
    gapMs: cl.number('gap-ms', { fallback: 0, min: 0 }),
  };
  if (!net.isIP(o.to)) cl.fail(`--to: ${JSON.stringify(o.to)} is not an IP address`);
  const notHex = o.hex.find((h) => !isHex(h));
  if (notHex !== undefined) cl.fail(`--hex: ${JSON.stringify(notHex)} is not hexadecimal octets`);
  if (cl.given('seq')) {
    const m = /^(\d+):([1-4]):(\d+)$/.exec(cl.values.seq);
    if (!m) cl.fail(`--seq: ${JSON.stringify(cl.values.seq)} is not OFFSET:BYTES:FIRST (BYTES 1 to 4)`);
    o.seq = { offset: Number(m[1]), bytes: Number(m[2]), first: Number(m[3]) };
    if (o.hex.length !== 1 || o.count === undefined) cl.fail('--seq needs exactly one --hex template and --count N');
    if (o.seq.offset + o.seq.bytes > o.hex[0].length / 2) cl.fail('--seq: OFFSET+BYTES is past the end of the template');
  } else if (o.hex.length > 0) o.count = o.hex.length;
  if (o.count === undefined) cl.fail('--count or --hex is required');
  return o;
}

/** Internet checksum (RFC 1071). */
function checksum(buf) {
  const b = buf.length % 2 ? Buffer.concat([buf, Buffer.alloc(1)]) : buf;
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += b.readUInt16BE(i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

function ipBytes(addr) {
  if (net.isIPv4(addr)) return Buffer.from(addr.split('.').map(Number));
  throw new Error('--bad-checksum supports IPv4 destinations');
}

/** Source address the kernel would choose for `to`. */
function sourceFor(to) {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    s.connect(9, to, () => {
      const a = s.address().address;
      s.close();
      resolve(a);
    });
    s.on('error', reject);
  });
}

async function sendBad(o) {
  const { native } = require(path.resolve(__dirname, '../../exporter/dist/kernel/bpf.js'));
  const addon = native();
  const src = await sourceFor(o.to);
  const payload = Buffer.alloc(o.size, 0x5a);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(o.fromPort, 0);
  udp.writeUInt16BE(o.port, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  const pseudo = Buffer.concat([ipBytes(src), ipBytes(o.to), Buffer.from([0, 17]), Buffer.from([(8 + payload.length) >> 8, (8 + payload.length) & 0xff])]);
  const good = checksum(Buffer.concat([pseudo, udp, payload])) || 0xffff;
  // Any other non-zero value is wrong; 0 would mean "no checksum" in IPv4.
  udp.writeUInt16BE(good === 0xffff ? 1 : good + 1, 6);
  const fd = addon.rawOpen(4, 17, false);
  try {
    for (let i = 0; i < o.count; i++) addon.rawSend(fd, Buffer.concat([udp, payload]), o.to);
  } finally {
    addon.closeFd(fd);
  }
  return o.count;
}

async function sendGood(o) {
  const s = dgram.createSocket(net.isIPv6(o.to) ? 'udp6' : 'udp4');
  await new Promise((resolve) => s.bind(o.fromPort, resolve));
  const payloads = o.seq
    ? Array.from({ length: o.count }, (_, i) => {
        const b = Buffer.from(o.hex[0], 'hex');
        b.writeUIntBE((o.seq.first + i) % 2 ** (8 * o.seq.bytes), o.seq.offset, o.seq.bytes);
        return b;
      })
    : o.hex.length > 0
      ? o.hex.map((h) => Buffer.from(h, 'hex'))
      : Array(o.count).fill(Buffer.alloc(o.size, 0x5a));
  for (const payload of payloads) {
    await new Promise((resolve, reject) => s.send(payload, o.port, o.to, (e) => (e ? reject(e) : resolve())));
    if (o.gapMs) await new Promise((r) => setTimeout(r, o.gapMs));
  }
  s.close();
  return o.count;
}

const o = parse();
(o.badChecksum ? sendBad(o) : sendGood(o)).then(
  (n) => process.stdout.write(`${n}\n`),
  (e) => {
    process.stderr.write(`send-udp: ${e.message}\n`);
    process.exit(1);
  },
);
