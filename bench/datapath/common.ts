/**
 * What the three datapath experiments share (bench/datapath.ts runs them):
 * the run's state and its cleanup, the two topologies, the exporter, the
 * traffic generators, the empty tc program and BPF_PROG_TEST_RUN.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import type { Topology } from '@nfscope/sim';
import { native, type NativeBinding } from '@nfscope/exporter/dist/kernel/bpf';
import { BENCH, EXPORTER_BIN, REPO, tool } from '../lib/paths';
import { finished, killAll, sleep, start, type Child } from '../lib/proc';
import { median, round } from '../lib/stats';

export const UDP_PEER = tool('udp-peer');
export const SCTP_PEER = tool('sctp-peer');
export const T0 = Date.now();
/** Hard bound on the whole run; the defaults take about three minutes. */
export const DEADLINE_MS = 290_000;
export const TARGET_PLAIN_NS = 100;
export const TARGET_5G_NS = 300;
export const SBI_PORT = 7777;
export const TARGET_THROUGHPUT = 0.97;

export interface DatapathOptions {
  packets: number;
  reps: number;
  rounds: number;
  seconds: number;
  iperfCpus: [number, number] | null;
  window: number;
  throughput: boolean;
  perPacket: boolean;
  only?: string[];
  out: string;
}

const elapsed = (): string => ((Date.now() - T0) / 1000).toFixed(1).padStart(5);
export const say = (msg: string): boolean => process.stdout.write(`[bench ${elapsed()}s] ${msg}\n`);

export type NativeObject = InstanceType<NativeBinding['BpfObject']>;
export type NativeLink = ReturnType<NativeBinding['tcAttach']>;

// ---------------------------------------------------------------------------
// Everything this run creates, undone by cleanup() also on failure and Ctrl-C.

export const state: { topologies: Topology[]; emptyObj: NativeObject | null; emptyLinks: NativeLink[]; tmp: string | null; cleaned: boolean } = {
  topologies: [],
  emptyObj: null,
  emptyLinks: [],
  tmp: null,
  cleaned: false,
};

export function tmpDir(): string {
  if (!state.tmp) throw new Error('the run has no temporary directory yet');
  return state.tmp;
}

export function cleanup(): void {
  if (state.cleaned) return;
  state.cleaned = true;
  killAll();
  for (const l of state.emptyLinks.splice(0)) {
    try {
      l.detach();
    } catch {
      // gone with its interface
    }
  }
  try {
    state.emptyObj?.close();
  } catch {
    // already closed
  }
  for (const t of state.topologies) t.destroy();
  if (state.tmp) fs.rmSync(state.tmp, { recursive: true, force: true });
  const left = state.topologies.flatMap((t) => t.leftovers());
  if (left.length) process.stderr.write(`[bench] could not remove: ${left.join(' ')}\n`);
}

// ---------------------------------------------------------------------------
// The exporter

export interface Exporter {
  child: Child;
  url: string;
  version?: string;
  interfaces?: Array<{ name: string; mode: string }>;
  json<T = unknown>(p: string): Promise<T>;
}

interface Status {
  version: string;
  interfaces: Array<{ name: string; mode: string }>;
  programs: Array<{ name: string; run_count: number; run_time_ns: number }>;
}

/** Starts the exporter on a topology; programStats: keep the kernel's BPF run-time statistics on (config program_stats). */
export async function startExporter(topo: Topology, programStats: boolean): Promise<Exporter> {
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const nfs = [...topo.hosts.values()].map((h) => `  - { name: ${h.name}-1, type: ${h.type}, addresses: ["${h.ip}"] }`).join('\n');
  const config = path.join(tmpDir(), 'nfscope.yaml');
  fs.writeFileSync(config, `node: bench\ninterfaces: ["${topo.vethGlob}"]\nprogram_stats: ${programStats}\nnfs:\n${nfs}\n`);
  // On the last CPU: iperf3 runs on CPU 0 (see throughput.ts).
  const pin = os.cpus().length > 1 ? ['taskset', '-c', `${os.cpus().length - 1}`] : [];
  const child = start([...pin, process.execPath, EXPORTER_BIN, '--config', config, '--listen', `127.0.0.1:${port}`, '--detach-on-exit'], { timeoutMs: DEADLINE_MS, label: 'exporter' });
  const url = `http://127.0.0.1:${port}`;
  const ex: Exporter = {
    child,
    url,
    async json<T>(p: string): Promise<T> {
      const r = await fetch(url + p);
      if (!r.ok) throw new Error(`GET ${p}: ${r.status} ${await r.text()}`);
      return (await r.json()) as T;
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
      const st = ready && (await ex.json<Status>('/api/v1/status'));
      if (st && st.interfaces.length === topo.hosts.size) {
        ex.version = st.version;
        ex.interfaces = st.interfaces;
        return ex;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the exporter was not ready with ${topo.hosts.size} interfaces after 15 s`);
    await sleep(100);
  }
}

export type ProgramCounts = Record<string, { runs: number; ns: number }>;

/** run_count and run_time_ns of every program, from /api/v1/status. */
export async function programStats(ex: Exporter): Promise<ProgramCounts> {
  const st = await ex.json<Status>('/api/v1/status');
  const out: ProgramCounts = {};
  for (const p of st.programs) out[p.name] = { runs: p.run_count, ns: p.run_time_ns };
  for (const n of ['traffic_ingress', 'traffic_egress']) if (!out[n]) throw new Error(`/api/v1/status lists no program ${n}`);
  return out;
}

// ---------------------------------------------------------------------------
// Traffic

/** Called once the traffic's peers are ready, right before the measured packets. */
export interface Between {
  before(): Promise<unknown>;
}

export interface Traffic {
  /** packets sent by both sides (null: not known to the tools, counted by the ingress program) */
  packets: number | null;
  detail: Record<string, number | null>;
}

const inHost = (topo: Topology, host: string, toolJs: string, args: string[]): string[] => [...topo.inHost(host), process.execPath, toolJs, ...args];

/** One datagram from every host to every other one (discard port): the bridge learns every MAC. */
export async function warmUp(topo: Topology): Promise<void> {
  for (const h of topo.hosts.values()) {
    const peers = [...topo.hosts.values()].filter((p) => p !== h);
    for (const p of peers) {
      await finished(start(inHost(topo, h.name, UDP_PEER, ['blast', '--to', p.ip, '--port', '9', '--from-port', '9', '--count', '1', '--hex', '00'])), `warm-up ${h.name}→${p.name}`);
    }
  }
}

/** One-way datagrams from `from` to `to`:port, received by a sink. */
export async function oneWay(topo: Topology, from: string, to: string, port: number, payload: Buffer, count: number, between: Between): Promise<Traffic> {
  const sink = start<{ received: number }>(inHost(topo, to, UDP_PEER, ['sink', '--port', `${port}`]), { readyRe: /ready/, label: `sink in ${to}` });
  await sink.ready;
  await between.before();
  const s = await finished(
    start<{ sent: number; errors: number }>(inHost(topo, from, UDP_PEER, ['blast', '--to', topo.host(to).ip, '--port', `${port}`, '--count', `${count}`, '--hex', payload.toString('hex')]), {
      timeoutMs: 60000,
    }),
    `sender in ${from}`,
  );
  await sleep(100);
  sink.kill();
  const r = await finished(sink, `sink in ${to}`);
  return { packets: s.sent, detail: { sent: s.sent, received: r.received, send_errors: s.errors } };
}

interface ClientCounts {
  sent: number;
  received: number;
  ms: number;
}

/** A responder started and ready, and the client to run against it. */
async function pairs(client: string, server: string, responderArgv: string[], requestArgv: string[]): Promise<{ resp: Child<{ sent: number }>; run: () => Promise<ClientCounts> }> {
  const resp = start<{ sent: number }>(responderArgv, { readyRe: /ready/, label: `responder in ${server}` });
  await resp.ready;
  return { resp, run: () => finished(start<ClientCounts>(requestArgv, { timeoutMs: 60000 }), `client in ${client}`) };
}

/** Request/response pairs over UDP (PFCP, GTP-U Echo); packets sent by both. */
export async function requestResponse(topo: Topology, client: string, server: string, kind: string, port: number, n: number, seqBase: number, window: number, between: Between): Promise<Traffic> {
  const { resp, run } = await pairs(
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

/** NGAP DATA chunks and the SACKs naming them; packets sent by both. */
export async function sctpPairs(topo: Topology, client: string, server: string, n: number, tsnBase: number, window: number, between: Between): Promise<Traffic> {
  const { resp, run } = await pairs(
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
 * ingress program's run count (every packet runs it once; the per-packet
 * experiment checks egress against it).
 */
export async function h2Pairs(topo: Topology, client: string, server: string, requests: number, window: number, between: Between): Promise<Traffic> {
  const dir = fs.mkdtempSync(path.join(tmpDir(), 'h2-'));
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
// The empty tc program and BPF_PROG_TEST_RUN

export interface EmptyProgram {
  addon: NativeBinding;
  fd: number;
  id: number;
  stats(): { runCount: number; runTimeNs: number };
}

/** Compiles and loads bench/bpf/empty.bpf.c: a tc program that does nothing. */
export function loadEmpty(): EmptyProgram {
  const obj = path.join(tmpDir(), 'empty.bpf.o');
  execFileSync(
    'clang',
    [
      '-O2',
      '-g',
      '-target',
      'bpf',
      '-I',
      path.join(REPO, 'bpf/build'),
      '-I',
      path.join(REPO, 'bpf/vmlinux', process.arch === 'arm64' ? 'aarch64' : 'x86_64'),
      '-c',
      path.join(BENCH, 'bpf/empty.bpf.c'),
      '-o',
      obj,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const addon = native();
  const o = new addon.BpfObject(obj);
  state.emptyObj = o;
  o.load();
  const prog = o.programs().find((p) => p.name === 'bench_empty');
  if (!prog) throw new Error(`${obj} has no program bench_empty`);
  const fd = prog.fd;
  return { addon, fd, id: addon.progInfo(fd).id, stats: () => addon.progInfo(fd) };
}

/** BPF_PROG_TEST_RUN through bpftool: average ns per run over `repeat` runs, median of three. */
export function testRun(progId: number, frame: Buffer, ctx?: Buffer, repeat = 1_000_000): number {
  const data = path.join(tmpDir(), `frame-${crypto.randomBytes(4).toString('hex')}`);
  fs.writeFileSync(data, frame);
  const args = ['prog', 'run', 'id', `${progId}`, 'data_in', data];
  if (ctx) {
    fs.writeFileSync(`${data}.ctx`, ctx);
    args.push('ctx_in', `${data}.ctx`);
  }
  args.push('repeat', `${repeat}`);
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = spawnSync('bpftool', args, { encoding: 'utf8', timeout: 30000 });
    const m = /duration \(average\): (\d+)ns/.exec(r.stdout + r.stderr);
    if (!m) throw new Error(`bpftool ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
    runs.push(Number(m[1]));
  }
  return median(runs);
}

// ---------------------------------------------------------------------------
// The record

/** Other nfscope exporters on this machine (they keep bpf_stats on and take CPU time), by pid. */
function otherExporters(mine: number | undefined): number[] {
  const out: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    if (Number(pid) === mine || Number(pid) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.endsWith('nfscope-exporter') || a.endsWith('nfscope-exporter.js'))) out.push(Number(pid));
    } catch {
      // gone
    }
  }
  return out;
}

export interface Environment {
  date: string;
  kernel: string;
  cpu: string;
  cpus: number;
  node: string;
  iperf3: string;
  exporter_version?: string;
  tc_attach?: string;
  load_average_at_start: number[];
  other_exporters_at_start: number[];
  git_commit: string;
  git_dirty: boolean;
}

export function environment(ex: Exporter): Environment {
  const cpu = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  const git = (...a: string[]): string => spawnSync('git', ['-C', REPO, ...a], { encoding: 'utf8' }).stdout.trim();
  return {
    date: new Date().toISOString(),
    kernel: os.release(),
    cpu: cpu ? cpu[1].trim() : 'unknown',
    cpus: os.cpus().length,
    node: process.version,
    iperf3: spawnSync('iperf3', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0].trim(),
    exporter_version: ex.version,
    tc_attach: ex.interfaces?.[0]?.mode,
    load_average_at_start: fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number),
    other_exporters_at_start: otherExporters(ex.child.proc.pid),
    git_commit: git('rev-parse', '--short', 'HEAD'),
    git_dirty: git('status', '--porcelain', '--untracked-files=no', '--', 'bpf', 'exporter/src', 'exporter/native') !== '',
  };
}
