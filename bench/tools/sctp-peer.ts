/**
 * NGAP over SCTP for the datapath benchmark, through raw IPv4 sockets (the
 * kernel may have no SCTP, and the point is packets whose every byte is
 * known). Runs inside a bench host's namespace. Port 38412 on both sides. A
 * raw socket for protocol 132 is open on both ends, so the kernel hands the
 * packets to it and sends no ICMP "protocol unreachable" back. Prints
 * "ready", then one JSON line with its counts.
 */
import { rawBinding, type RawBinding } from '@nfscope/exporter/raw-socket';
import { commandLine, main, num, str, UsageError } from '../lib/args';
import * as pk from '../lib/packets';

const USAGE = `sctp-peer.js MODE [options]

  respond [--idle-ms MS]
      answers every DATA chunk carrying NGAP (PPID 60) with a SACK whose
      cumulative TSN ack is that chunk's TSN, until SIGTERM or idle-ms
  request --to ADDR --count N [--window W] [--tsn-base T] [--ngap-bytes B]
      sends N packets with one NGAP DATA chunk each (InitialUEMessage), at most
      W unacknowledged, and counts the SACKs that come back
`;

const PORT = 38412;
const PROTO_SCTP = 132;

interface Options {
  mode: 'respond' | 'request';
  to: string;
  count: number;
  window: number;
  idleMs: number;
  tsnBase: number;
  ngapBytes: number;
}

function parse(argv: string[]): Options {
  const cl = commandLine(
    USAGE,
    { to: { type: 'string' }, count: { type: 'string' }, window: { type: 'string' }, 'idle-ms': { type: 'string' }, 'tsn-base': { type: 'string' }, 'ngap-bytes': { type: 'string' } },
    argv,
    true,
  );
  const mode = cl.positionals[0];
  if (cl.positionals.length !== 1 || (mode !== 'respond' && mode !== 'request')) throw new UsageError('MODE is one of respond | request (see --help)');
  const to = str(cl, 'to', '');
  const count = num(cl, 'count', mode === 'request' ? NaN : 0, { integer: true, min: 1 });
  if (mode === 'request' && (!to || Number.isNaN(count))) throw new UsageError('request needs --to and --count');
  return {
    mode,
    to,
    count,
    window: num(cl, 'window', 16, { integer: true, min: 1 }),
    idleMs: num(cl, 'idle-ms', 20000, { min: 1 }),
    tsnBase: num(cl, 'tsn-base', 1, { integer: true, min: 0 }),
    ngapBytes: num(cl, 'ngap-bytes', 40, { integer: true, min: 0, max: 255 }),
  };
}

/** The SCTP chunks of a received IPv4 packet (raw sockets deliver the IP header too). */
function* chunks(pkt: Buffer): Generator<{ type: number; body: Buffer }> {
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

const srcOf = (pkt: Buffer): string => `${pkt[12]}.${pkt[13]}.${pkt[14]}.${pkt[15]}`;

/**
 * Reads packets from the raw socket on the event loop, as dgram reads a UDP
 * socket: libuv reports it readable, the addon reads until it would block.
 * stop(then) ends the watch and calls then().
 */
function readLoop(addon: RawBinding, fd: number, onPacket: (pkt: Buffer) => void): { stop(then: () => void): void } {
  const stopWatch = addon.rawWatch(fd, (e, pkt) => {
    if (e) {
      process.stderr.write(`sctp-peer: read: ${e.message}\n`);
      process.exit(1);
    }
    onPacket(pkt!);
  });
  let stopped = false;
  return {
    stop(then: () => void) {
      if (stopped) return;
      stopped = true;
      stopWatch();
      then();
    },
  };
}

function done(result: object): void {
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

function idleWatch(idleMs: number, count: () => number, onIdle: () => void, fromStart = false): () => void {
  let last = count();
  let at = Date.now();
  const t = setInterval(
    () => {
      const c = count();
      if (c !== last) {
        last = c;
        at = Date.now();
      } else if ((c > 0 || fromStart) && Date.now() - at >= idleMs) {
        clearInterval(t);
        onIdle();
      }
    },
    Math.min(100, idleMs),
  );
  return () => clearInterval(t);
}

function respond(o: Options): void {
  const addon = rawBinding();
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

function request(o: Options): void {
  const addon = rawBinding();
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
  let ms: number | undefined;
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

// Each mode exits itself once it has printed its counts (done()).
main(
  'sctp-peer',
  async () => {
    const o = parse(process.argv.slice(2));
    if (o.mode === 'respond') respond(o);
    else request(o);
  },
  { exitWhenDone: false },
);
