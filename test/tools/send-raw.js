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

const o = { hex: [], gapMs: 0 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const v = () => argv[++i];
  if (a === '--proto') o.proto = Number(v());
  else if (a === '--to') o.to = v();
  else if (a === '--hex') o.hex.push(v());
  else if (a === '--gap-ms') o.gapMs = Number(v());
  else {
    process.stderr.write(`send-raw: unknown argument ${a}\n`);
    process.exit(2);
  }
}
if (!(o.proto > 0) || !net.isIP(o.to) || o.hex.length === 0) {
  process.stderr.write('usage: send-raw.js --proto N --to ADDR --hex HEX [--hex HEX …] [--gap-ms N]\n');
  process.exit(2);
}

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
