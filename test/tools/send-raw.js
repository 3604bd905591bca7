#!/usr/bin/env node
'use strict';
/**
 * Sends IP payloads through a raw socket, for protocols the test host's
 * kernel has no sockets for (SCTP): the kernel adds the IP header.
 *   send-raw.js --proto 132 --to ADDR --hex HEX [--hex HEX …] [--gap-ms N]
 * Each --hex is one packet (everything after the IP header), sent in order.
 */
const net = require('net');
const path = require('path');
const { commandLine, isHex } = require('./args');

const cl = commandLine('send-raw', 'usage: send-raw.js --proto N --to ADDR --hex HEX [--hex HEX …] [--gap-ms N]', {
  proto: { type: 'string' },
  to: { type: 'string' },
  hex: { type: 'string', multiple: true },
  'gap-ms': { type: 'string' },
});
const o = {
  proto: cl.number('proto', { required: true, integer: true, min: 1, max: 255 }),
  to: cl.required('to'),
  hex: cl.values.hex ?? [],
  gapMs: cl.number('gap-ms', { fallback: 0, min: 0 }),
};
if (!net.isIP(o.to)) cl.fail(`--to: ${JSON.stringify(o.to)} is not an IP address`);
if (o.hex.length === 0) cl.fail('--hex is required');
const notHex = o.hex.find((h) => !isHex(h));
if (notHex !== undefined) cl.fail(`--hex: ${JSON.stringify(notHex)} is not hexadecimal octets`);

const { native } = require(path.resolve(__dirname, '../../exporter/dist/kernel/bpf.js'));
const addon = native();
const fd = addon.rawOpen(net.isIPv6(o.to) ? 6 : 4, o.proto, false);
(async () => {
  try {
    for (const h of o.hex) {
      addon.rawSend(fd, Buffer.from(h, 'hex'), o.to);
      if (o.gapMs) await new Promise((r) => setTimeout(r, o.gapMs));
    }
  } finally {
    addon.closeFd(fd);
  }
  process.stdout.write(`${o.hex.length}\n`);
})().catch((e) => {
  process.stderr.write(`send-raw: ${e.message}\n`);
  process.exit(1);
});
