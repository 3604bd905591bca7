#!/usr/bin/env node
'use strict';
/**
 * nfscope datapath benchmark. Run it through bench/datapath.sh (as root); the
 * method is written down in bench/README.md. In short:
 *
 *  1. Per-packet cost. Two identical topologies of four test hosts (gnb, upf,
 *     smf, amf) behind a bridge each: A in 198.18.0.0/24, B in 198.18.1.0/24.
 *     The real exporter is attached to A's host-side veths only. For each
 *     traffic class a bounded number of packets crosses A, and the kernel's
 *     bpf_stats (run_count, run_time_ns from GET /api/v1/status) are read
 *     before and after: ns per run of traffic_ingress and traffic_egress, and
 *     ns per packet = Δrun_time of both / packets sent. Every class is
 *     measured --reps times, the classes taking turns; figures are medians.
 *  2. What bpf_stats themselves cost: an empty tc program in B under the same
 *     traffic (what the stats report for no work), and BPF_PROG_TEST_RUN of
 *     the empty program with statistics on and off; test runs of
 *     traffic_ingress and traffic_egress for the stateless classes.
 *  3. Throughput: iperf3 TCP bulk and UDP 64-octet datagrams from gnb to upf
 *     in A (attached) and in B (not attached), alternately, median ratio; for
 *     UDP also B with the empty program on the same hooks.
 *
 * Options (defaults in brackets):
 *   --packets N      packets per class and repetition [20000]
 *   --reps N         repetitions of every class [3]
 *   --window W       requests in flight in the request/response classes [16]
 *   --rounds N       throughput rounds [5]
 *   --seconds S      length of one iperf3 run [7]
 *   --iperf-cpus C,S CPUs of the iperf3 client and server [TCP 0,0; UDP 0,1]
 *   --no-per-packet, --no-throughput   skip a part
 *   --only ID,...    per-packet classes to measure (plain_udp, pfcp_heartbeat,
 *                    pfcp_session, gtpu_gpdu, gtpu_echo, ngap_sctp, sbi_h2,
 *                    sbi_h2_single) [all]
 *   --out DIR        where the results go [bench/results]
 */
const { execFileSync, spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Topology } = require('./lib/topology');
const { start, finished, killAll, sleep } = require('./lib/proc');
const pk = require('./lib/packets');
const fr = require('./lib/frames');

const REPO = path.resolve(__dirname, '..');
const EXPORTER_BIN = path.join(REPO, 'exporter/bin/nfscope-exporter.js');
const UDP_PEER = path.join(__dirname, 'tools/udp-peer.js');
const SCTP_PEER = path.join(__dirname, 'tools/sctp-peer.js');
const T0 = Date.now();
/** Hard bound on the whole run; the defaults take about three minutes. */
const DEADLINE_MS = 290_000;

const TARGET_PLAIN_NS = 100;
const TARGET_5G_NS = 300;
const SBI_PORT = 7777;
const TARGET_THROUGHPUT = 0.97;

/** A bad command line: reported as its message alone, exit status 2. */
class UsageError extends Error {}

function parseArgs(argv) {
  const o = { packets: 20000, reps: 3, rounds: 5, seconds: 7, iperfCpus: null, window: 16, throughput: true, perPacket: true, out: path.join(__dirname, 'results') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new UsageError(`${a} needs a positive number`);
      return v;
    };
    if (a === '--packets') o.packets = Math.round(num());
    else if (a === '--reps') o.reps = Math.round(num());
    else if (a === '--rounds') o.rounds = Math.round(num());
    else if (a === '--seconds') o.seconds = num();
    else if (a === '--window') o.window = Math.round(num());
    else if (a === '--iperf-cpus') {
      const v = argv[++i];
      if (!/^\d+,\d+$/.test(v ?? '')) throw new UsageError('--iperf-cpus needs CLIENT,SERVER (CPU numbers)');
      o.iperfCpus = v.split(',').map(Number);
    }
    else if (a === '--no-throughput') o.throughput = false;
    else if (a === '--no-per-packet') o.perPacket = false;
    else if (a === '--out') o.out = path.resolve(argv[++i]);
    else if (a === '--only') {
      const v = argv[++i] ?? '';
      o.only = v.split(',').filter(Boolean);
      if (!o.only.length) throw new UsageError('--only needs a comma-separated list of class ids (see --help)');
    }
    else if (a === '-h' || a === '--help') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('*/')[0].replace(/^[^]*?\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
      process.exit(0);
    } else throw new UsageError(`unknown argument ${a} (see --help)`);
  }
  const budget = o.rounds * 5 * (o.seconds + 1) + 60;
  if (o.throughput && budget * 1000 > DEADLINE_MS) throw new UsageError(`--rounds ${o.rounds} --seconds ${o.seconds} would take about ${budget} s, more than the ${DEADLINE_MS / 1000} s bound`);
  return o;
}

const elapsed = () => ((Date.now() - T0) / 1000).toFixed(1).padStart(5);
const say = (msg) => process.stdout.write(`[bench ${elapsed()}s] ${msg}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

// ---------------------------------------------------------------------------
// Everything this run creates, undone by cleanup() also on failure and Ctrl-C.

const state = { topologies: [], exporter: null, emptyObj: null, emptyLink: null, tmp: null, cleaned: false };

function cleanup() {
  if (state.cleaned) return;
  state.cleaned = true;
  killAll();
  for (const l of [state.emptyLink, ...(state.emptyLinks ?? [])]) {
    try {
      l?.detach();
    } catch {
      /* gone with its interface */
    }
  }
  try {
    state.emptyObj?.close();
  } catch {
    /* already closed */
  }
  for (const t of state.topologies) t.destroy();
  if (state.tmp) fs.rmSync(state.tmp, { recursive: true, force: true });
  const left = state.topologies.flatMap((t) => t.leftovers());
  if (left.length) process.stderr.write(`[bench] could not remove: ${left.join(' ')}\n`);
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    process.stderr.write(`\n[bench] ${sig}: cleaning up\n`);
    cleanup();
    process.exit(128 + os.constants.signals[sig]);
  });
}
process.on('exit', cleanup);

// ---------------------------------------------------------------------------
// The exporter

/** Starts the exporter on topology A; programStats: keep the kernel's BPF run-time statistics on (config program_stats). */
async function startExporter(topo, programStats) {
  const port = await new Promise((resolve) => {
    const srv = require('net').createServer();
    srv.listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
  const nfs = [...topo.hosts.values()].map((h) => `  - { name: ${h.name}-1, type: ${h.type}, addresses: ["${h.ip}"] }`).join('\n');
  const config = path.join(state.tmp, 'nfscope.yaml');
  fs.writeFileSync(config, `node: bench\ninterfaces: ["${topo.vethGlob}"]\nprogram_stats: ${programStats}\nnfs:\n${nfs}\n`);
  // On the last CPU: iperf3 runs on CPU 0 (see iperf()).
  const pin = os.cpus().length > 1 ? ['taskset', '-c', `${os.cpus().length - 1}`] : [];
  const child = start([...pin, process.execPath, EXPORTER_BIN, '--config', config, '--listen', `127.0.0.1:${port}`, '--detach-on-exit'], { timeoutMs: DEADLINE_MS, label: 'exporter' });
  const url = `http://127.0.0.1:${port}`;
  const ex = {
    child,
    url,
    async json(p) {
      const r = await fetch(url + p);
      if (!r.ok) throw new Error(`GET ${p}: ${r.status} ${await r.text()}`);
      return r.json();
    },
  };
  const deadline = Date.now() + 15000;
  for (;;) {
    if (child.proc.exitCode !== null) {
      const r = await child.result;
      throw new Error(`the exporter exited with ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    }
    try {
      const ready = (await fetch(`${url}/readyz`)).status === 200;
      const st = ready && (await ex.json('/api/v1/status'));
      if (st && st.interfaces.length === topo.hosts.size) {
        ex.version = st.version;
        ex.interfaces = st.interfaces;
        return ex;
      }
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`the exporter was not ready with ${topo.hosts.size} interfaces after 15 s`);
    await sleep(100);
  }
}

async function programStats(ex) {
  const st = await ex.json('/api/v1/status');
  const out = {};
  for (const p of st.programs) out[p.name] = { runs: p.run_count, ns: p.run_time_ns };
  for (const n of ['traffic_ingress', 'traffic_egress']) if (!out[n]) throw new Error(`/api/v1/status lists no program ${n}`);
  return out;
}

// ---------------------------------------------------------------------------
// Traffic

const inHost = (topo, host, tool, args) => [...topo.inHost(host), process.execPath, tool, ...args];

/** One datagram from every host to every other one (discard port): the bridge learns every MAC. */
async function warmUp(topo) {
  for (const h of topo.hosts.values()) {
    const peers = [...topo.hosts.values()].filter((p) => p !== h);
    for (const p of peers) {
      await finished(start(inHost(topo, h.name, UDP_PEER, ['blast', '--to', p.ip, '--port', '9', '--from-port', '9', '--count', '1', '--hex', '00'])), `warm-up ${h.name}→${p.name}`);
    }
  }
}

/** One-way datagrams from `from` to `to`:port, received by a sink. Returns packets sent. */
async function oneWay(topo, from, to, port, payload, count, between) {
  const sink = start(inHost(topo, to, UDP_PEER, ['sink', '--port', `${port}`]), { readyRe: /ready/, label: `sink in ${to}` });
  await sink.ready;
  await between.before();
  const s = await finished(
    start(inHost(topo, from, UDP_PEER, ['blast', '--to', topo.host(to).ip, '--port', `${port}`, '--count', `${count}`, '--hex', payload.toString('hex')]), { timeoutMs: 60000 }),
    `sender in ${from}`,
  );
  await sleep(100);
  sink.kill();
  const r = await finished(sink, `sink in ${to}`);
  return { packets: s.sent, detail: { sent: s.sent, received: r.received, send_errors: s.errors } };
}

/** Request/response pairs between a client and a responder. Returns packets sent by both. */
async function pairs(topo, client, server, responderArgv, requestArgv) {
  const resp = start(responderArgv, { readyRe: /ready/, label: `responder in ${server}` });
  await resp.ready;
  return { resp, run: () => finished(start(requestArgv, { timeoutMs: 60000 }), `client in ${client}`) };
}

async function requestResponse(topo, client, server, kind, port, n, seqBase, window, between) {
  const { resp, run } = await pairs(
    topo,
    client,
    server,
    inHost(topo, server, UDP_PEER, ['respond', '--port', `${port}`, '--kind', kind]),
    inHost(topo, client, UDP_PEER, ['request', '--to', topo.host(server).ip, '--port', `${port}`, '--kind', kind, '--count', `${n}`, '--window', `${window}`, '--seq-base', `${seqBase}`]),
  );
  await between.before();
  const c = await run();
  await sleep(100);
  resp.kill();
  const r = await finished(resp, `responder in ${server}`);
  return { packets: c.sent + r.sent, detail: { requests: c.sent, responses: r.sent, answered: c.received, ms: round(c.ms, 0) } };
}

async function sctpPairs(topo, client, server, n, tsnBase, window, between) {
  const { resp, run } = await pairs(
    topo,
    client,
    server,
    inHost(topo, server, SCTP_PEER, ['respond']),
    inHost(topo, client, SCTP_PEER, ['request', '--to', topo.host(server).ip, '--count', `${n}`, '--window', `${window}`, '--tsn-base', `${tsnBase}`]),
  );
  await between.before();
  const c = await run();
  await sleep(100);
  resp.kill();
  const r = await finished(resp, `responder in ${server}`);
  return { packets: c.sent + r.sent, detail: { data: c.sent, sacks: r.sent, acked: c.received, ms: round(c.ms, 0) } };
}

/**
 * SBI: h2load (one HTTP/2 connection, `window` streams in flight) against
 * nghttpd serving a small file, both from nghttp2, neither written by
 * nfscope. The number of TCP packets is not known to either tool: it is the
 * ingress program's run count (every packet runs it once; measureClass
 * checks egress against it).
 */
async function h2Pairs(topo, client, server, requests, window, between) {
  const dir = fs.mkdtempSync(path.join(state.tmp, 'h2-'));
  fs.writeFileSync(path.join(dir, 'am-data'), JSON.stringify({ gpsis: ['msisdn-001010000000001'], subscribedUeAmbr: { uplink: '1 Gbps', downlink: '2 Gbps' } }));
  const srv = start([...topo.inHost(server), 'nghttpd', '--no-tls', '-d', dir, `${SBI_PORT}`], { label: `nghttpd in ${server}` });
  await sleep(500);
  if (srv.proc.exitCode !== null) throw new Error(`nghttpd in ${server} exited: ${(await srv.result).stderr.trim()}`);
  await between.before();
  const c = await start([...topo.inHost(client), 'h2load', '-n', `${requests}`, '-c', '1', '-m', `${window}`, `http://${topo.host(server).ip}:${SBI_PORT}/am-data`], { timeoutMs: 60000 }).result;
  await sleep(100);
  srv.kill();
  await srv.result;
  const m = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded/.exec(c.stdout);
  if (c.code !== 0 || !m) throw new Error(`h2load in ${client} failed (${c.code ?? c.signal}): ${c.stderr.trim() || c.stdout.trim()}`);
  return { packets: null, detail: { requests: Number(m[1]), succeeded: Number(m[4]) } };
}

// ---------------------------------------------------------------------------
// 1. Per-packet cost from bpf_stats

function classes(topo, o) {
  const n = o.packets;
  const half = Math.round(n / 2);
  const gpdu = pk.gtpGpdu(0x1001, pk.innerIpv4Udp(100));
  // Sequence numbers (TSNs) of every repetition are new, so no request can
  // meet a leftover of an earlier one and count as a retransmission.
  const seq = (rep, base) => base + rep * half;
  return [
    { id: 'plain_udp', name: 'plain UDP (port 9999, gnb→upf; parsed to L4)', target: TARGET_PLAIN_NS, run: (b) => oneWay(topo, 'gnb', 'upf', 9999, Buffer.alloc(64, 0x5a), n, b) },
    { id: 'pfcp_heartbeat', name: 'PFCP Heartbeat req/resp (N4, smf↔upf)', target: TARGET_5G_NS, run: (b, rep) => requestResponse(topo, 'smf', 'upf', 'pfcp-heartbeat', 8805, half, seq(rep, 1), o.window, b) },
    { id: 'pfcp_session', name: 'PFCP Session Establishment req/resp (N4, S=1, Cause 2nd IE)', target: TARGET_5G_NS, run: (b, rep) => requestResponse(topo, 'smf', 'upf', 'pfcp-session', 8805, half, seq(rep, 0x100000), o.window, b) },
    { id: 'gtpu_gpdu', name: 'GTP-U G-PDU, 128-octet T-PDU (N3, gnb→upf)', target: TARGET_5G_NS, run: (b) => oneWay(topo, 'gnb', 'upf', 2152, gpdu, n, b) },
    { id: 'gtpu_echo', name: 'GTP-U Echo req/resp (N3, gnb↔upf)', target: TARGET_5G_NS, run: (b, rep) => requestResponse(topo, 'gnb', 'upf', 'gtpu-echo', 2152, half, seq(rep, 1) & 0xffff, o.window, b) },
    { id: 'ngap_sctp', name: 'SCTP NGAP DATA + SACK (N2, gnb↔amf)', target: TARGET_5G_NS, run: (b, rep) => sctpPairs(topo, 'gnb', 'amf', half, seq(rep, 1000), o.window, b) },
    // With --window streams in flight a segment carries the frames of several requests; with one, about
    // three TCP packets per request (request, response, ACK). The per-request figure is in the detail.
    { id: 'sbi_h2', name: `SBI HTTP/2 GET → 200, h2load → nghttpd, one connection, ${o.window} streams in flight (amf→smf, port 7777; TCP packets incl. pure ACKs)`, target: TARGET_5G_NS, run: (b) => h2Pairs(topo, 'amf', 'smf', Math.round(n / 3), o.window, b) },
    { id: 'sbi_h2_single', name: 'SBI HTTP/2 GET → 200, h2load → nghttpd, one connection, one stream at a time (amf→smf, port 7777; TCP packets incl. pure ACKs)', target: TARGET_5G_NS, run: (b) => h2Pairs(topo, 'amf', 'smf', Math.round(n / 3), 1, b) },
  ];
}

/** One repetition of one class: Δ of both programs' statistics around its traffic. */
async function measureClass(ex, c, rep) {
  let before;
  const between = { before: async () => (before = await programStats(ex)) };
  const r = await c.run(between, rep);
  const after = await programStats(ex);
  const d = (n) => ({ runs: after[n].runs - before[n].runs, ns: after[n].ns - before[n].ns });
  const ing = d('traffic_ingress');
  const eg = d('traffic_egress');
  // TCP classes: the packets are counted by the ingress program's runs.
  if (r.packets === null) r.packets = ing.runs;
  const m = {
    ...(r.detail.requests ? { ns_per_request: round((ing.ns + eg.ns) / r.detail.requests) } : {}),
    packets: r.packets,
    traffic: r.detail,
    ingress: { runs: ing.runs, run_time_ns: ing.ns, ns_per_run: round(ing.ns / ing.runs) },
    egress: { runs: eg.runs, run_time_ns: eg.ns, ns_per_run: round(eg.ns / eg.runs) },
    ns_per_packet: round((ing.ns + eg.ns) / r.packets),
  };
  if (ing.runs !== r.packets || eg.runs !== r.packets) m.note = `expected ${r.packets} runs of each program, saw ${ing.runs} ingress and ${eg.runs} egress`;
  return m;
}

/**
 * Every class o.reps times, the classes taking turns (a drift over the run
 * spreads over all of them); each figure is the median over the repetitions.
 */
async function perPacket(ex, topo, o) {
  const all = classes(topo, o);
  const unknown = (o.only ?? []).filter((id) => !all.some((c) => c.id === id));
  if (unknown.length) throw new Error(`--only: no class ${unknown.join(', ')} (classes: ${all.map((c) => c.id).join(', ')})`);
  const cs = o.only ? all.filter((c) => o.only.includes(c.id)) : all;
  const reps = cs.map(() => []);
  for (let rep = 0; rep < o.reps; rep++) {
    for (const [i, c] of cs.entries()) {
      const m = await measureClass(ex, c, rep);
      reps[i].push(m);
      say(
        `${c.id.padEnd(15)} ${rep + 1}/${o.reps}: ${m.packets} packets, ingress ${m.ingress.ns_per_run} ns/run (${m.ingress.runs} runs), ` +
          `egress ${m.egress.ns_per_run} ns/run (${m.egress.runs} runs) → ${m.ns_per_packet} ns/packet${m.note ? ` [${m.note}]` : ''}`,
      );
    }
  }
  return cs.map((c, i) => {
    const rs = reps[i];
    const nsPerPacket = median(rs.map((m) => m.ns_per_packet));
    return {
      id: c.id,
      class: c.name,
      packets: rs[0].packets,
      ingress_ns_per_run: median(rs.map((m) => m.ingress.ns_per_run)),
      egress_ns_per_run: median(rs.map((m) => m.egress.ns_per_run)),
      ns_per_packet: nsPerPacket,
      ns_per_packet_reps: rs.map((m) => m.ns_per_packet),
      ...(rs[0].ns_per_request !== undefined ? { ns_per_request: median(rs.map((m) => m.ns_per_request)) } : {}),
      target_ns_per_packet: c.target,
      pass: nsPerPacket <= c.target,
      reps: rs,
    };
  });
}

// ---------------------------------------------------------------------------
// 2. What the statistics cost: an empty program, and BPF_PROG_TEST_RUN

function loadEmpty() {
  const obj = path.join(state.tmp, 'empty.bpf.o');
  execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I', path.join(REPO, 'bpf/build'), '-c', path.join(__dirname, 'bpf/empty.bpf.c'), '-o', obj], { stdio: ['ignore', 'ignore', 'pipe'] });
  const { native } = require(path.join(REPO, 'exporter/dist/kernel/bpf.js'));
  const addon = native();
  const o = new addon.BpfObject(obj);
  state.emptyObj = o;
  o.load();
  const fd = o.programs().find((p) => p.name === 'bench_empty').fd;
  return { addon, fd, id: addon.progInfo(fd).id, stats: () => addon.progInfo(fd) };
}

/** The empty program on B's gnb veth ingress under plain UDP: what bpf_stats report for no work (median of o.reps). */
async function emptyInSitu(empty, topoB, o) {
  state.emptyLink = empty.addon.tcAttach(empty.fd, topoB.host('gnb').ifindex, 'ingress', {});
  const reps = [];
  for (let rep = 0; rep < o.reps; rep++) {
    let before;
    const r = await oneWay(topoB, 'gnb', 'upf', 9999, Buffer.alloc(64, 0x5a), o.packets, { before: async () => (before = empty.stats()) });
    const after = empty.stats();
    const runs = after.runCount - before.runCount;
    const ns = after.runTimeNs - before.runTimeNs;
    reps.push({ packets: r.packets, runs, run_time_ns: ns, ns_per_run: round(ns / runs) });
  }
  state.emptyLink.detach();
  state.emptyLink = null;
  const row = { ns_per_run: median(reps.map((x) => x.ns_per_run)), reps };
  say(`empty tc program in B under plain UDP: ${row.ns_per_run} ns/run as bpf_stats report it (${reps.map((x) => x.ns_per_run).join(', ')})`);
  return row;
}

/** BPF_PROG_TEST_RUN through bpftool: average ns per run over `repeat` runs, median of three. */
function testRun(progId, frame, ctx, repeat = 1_000_000) {
  const data = path.join(state.tmp, `frame-${crypto.randomBytes(4).toString('hex')}`);
  fs.writeFileSync(data, frame);
  const args = ['prog', 'run', 'id', `${progId}`, 'data_in', data];
  if (ctx) {
    fs.writeFileSync(`${data}.ctx`, ctx);
    args.push('ctx_in', `${data}.ctx`);
  }
  args.push('repeat', `${repeat}`);
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const r = spawnSync('bpftool', args, { encoding: 'utf8', timeout: 30000 });
    const m = /duration \(average\): (\d+)ns/.exec(r.stdout + r.stderr);
    if (!m) throw new Error(`bpftool ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
    runs.push(Number(m[1]));
  }
  return median(runs);
}

function testRuns(empty, topoA) {
  const { native } = require(path.join(REPO, 'exporter/dist/kernel/bpf.js'));
  const addon = native();
  const idOf = (ifindex, dir, name) => {
    for (const id of addon.tcxQuery(ifindex, dir)) {
      const info = JSON.parse(execFileSync('bpftool', ['prog', 'show', 'id', `${id}`, '-j'], { encoding: 'utf8' }));
      if (info.name === name) return id;
    }
    throw new Error(`no ${name} on ${dir} of ifindex ${ifindex}`);
  };
  const gnb = topoA.host('gnb');
  const upf = topoA.host('upf');
  const ingressId = idOf(gnb.ifindex, 'ingress', 'traffic_ingress');
  const egressId = idOf(upf.ifindex, 'egress', 'traffic_egress');
  const plain = fr.udpFrame(gnb.ip, upf.ip, 40000, 9999, Buffer.alloc(64, 0x5a));
  const gpdu = fr.udpFrame(gnb.ip, upf.ip, 2152, 2152, pk.gtpGpdu(0x1001, pk.innerIpv4Udp(100)));
  const rows = {
    empty: testRun(empty.id, plain),
    ingress_plain_udp: testRun(ingressId, plain),
    ingress_gtpu_gpdu: testRun(ingressId, gpdu),
    // As on the receiver's veth: the packet came in through an attached interface.
    egress_already_counted: testRun(egressId, plain, fr.skbCtx(gnb.ifindex)),
  };
  say(
    `BPF_PROG_TEST_RUN, statistics on: empty ${rows.empty} ns, traffic_ingress plain ${rows.ingress_plain_udp} ns, G-PDU ${rows.ingress_gtpu_gpdu} ns, ` +
      `traffic_egress early return ${rows.egress_already_counted} ns (per run)`,
  );
  return { plainFrame: plain, rows };
}

// ---------------------------------------------------------------------------
// 3. Throughput

/**
 * Where client and server run is chosen so that the rate is set by the CPU
 * that runs the hooks and no work is wasted: the veths' softirq work (both
 * hooks included) runs on the sender's CPU.
 *  - TCP: client and server on CPU 0. Flow control wastes nothing, so the rate
 *    is one CPU divided by the CPU time per byte, all of it, hooks included.
 *    -Z (sendfile) because without the copy from userspace the run-to-run
 *    spread on a small VM drops from ±10 % to a few %.
 *  - UDP: client on CPU 0, server on CPU 1. The receiver keeps up (no loss), so
 *    the rate is the sender's CPU divided by its time per datagram. On one CPU
 *    the receiving socket overflows, and the scheduler's fair share then sets
 *    the received rate, which hides most of the hooks' cost.
 * The exporter runs on the last CPU. With one CPU everything shares it.
 */
function iperfKinds(o) {
  const two = os.cpus().length > 1;
  return [
    { id: 'tcp_bulk', name: `iperf3 TCP bulk (-Z), ${o.seconds} s, port 7777 (SBI)`, port: 7777, args: ['-Z'], cpus: o.iperfCpus ?? [0, 0] },
    { id: 'udp_64', name: `iperf3 UDP 64-octet datagrams, -b 0, ${o.seconds} s, port 2152 (GTP-U)`, port: 2152, args: ['-u', '-l', '64', '-b', '0'], cpus: o.iperfCpus ?? [0, two ? 1 : 0] },
  ];
}

async function iperf(topo, kind, o) {
  const server = start([...topo.inHost('upf'), 'taskset', '-c', `${kind.cpus[1]}`, 'iperf3', '-s', '-1', '-p', `${kind.port}`, '--forceflush'], {
    readyRe: /listening/i,
    timeoutMs: (o.seconds + 15) * 1000,
    label: 'iperf3 server',
  });
  await Promise.race([server.ready, sleep(3000)]);
  const client = start(
    [...topo.inHost('gnb'), 'taskset', '-c', `${kind.cpus[0]}`, 'iperf3', '-c', topo.host('upf').ip, '-p', `${kind.port}`, '-t', `${o.seconds}`, '--connect-timeout', '3000', '--json', ...kind.args],
    { timeoutMs: (o.seconds + 15) * 1000, label: 'iperf3 client' },
  );
  const r = await client.result;
  server.kill('SIGKILL');
  await server.result;
  let j;
  try {
    j = JSON.parse(r.stdout);
  } catch {
    /* reported below */
  }
  if (!j || j.error || !j.end?.sum_received) throw new Error(`iperf3 ${kind.id} in ${topo.id} failed: ${j?.error ?? (r.stderr.trim() || r.stdout.slice(0, 300))}`);
  const rx = j.end.sum_received;
  const tx = j.end.sum_sent;
  return {
    bps: rx.bits_per_second,
    pps: kind.id === 'udp_64' ? rx.bytes / 64 / rx.seconds : undefined,
    sent_bps: tx.bits_per_second,
    lost_percent: kind.id === 'udp_64' ? rx.lost_percent : undefined,
    retransmits: tx.retransmits,
    cpus: kind.cpus,
  };
}

/**
 * Attaches the empty program to tcx ingress and egress of every veth of a
 * topology, as the exporter attaches its own; returns a function that detaches them.
 */
function attachEmptyEverywhere(empty, topo) {
  const links = [];
  state.emptyLinks = links;
  for (const h of topo.hosts.values()) for (const dir of ['ingress', 'egress']) links.push(empty.addon.tcAttach(empty.fd, h.ifindex, dir, {}));
  return () => {
    for (const l of links.splice(0)) l.detach();
  };
}

async function throughput(topoA, topoB, empty, o) {
  const out = [];
  for (const kind of iperfKinds(o)) out.push({ id: kind.id, kind: kind.name, cpus: { client: kind.cpus[0], server: kind.cpus[1] }, rounds: [] });
  for (let r = 0; r < o.rounds; r++) {
    for (const [i, kind] of iperfKinds(o).entries()) {
      // A then B in even rounds, B then A in odd ones: a drift in time favours neither.
      // For UDP also E: topology B with the empty program on the same hooks.
      const seq = kind.id === 'udp_64' && empty ? ['A', 'B', 'E'] : ['A', 'B'];
      const order = r % 2 === 0 ? seq : [...seq].reverse();
      const res = {};
      for (const which of order) {
        if (which === 'E') {
          const detach = attachEmptyEverywhere(empty, topoB);
          try {
            res.E = await iperf(topoB, kind, o);
          } finally {
            detach();
          }
        } else {
          res[which] = await iperf(which === 'A' ? topoA : topoB, kind, o);
        }
      }
      const ratio = res.A.bps / res.B.bps;
      const row = { order: order.join(''), attached: res.A, unattached: res.B, ratio };
      if (res.E) Object.assign(row, { empty_programs: res.E, empty_ratio: res.E.bps / res.B.bps });
      out[i].rounds.push(row);
      const f = (x) => (kind.id === 'udp_64' ? `${(x.pps / 1e3).toFixed(0)} kpps` : `${(x.bps / 1e9).toFixed(2)} Gbit/s`);
      const extra = res.E ? `; B with empty programs ${f(res.E)}, ${(row.empty_ratio * 100).toFixed(1)} % of B` : '';
      const lost = kind.id === 'udp_64' ? ` (lost ${res.A.lost_percent.toFixed(1)} % / ${res.B.lost_percent.toFixed(1)} %)` : '';
      say(`${kind.id} round ${r + 1}/${o.rounds} (${order.join('')}): attached ${f(res.A)}, unattached ${f(res.B)}, ratio ${(ratio * 100).toFixed(1)} %${lost}${extra}`);
    }
  }
  for (const k of out) {
    k.median_ratio = median(k.rounds.map((x) => x.ratio));
    k.ratio_of_medians = median(k.rounds.map((x) => x.attached.bps)) / median(k.rounds.map((x) => x.unattached.bps));
    if (k.rounds[0].empty_ratio !== undefined) k.median_empty_ratio = median(k.rounds.map((x) => x.empty_ratio));
    k.target_ratio = TARGET_THROUGHPUT;
    k.pass = k.median_ratio >= TARGET_THROUGHPUT;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Report

/** Other nfscope exporters on this machine (they keep bpf_stats on and take CPU time), by pid. */
function otherExporters(mine) {
  const out = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    if (Number(pid) === mine || Number(pid) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.endsWith('nfscope-exporter') || a.endsWith('nfscope-exporter.js'))) out.push(Number(pid));
    } catch {
      /* gone */
    }
  }
  return out;
}

function environment(ex) {
  const cpu = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  const git = (...a) => spawnSync('git', ['-C', REPO, ...a], { encoding: 'utf8' }).stdout.trim();
  return {
    date: new Date().toISOString(),
    kernel: os.release(),
    cpu: cpu ? cpu[1].trim() : 'unknown',
    cpus: os.cpus().length,
    node: process.version,
    iperf3: spawnSync('iperf3', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0].trim(),
    exporter_version: ex?.version,
    tc_attach: ex?.interfaces?.[0]?.mode,
    load_average_at_start: fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number),
    other_exporters_at_start: otherExporters(ex?.child.proc.pid),
    git_commit: git('rev-parse', '--short', 'HEAD'),
    git_dirty: git('status', '--porcelain', '--untracked-files=no', '--', 'bpf', 'exporter/src', 'exporter/native') !== '',
  };
}

function markdown(res) {
  const L = [];
  const e = res.environment;
  L.push(`# nfscope datapath benchmark, ${e.date.slice(0, 10)}`, '');
  L.push(`Kernel ${e.kernel}, CPU ${e.cpu} (${e.cpus} CPUs), tc attach: ${e.tc_attach}, nfscope ${e.exporter_version} at ${e.git_commit}${e.git_dirty ? ' (bpf/ or exporter/ modified)' : ''}, ${e.iperf3}, Node.js ${e.node}; load average at start ${e.load_average_at_start.join(' ')}${e.other_exporters_at_start.length ? `; **other nfscope exporters were running** (pids ${e.other_exporters_at_start.join(', ')})` : ''}.`, '');
  L.push('Method: ' + res.method.per_packet, '');
  if (res.per_packet) {
    L.push(
      `| traffic class | packets | ingress ns/run | egress ns/run | ns/packet, both hooks (each of ${res.options.reps} repetitions) | target | result | ns/packet less the stats' share (2 × empty program) |`,
      '|---|---:|---:|---:|---:|---:|---|---:|',
    );
    const bias = res.stats_overhead?.empty_in_situ?.ns_per_run;
    for (const r of res.per_packet) {
      L.push(
        `| ${r.class}${r.ns_per_request !== undefined ? ` (both hooks, all packets: ${r.ns_per_request} ns per request)` : ''} | ${r.packets} | ${r.ingress_ns_per_run} | ${r.egress_ns_per_run} | **${r.ns_per_packet}** (${r.ns_per_packet_reps.join(', ')}) | ≤ ${r.target_ns_per_packet} | ${r.pass ? 'PASS' : 'MISS'} | ${bias ? round(r.ns_per_packet - 2 * bias) : '–'} |`,
      );
    }
    L.push('');
  }
  if (res.stats_overhead) {
    const s = res.stats_overhead;
    L.push('Method: ' + res.method.stats_overhead, '');
    L.push('| measurement | ns/run |', '|---|---:|');
    if (s.empty_in_situ) L.push(`| empty tc program under plain UDP, as bpf_stats report it | ${s.empty_in_situ.ns_per_run} |`);
    if (s.test_run) {
      L.push(`| test run, statistics on: empty program | ${s.test_run.empty} |`);
      L.push(`| test run, statistics on: traffic_ingress, plain UDP | ${s.test_run.ingress_plain_udp} |`);
      L.push(`| test run, statistics on: traffic_ingress, G-PDU | ${s.test_run.ingress_gtpu_gpdu} |`);
      L.push(`| test run, statistics on: traffic_egress, already counted at ingress | ${s.test_run.egress_already_counted} |`);
    }
    L.push(`| test run, statistics off: empty program | ${s.empty_stats_off ?? `not measured (${s.stats_off_problem})`} |`);
    if (s.stats_cost_per_run !== null && s.stats_cost_per_run !== undefined) L.push(`| cost of bpf_stats per program run (on − off) | ${s.stats_cost_per_run} |`);
    L.push('');
  }
  if (res.throughput) {
    L.push('Method: ' + res.method.throughput, '');
    L.push('| kind | attached / unattached, each round | median ratio | target | result | median A / median B |', '|---|---|---:|---:|---|---:|');
    for (const k of res.throughput) {
      const per = k.rounds.map((r) => `${(r.ratio * 100).toFixed(1)} %`).join(', ');
      L.push(`| ${k.kind} | ${per} | **${(k.median_ratio * 100).toFixed(1)} %** | ≥ ${k.target_ratio * 100} % | ${k.pass ? 'PASS' : 'MISS'} | ${(k.ratio_of_medians * 100).toFixed(1)} % |`);
    }
    const rate = (k, f) => k.rounds.map((r) => f(r)).join(' / ');
    for (const k of res.throughput) {
      if (k.id === 'udp_64') {
        L.push(`- ${k.id}: attached ${rate(k, (r) => `${(r.attached.pps / 1e3).toFixed(0)}`)} kpps; unattached ${rate(k, (r) => `${(r.unattached.pps / 1e3).toFixed(0)}`)} kpps (received)`);
        if (k.median_empty_ratio !== undefined) {
          L.push(
            `- ${k.id} with the empty tc program (bench/bpf/empty.bpf.c) on the same hooks of B instead of nfscope's: ${rate(k, (r) => `${(r.empty_programs.pps / 1e3).toFixed(0)}`)} kpps, ` +
              `median ${(k.median_empty_ratio * 100).toFixed(1)} % of B: the cost of having any program there (tcx dispatch), before nfscope does any work`,
          );
        }
        const lost = k.rounds.flatMap((r) => [r.attached.lost_percent, r.unattached.lost_percent]);
        L.push(
          `- ${k.id} as sent by the client: median ratio ${(median(k.rounds.map((r) => r.attached.sent_bps / r.unattached.sent_bps)) * 100).toFixed(1)} %; ` +
            `lost at the receiver: up to ${Math.max(...lost).toFixed(1)} % (more than 1 % means the receiver, not the path through the hooks, set the rate)`,
        );
      }
      else L.push(`- ${k.id}: attached ${rate(k, (r) => (r.attached.bps / 1e9).toFixed(2))} Gbit/s; unattached ${rate(k, (r) => (r.unattached.bps / 1e9).toFixed(2))} Gbit/s (received)`);
    }
    L.push('');
  }
  L.push(`Total run time ${res.seconds} s.`);
  return L.join('\n') + '\n';
}

const METHOD = {
  per_packet:
    'each class in isolation through topology A (host veths attached by the real exporter: tcx ingress and egress); ' +
    'Δrun_count and Δrun_time_ns of traffic_ingress and traffic_egress from GET /api/v1/status before and after. ' +
    'Every packet crosses two attached hooks: ingress of the sender\'s veth (the full parse) and egress of the receiver\'s veth ' +
    '(returns early: the packet came in through an attached interface). ns/run = Δrun_time_ns / Δrun_count per program; ' +
    'ns/packet = Δrun_time_ns of both programs / packets sent, which is what is compared with the targets (≤ 100 ns plain, ≤ 300 ns parsed 5G). ' +
    'Request/response classes: a responder in the peer namespace answers every request (at most --window unanswered), so responses complete real transactions. ' +
    'bpf_stats time each run with two sched_clock() reads, so every figure includes part of that clock cost; see the statistics table.',
  stats_overhead:
    'the empty tc program (bench/bpf/empty.bpf.c) attached to topology B under the same plain UDP shows what bpf_stats report for a program that does nothing; ' +
    'BPF_PROG_TEST_RUN (bpftool prog run, 1 000 000 repeats, median of 3) of the empty program with statistics on (exporter running) and off (after it stopped) gives their cost per run; ' +
    'test runs of traffic_ingress/traffic_egress on stateless packets give the programs\' cost outside the network stack (statistics on: subtract the on − off cost for the programs alone).',
  throughput:
    'iperf3 from gnb to upf in topology A (exporter attached) and in the identical topology B (not attached), alternately (A B, then B A in the next round), ' +
    'received rate; ratio = A / B per round, median over rounds, compared with ≥ 97 %. The veths\' softirq work, both hooks included, runs on the sender\'s CPU (0); ' +
    'TCP bulk with -Z (sendfile) on port 7777 (SBI: every segment is classified and counted), client and server both on CPU 0 (flow control: the rate is one CPU over the CPU time per byte); ' +
    'UDP 64-octet datagrams at -b 0 on port 2152 (GTP-U: counted and looked at as GTP-U), server on CPU 1 so that it keeps up and the sender\'s CPU sets the rate. ' +
    'The exporter runs on the last CPU, restarted for these runs with program_stats: false, its default, so the kernel\'s run-time statistics are off (unless another process holds them on: see the environment).',
};

// ---------------------------------------------------------------------------

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid() !== 0) throw new UsageError('needs root (eBPF, tc, network namespaces): sudo bench/datapath.sh');
  const watchdog = setTimeout(() => {
    process.stderr.write(`[bench] still running after ${DEADLINE_MS / 1000} s: giving up\n`);
    cleanup();
    process.exit(1);
  }, DEADLINE_MS);
  watchdog.unref();

  state.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-bench-'));
  const runId = crypto.randomBytes(3).toString('hex');
  const hosts = (net) => [
    { name: 'gnb', type: 'gNB', addr: `198.18.${net}.1/24` },
    { name: 'upf', type: 'UPF', addr: `198.18.${net}.2/24` },
    { name: 'smf', type: 'SMF', addr: `198.18.${net}.3/24` },
    { name: 'amf', type: 'AMF', addr: `198.18.${net}.4/24` },
  ];
  say(`run ${runId}: topology A (198.18.0.0/24, exporter attached) and B (198.18.1.0/24, not attached)`);
  const topoA = new Topology(runId, 'a', hosts(0));
  state.topologies.push(topoA);
  topoA.create();
  const topoB = new Topology(runId, 'b', hosts(1));
  state.topologies.push(topoB);
  topoB.create();
  for (const t of [topoA, topoB]) t.pinNeighbours();

  // Per-packet cost is read from the kernel's run-time statistics: on for this part.
  let ex = await startExporter(topoA, true);
  state.exporter = ex;
  say(`exporter ${ex.version} attached to ${ex.interfaces.map((i) => `${i.name} (${i.mode})`).join(', ')}`);
  await warmUp(topoA);
  await warmUp(topoB);

  const res = { environment: environment(ex), options: o, method: METHOD };
  if (res.environment.other_exporters_at_start.length) {
    say(`warning: other nfscope exporters are running (pids ${res.environment.other_exporters_at_start.join(', ')}): they take CPU time and keep bpf_stats on; expect noisier figures`);
  }
  if (o.perPacket) {
    say(`per-packet cost: ${o.packets} packets per class`);
    res.per_packet = await perPacket(ex, topoA, o);
  }
  const empty = loadEmpty();
  res.stats_overhead = {};
  if (o.perPacket) res.stats_overhead.empty_in_situ = await emptyInSitu(empty, topoB, o);
  res.stats_overhead.test_run = testRuns(empty, topoA).rows;

  if (o.throughput) {
    // Throughput as deployed: the exporter's default leaves the statistics off.
    say('restarting the exporter with program_stats: false (its default) for the throughput runs');
    ex.child.kill('SIGTERM');
    await ex.child.result;
    ex = await startExporter(topoA, false);
    state.exporter = ex;
    say(`throughput: ${o.rounds} rounds × (TCP, UDP) × (A, B), ${o.seconds} s each`);
    res.throughput = await throughput(topoA, topoB, empty, o);
  }

  say('stopping the exporter');
  ex.child.kill('SIGTERM');
  const exit = await ex.child.result;
  if (exit.code !== 0) say(`the exporter exited with ${exit.code ?? exit.signal}: ${exit.stderr.trim()}`);

  // With the exporter gone, statistics are off unless another process keeps them on.
  const runsBefore = empty.stats().runCount;
  const plain = fr.udpFrame('198.18.1.1', '198.18.1.2', 40000, 9999, Buffer.alloc(64, 0x5a));
  const off = testRun(empty.id, plain);
  if (empty.stats().runCount !== runsBefore) {
    res.stats_overhead.stats_off_problem = 'statistics are still on: another process holds them enabled';
    res.stats_overhead.empty_stats_off = null;
    res.stats_overhead.stats_cost_per_run = null;
  } else {
    res.stats_overhead.empty_stats_off = off;
    res.stats_overhead.stats_cost_per_run = res.stats_overhead.test_run.empty - off;
  }
  say(`BPF_PROG_TEST_RUN, statistics off: empty ${off} ns/run${res.stats_overhead.stats_off_problem ? ` (${res.stats_overhead.stats_off_problem})` : ''}`);

  res.seconds = round((Date.now() - T0) / 1000, 0);
  res.pass = [...(res.per_packet ?? []), ...(res.throughput ?? [])].every((r) => r.pass);
  const md = markdown(res);
  fs.mkdirSync(o.out, { recursive: true });
  const stamp = res.environment.date.replace(/:\d\d\.\d+Z$/, '').replace(':', '');
  const file = path.join(o.out, `datapath-${stamp}.json`);
  fs.writeFileSync(file, JSON.stringify(res, null, 2) + '\n');
  fs.writeFileSync(file.replace(/\.json$/, '.md'), md);
  cleanup();
  process.stdout.write(`\n${md}\nwritten: ${path.relative(process.cwd(), file)} (and .md)\n`);
  return res.pass ? 0 : 3;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof UsageError) {
      process.stderr.write(`bench/datapath.sh: ${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`[bench] failed: ${e.stack || e.message}\n`);
    cleanup();
    process.exit(1);
  },
);
