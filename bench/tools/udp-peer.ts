/**
 * UDP traffic for the datapath benchmark, many datagrams from one process.
 * Runs inside a bench host's namespace (ip netns exec …). Source port =
 * destination port, as PFCP and GTP-U peers use. Prints "ready" once its
 * socket is bound and one JSON line with its counts when it is done.
 */
import * as dgram from 'dgram';
import { commandLine, main, num, str, UsageError } from '../lib/args';
import * as pk from '../lib/packets';

const USAGE = `udp-peer.js MODE [options]

  blast   --to ADDR --port P --count N --hex PAYLOAD [--from-port P]
      sends N copies of one datagram, at most 64 sends in flight
  sink    --port P [--idle-ms MS]
      receives and counts until SIGTERM, or until nothing arrived for idle-ms (default 20 s)
  respond --port P --kind KIND [--idle-ms MS]
      answers every request of KIND with its response (same sequence number), until
      SIGTERM or idle-ms without a request
  request --to ADDR --port P --kind KIND --count N [--window W] [--seq-base S]
      sends N requests of KIND, at most W unanswered at a time, and waits for the answers

KIND: pfcp-heartbeat, pfcp-session (Session Establishment), gtpu-echo.
`;

const MODES = ['blast', 'sink', 'respond', 'request'] as const;
type Mode = (typeof MODES)[number];
const KINDS = ['pfcp-heartbeat', 'pfcp-session', 'gtpu-echo'];

interface Options {
  mode: Mode;
  to: string;
  port: number;
  fromPort: number;
  count: number;
  payload?: Buffer;
  kind: string;
  window: number;
  idleMs: number;
  seqBase: number;
}

interface Kind {
  request: Buffer;
  response: Buffer;
  isRequest(b: Buffer): boolean;
  isResponse(b: Buffer): boolean;
  getSeq(b: Buffer): number;
  setSeq(b: Buffer, s: number): void;
}

function parse(argv: string[]): Options {
  const cl = commandLine(
    USAGE,
    {
      to: { type: 'string' },
      port: { type: 'string' },
      'from-port': { type: 'string' },
      count: { type: 'string' },
      hex: { type: 'string' },
      kind: { type: 'string' },
      window: { type: 'string' },
      'idle-ms': { type: 'string' },
      'seq-base': { type: 'string' },
    },
    argv,
    true,
  );
  const mode = cl.positionals[0] as Mode;
  if (cl.positionals.length !== 1 || !MODES.includes(mode)) throw new UsageError(`MODE is one of ${MODES.join(' | ')} (see --help)`);
  const port = num(cl, 'port', NaN, { integer: true, min: 1, max: 65535 });
  if (Number.isNaN(port)) throw new UsageError('--port is required');
  const kind = str(cl, 'kind', '');
  if ((mode === 'respond' || mode === 'request') && !KINDS.includes(kind)) throw new UsageError(`--kind is one of ${KINDS.join(', ')}`);
  const to = str(cl, 'to', '');
  if ((mode === 'blast' || mode === 'request') && !to) throw new UsageError('--to is required');
  const hex = str(cl, 'hex');
  if (hex !== undefined && !/^([0-9a-fA-F]{2})+$/.test(hex)) throw new UsageError(`--hex: ${JSON.stringify(hex)} is not an even number of hex digits`);
  if (mode === 'blast' && hex === undefined) throw new UsageError('--hex is required');
  return {
    mode,
    to,
    port,
    fromPort: num(cl, 'from-port', port, { integer: true, min: 1, max: 65535 }),
    count: num(cl, 'count', mode === 'blast' || mode === 'request' ? NaN : 0, { integer: true, min: 1 }),
    payload: hex === undefined ? undefined : Buffer.from(hex, 'hex'),
    kind,
    window: num(cl, 'window', 16, { integer: true, min: 1 }),
    idleMs: num(cl, 'idle-ms', 20000, { min: 1 }),
    seqBase: num(cl, 'seq-base', 1, { integer: true, min: 0 }),
  };
}

/**
 * Request and response templates of a kind, and where the sequence number
 * sits; `addrs` are the client's and server's IPv4 addresses (for Node ID IEs).
 */
function kindOf(kind: string, clientAddr = '0.0.0.0', serverAddr = '0.0.0.0'): Kind {
  switch (kind) {
    case 'pfcp-heartbeat':
      return {
        request: pk.pfcp(1, 0, [pk.RECOVERY]),
        response: pk.pfcp(2, 0, [pk.RECOVERY]),
        isRequest: (b: Buffer) => b.length >= 8 && b[1] === 1,
        isResponse: (b: Buffer) => b.length >= 8 && b[1] === 2,
        getSeq: (b: Buffer) => b.readUIntBE(pk.pfcpSeqOffset(b), 3),
        setSeq: (b: Buffer, s: number) => b.writeUIntBE(s & 0xffffff, pk.pfcpSeqOffset(b), 3),
      };
    case 'pfcp-session':
      // Session Establishment: the request with Node ID, F-SEID and a few grouped
      // IEs of typical size (Create PDR, Create FAR); the response with Node ID,
      // Cause (accepted) and F-SEID, as UPFs order them.
      return {
        request: pk.pfcp(50, 0, [pk.NODE_ID(clientAddr), pk.F_SEID(0x1001n, clientAddr), pk.GROUPED(1, 60), pk.GROUPED(1, 60), pk.GROUPED(3, 40)], { seid: 0n }),
        response: pk.pfcp(51, 0, [pk.NODE_ID(serverAddr), pk.CAUSE(1), pk.F_SEID(0x2002n, serverAddr), pk.GROUPED(8, 12)], { seid: 0x1001n }),
        isRequest: (b: Buffer) => b.length >= 16 && b[1] === 50,
        isResponse: (b: Buffer) => b.length >= 16 && b[1] === 51,
        getSeq: (b: Buffer) => b.readUIntBE(pk.pfcpSeqOffset(b), 3),
        setSeq: (b: Buffer, s: number) => b.writeUIntBE(s & 0xffffff, pk.pfcpSeqOffset(b), 3),
      };
    case 'gtpu-echo':
      return {
        request: pk.gtpEcho(1, 0),
        response: pk.gtpEcho(2, 0),
        isRequest: (b: Buffer) => b.length >= 12 && b[1] === 1,
        isResponse: (b: Buffer) => b.length >= 12 && b[1] === 2,
        getSeq: (b: Buffer) => b.readUInt16BE(8),
        setSeq: (b: Buffer, s: number) => b.writeUInt16BE(s & 0xffff, 8),
      };
    default:
      throw new Error(`unknown --kind ${kind}`);
  }
}

function done(result: object): void {
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

/**
 * Calls onIdle once `count()` has not changed for idleMs; before the first
 * datagram only when fromStart. Returns a function that cancels the watch.
 */
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

function bound(sock: dgram.Socket, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, () => {
      sock.removeListener('error', reject);
      resolve();
    });
  });
}

async function blast(o: Options): Promise<void> {
  const s = dgram.createSocket('udp4');
  await bound(s, o.fromPort);
  process.stdout.write('ready\n');
  let sent = 0;
  let errors = 0;
  let inFlight = 0;
  let queued = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (inFlight < 64 && queued < o.count) {
        inFlight++;
        queued++;
        s.send(o.payload!, o.port, o.to, (e) => {
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

async function sink(o: Options): Promise<void> {
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

async function respond(o: Options): Promise<void> {
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

async function request(o: Options): Promise<void> {
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
  await new Promise<void>((resolve) => {
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

// Each mode exits itself once it has printed its counts (done()).
main(
  'udp-peer',
  async () => {
    const o = parse(process.argv.slice(2));
    if (Number.isNaN(o.count)) throw new UsageError('--count is required');
    await { blast, sink, respond, request }[o.mode](o);
  },
  { exitWhenDone: false },
);
