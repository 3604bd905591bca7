/**
 * The datapath outlives the exporter: long-lived HTTP/2 connections from
 * Node's http2 module (HPACK's dynamic table carries PATCH, PUT, DELETE, 201
 * and 503 after their first use) go on while the exporter is stopped with
 * SIGTERM, then with SIGKILL, and started again on the same pin_dir. Each
 * start adopts the running datapath: every request keeps its method and
 * status, the ones made while no exporter ran are counted, a request in
 * flight across a restart is counted once, and the counts equal the
 * client's record. --remove-datapath then leaves nothing.
 */
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { describeRoot, REPO, waitFor } from './lib/env';
import { metricSamples, runExporter, startExporter, testPinDir, writeConfig, type RunningExporter } from './lib/exporter';
import { Topology } from './lib/netns';
import { tcxPrograms } from '../exporter/src/kernel/bpf';

const H2_SERVER = path.join(REPO, 'test/tools/h2-server.js');
const H2_CLIENT = path.join(REPO, 'test/tools/h2-session-client.js');
const PORT = 8000;

interface ClientReply {
  record: Record<string, number>;
  answered: number;
  outstanding: number;
}

/** Programs of ours loaded anywhere in the kernel. */
function loadedPrograms(): number {
  const names = new Set(['count_drop', 'traffic_ingress', 'traffic_egress']);
  return (JSON.parse(execFileSync('bpftool', ['prog', 'show', '-j'], { encoding: 'utf8' })) as { name?: string }[]).filter((p) => names.has(p.name ?? '')).length;
}

/** SBI requests on /metrics by "METHOD STATUS", from nfscope_requests_total. */
function sbiCounts(metrics: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [labels, v] of metricSamples(metrics, 'nfscope_requests_total')) {
    if (!labels.includes('interface="SBI"')) continue;
    const proc = /procedure="([^"]*)"/.exec(labels)![1];
    const code = /code="([^"]*)"/.exec(labels)![1];
    const k = `${proc} ${code}`;
    out[k] = (out[k] ?? 0) + v;
  }
  return out;
}

/** Every HTTP/2 client started, so that none outlives the file, whichever test failed. */
const sessions: ChildProcess[] = [];

/** The HTTP/2 client tool in a test host's namespace, driven one command at a time (test/tools/h2-session-client.js). */
function h2Session(topo: Topology, host: string): { proc: ChildProcess; send(cmd: object): Promise<ClientReply>; end(): Promise<void> } {
  const proc = spawn('ip', ['netns', 'exec', topo.host(host).netns, process.execPath, H2_CLIENT, '--url', `http://198.18.0.12:${PORT}`, '--connections', '2'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  sessions.push(proc);
  const replies = readline.createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    async send(cmd) {
      proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
      const r = await replies.next();
      if (r.done) throw new Error('the HTTP/2 client ended');
      return JSON.parse(r.value) as ClientReply;
    },
    async end() {
      proc.stdin!.end();
      await exited;
    },
  };
}

describeRoot('the datapath across exporter restarts', () => {
  let topo: Topology;
  let server: ChildProcess;
  let client: ChildProcess | undefined;
  let ex: RunningExporter | undefined;
  const pins = testPinDir();
  let config: string;
  let baselinePrograms: number;

  beforeAll(async () => {
    baselinePrograms = loadedPrograms();
    topo = Topology.create([
      { name: 'amf', addr: '198.18.0.5/24' },
      { name: 'nrf', addr: '198.18.0.12/24' },
    ]);
    config = `
node: restart
interfaces: ["${topo.vethGlob}"]
request_timeout: 60s
protocols:
  sbi: { ports: [${PORT}] }
nfs:
  - { name: amf-1, type: AMF, addresses: ["198.18.0.5"] }
  - { name: nrf-1, type: NRF, addresses: ["198.18.0.12"] }
datapath: { pin_dir: "${pins}" }
`;
    server = spawn('ip', ['netns', 'exec', topo.host('nrf').netns, process.execPath, H2_SERVER, '--port', String(PORT), '--host', '198.18.0.12'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      server.stdout!.once('data', () => resolve());
      server.once('exit', (c) => reject(new Error(`h2-server exited (${c})`)));
    });
  });

  afterAll(async () => {
    client?.kill('SIGKILL');
    for (const p of sessions) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    server?.kill('SIGKILL');
    await ex?.stop('SIGKILL');
    fs.rmSync(pins, { recursive: true, force: true });
    topo?.destroy();
    expect(topo.leftovers()).toEqual([]);
  });

  const hooks = () =>
    [...topo.hosts.values()].flatMap((h) => {
      const i = Number(fs.readFileSync(`/sys/class/net/${h.veth}/ifindex`, 'utf8'));
      return [tcxPrograms(i, 'ingress').length, tcxPrograms(i, 'egress').length];
    });

  test('methods and statuses survive SIGTERM and SIGKILL restarts, and the counts equal the client record', async () => {
    ex = await startExporter(config);
    expect(ex.output()).toContain(`loaded a new datapath in ${pins}`);

    // The connections open while the first exporter runs: it sees their start.
    const session = h2Session(topo, 'amf');
    client = session.proc;
    const send = session.send;
    const release = async () => {
      const released = new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
      server.kill('SIGUSR2');
      await released;
    };

    await send({ op: 'burst', n: 6 });
    await send({ op: 'hold' }); // in flight across the restart

    // SIGTERM: the exporter goes, the datapath stays and goes on counting.
    expect((await ex.stop('SIGTERM')).code).toBe(0);
    expect(ex.output()).toContain(`left the datapath running in ${pins}`);
    expect(hooks()).toEqual([1, 1, 1, 1]);
    await send({ op: 'burst', n: 6 });

    ex = await startExporter(config);
    expect(ex.output()).toContain(`adopted the running datapath in ${pins}`);
    await release();
    await send({ op: 'wait' });
    await send({ op: 'burst', n: 6 });
    await send({ op: 'hold' });

    // SIGKILL: nothing of the exporter's runs on the way out.
    expect((await ex.stop('SIGKILL')).code).toBe('SIGKILL');
    expect(hooks()).toEqual([1, 1, 1, 1]);
    await send({ op: 'burst', n: 6 });

    ex = await startExporter(config);
    expect(ex.output()).toContain(`adopted the running datapath in ${pins}`);
    await release();
    await send({ op: 'wait' });
    const last = await send({ op: 'burst', n: 6 });
    expect(last.outstanding).toBe(0);
    // Five bursts of 6 on each of 2 connections, and the two held requests.
    expect(last.answered).toBe(5 * 6 * 2 + 2);

    // One program per hook, whatever the restarts: links were kept, not added.
    expect(hooks()).toEqual([1, 1, 1, 1]);
    expect(loadedPrograms()).toBe(baselinePrograms + 3);

    const counted = await waitFor(
      `the exporter's SBI counts reach the client's ${last.answered} answered requests`,
      async () => {
        const c = sbiCounts(await ex!.getText('/metrics'));
        return Object.values(c).reduce((a, b) => a + b, 0) >= last.answered ? c : undefined;
      },
      15000,
    );
    // Exactly the client's record: every method and status read, none "other", nothing lost or doubled.
    expect(counted).toEqual(last.record);
    expect(Object.keys(last.record).sort()).toEqual(['DELETE 201', 'DELETE 503', 'PATCH 201', 'PATCH 503', 'PUT 201', 'PUT 503']);
    const lost = metricSamples(await ex.getText('/metrics'), 'nfscope_bpf_lost_events_total');
    expect([...lost.values()].reduce((a, b) => a + b, 0)).toBe(0);

    await session.end();
    expect((await ex.stop('SIGTERM')).code).toBe(0);
    ex = undefined;
  });

  test('the first start on a running core: requests on connections it did not see open count as unseen_start, not other', async () => {
    // Connections opened, and their HPACK tables filled, before any exporter runs.
    const early = h2Session(topo, 'amf');
    client = early.proc;
    const send = early.send;
    try {
      const before = await send({ op: 'burst', n: 3 });
      const late = await startExporter(config.replace(`pin_dir: "${pins}"`, `pin_dir: "${pins}-late"`));
      try {
        expect(late.output()).toContain('loaded a new datapath');
        const after = await send({ op: 'burst', n: 3 });
        const seen = after.answered - before.answered;
        expect(seen).toBe(6);
        const counted = await waitFor(
          `the late exporter to count the ${seen} requests made after its start`,
          async () => {
            const c = sbiCounts(await late.getText('/metrics'));
            return Object.values(c).reduce((a, b) => a + b, 0) >= seen ? c : undefined;
          },
          15000,
        );
        // Methods and statuses refer to dynamic-table entries inserted before the exporter ran.
        expect(counted).toEqual({ 'unseen_start unseen_start': seen });
      } finally {
        expect((await late.stop('SIGTERM')).code).toBe(0);
        fs.rmSync(`${pins}-late`, { recursive: true, force: true });
      }
    } finally {
      await early.end();
      client = undefined;
    }
  });

  test('--remove-datapath detaches and removes what the exporter left running', async () => {
    expect(fs.readdirSync(pins).filter((f) => f.startsWith('link_tc_'))).toHaveLength(4);
    const r = await runExporter(['--remove-datapath', '--config', writeConfig(config)]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`removed the datapath pinned in ${pins}: 5 links`);
    expect(fs.existsSync(pins)).toBe(false);
    expect(hooks()).toEqual([0, 0, 0, 0]);
    await waitFor('the unloaded programs freed', () => (loadedPrograms() === baselinePrograms ? true : undefined), 5000);
    // A second run finds nothing, and says so.
    const again = await runExporter(['--remove-datapath', '--pin-dir', pins]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`no datapath pinned in ${pins}`);
  });

  test('a start with on_exit detach removes the datapath on SIGTERM', async () => {
    ex = await startExporter(config.replace(`datapath: { pin_dir: "${pins}" }`, `datapath: { pin_dir: "${pins}", on_exit: detach }`));
    expect(hooks()).toEqual([1, 1, 1, 1]);
    expect((await ex.stop('SIGTERM')).code).toBe(0);
    ex = undefined;
    expect(fs.existsSync(pins)).toBe(false);
    expect(hooks()).toEqual([0, 0, 0, 0]);
  });

  test('a pinned datapath from a build whose maps differ is replaced, and the log says so once', async () => {
    ex = await startExporter(config);
    expect((await ex.stop('SIGTERM')).code).toBe(0);
    // Stand-in for another build: the record's fingerprint of the maps differs.
    rewriteAbi(path.join(pins, 'map_meta'));
    ex = await startExporter(config);
    const lines = ex
      .output()
      .split('\n')
      .filter((l) => l.includes('is from a build whose maps differ'));
    expect(lines).toHaveLength(1);
    expect(ex.output()).toContain(`loaded a new datapath in ${pins}`);
    expect(hooks()).toEqual([1, 1, 1, 1]);
    expect((await ex.stop('SIGTERM')).code).toBe(0);
    ex = undefined;
    const rm = await runExporter(['--remove-datapath', '--pin-dir', pins]);
    expect(rm.code).toBe(0);
    expect(hooks()).toEqual([0, 0, 0, 0]);
  });
});

/** Changes the maps fingerprint in a pinned datapath record, as a build with other maps would have written it. */
function rewriteAbi(metaPin: string): void {
  const script = `
    const { BpfMap } = require(${JSON.stringify(path.join(REPO, 'exporter/dist/kernel/bpf.js'))});
    const m = BpfMap.openPinned(${JSON.stringify(metaPin)});
    const v = m.lookup(Buffer.alloc(4));
    const text = v.toString('utf8', 0, v.indexOf(0));
    const rec = JSON.parse(text);
    rec.abi = '0'.repeat(32);
    const out = Buffer.alloc(v.length);
    Buffer.from(JSON.stringify(rec)).copy(out);
    m.update(Buffer.alloc(4), out);
  `;
  execFileSync(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'inherit'] });
}
