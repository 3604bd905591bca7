/**
 * Steady-rate 5G load for the exporter benchmark, from one process inside a
 * bench host's namespace (ip netns exec …). Prints "ready" once bound and
 * one JSON line with its counts at the end. Sends in 5 ms batches.
 */
import * as dgram from 'dgram';
import { commandLine, list, main, num, UsageError } from '../lib/args';
import * as pk from '../lib/packets';

const USAGE = `load-peer.js MODE [options]

  pfcp-client --from A1,A2,… --to B1,B2,… --rate R --seconds S
      PFCP Heartbeat Requests from every client address (UDP 8805) to every
      server address, round robin over the pairs, R requests per second in all
  pfcp-server --on B1,B2,… --seconds S
      answers every Heartbeat Request on each address with its Response
  gpdu --from A --to B --rate R --seconds S
      GTP-U G-PDUs (128-octet inner packet) A → B:2152, R per second
`;

const MODES = ['pfcp-client', 'pfcp-server', 'gpdu'] as const;
type Mode = (typeof MODES)[number];

function parse(argv: string[]): { mode: Mode; from: string[]; to: string[]; on: string[]; rate: number; seconds: number } {
  const cl = commandLine(USAGE, { from: { type: 'string' }, to: { type: 'string' }, on: { type: 'string' }, rate: { type: 'string' }, seconds: { type: 'string' } }, argv, true);
  const mode = cl.positionals[0] as Mode;
  if (cl.positionals.length !== 1 || !MODES.includes(mode)) throw new UsageError(`MODE is one of ${MODES.join(' | ')} (see --help)`);
  const need = (name: string): string[] => {
    const v = list(cl, name);
    if (!v) throw new UsageError(`${mode} needs --${name}`);
    return v;
  };
  return {
    mode,
    from: mode === 'pfcp-server' ? [] : need('from'),
    to: mode === 'pfcp-server' ? [] : need('to'),
    on: mode === 'pfcp-server' ? need('on') : [],
    rate: num(cl, 'rate', mode === 'pfcp-server' ? 0 : NaN, { min: 0 }),
    seconds: num(cl, 'seconds', 10),
  };
}

function bind(addr: string, port: number): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: false });
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, addr, () => {
      s.removeListener('error', reject);
      try {
        s.setSendBufferSize(1 << 20);
        s.setRecvBufferSize(1 << 21);
      } catch {
        // the defaults then
      }
      resolve(s);
    });
  });
}

/** Calls send(i) rate times a second for seconds, in 5 ms batches; resolves with how many it started. */
function paced(rate: number, seconds: number, send: (i: number) => void): Promise<number> {
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

const done = (r: object): void => {
  process.stdout.write(`${JSON.stringify(r)}\n`, () => process.exit(0));
};

async function run(): Promise<void> {
  const o = parse(process.argv.slice(2));
  if (Number.isNaN(o.rate)) throw new UsageError(`${o.mode} needs --rate`);
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
  } else {
    const s = await bind(o.from[0], 2152);
    const payload = pk.gtpGpdu(0x100, pk.innerIpv4Udp(128));
    let errors = 0;
    process.stdout.write('ready\n');
    const sent = await paced(o.rate, o.seconds, () => s.send(payload, 2152, o.to[0], (e) => e && errors++));
    setTimeout(() => done({ sent, errors }), 200);
  }
}

// Each mode exits itself once it has printed its counts (done()).
main('load-peer', run, { exitWhenDone: false });
