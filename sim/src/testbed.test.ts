/**
 * The testbed end to end, as root: real namespaces, real sockets, a 5-second
 * scenario with rejections, losses and dropped first copies; the record must
 * be consistent with what the responders decided, and nothing may be left
 * behind.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decideFor } from './behaviour';
import type { PfcpProcedure } from './pfcp';
import type { Procedure, RunRecord, Transaction } from './record';
import { defaultAgentDir } from './run';
import { pfcpBehaviour, resolveScenario, type ScenarioInput } from './scenario';
import { Testbed } from './testbed';
import { describeRoot, netnsTestProblem } from '../../test/lib/env';

const SIM = path.resolve(__dirname, '..');
const REPO = path.resolve(SIM, '..');

/** The agents run from sim/dist: compile them when a source file is newer than its output. */
function ensureBuilt(): void {
  const newest = (dir: string, ext: string): number => {
    let t = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (e.isFile() && e.name.endsWith(ext) && !e.name.endsWith('.test.ts')) t = Math.max(t, fs.statSync(path.join(e.parentPath, e.name)).mtimeMs);
    }
    return t;
  };
  const dist = defaultAgentDir();
  if (fs.existsSync(dist) && newest(path.join(SIM, 'dist'), '.js') >= newest(path.join(SIM, 'src'), '.ts')) return;
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(SIM, 'tsconfig.json')], { stdio: 'pipe' });
}

/** Names containing `id` among namespaces and root-namespace links, read with ip directly. */
function namesWith(id: string): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }) + execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(id));
}

function agentsWith(id: string): string[] {
  const r = spawnSync('pgrep', ['-af', `"runId":"${id}"`], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

const T1 = 200;
const N1 = 2;
const T3 = 200;
const N3 = 1;
const SCENARIO: ScenarioInput = {
  seed: 11,
  durationMs: 5000,
  pfcp: {
    heartbeatIntervalMs: 200,
    sessionsPerSecond: 10,
    sessionHoldMs: 400,
    reportsPerSecond: 5,
    t1Ms: T1,
    n1: N1,
    responder: { delay: { kind: 'uniform', minMs: 1, maxMs: 4 }, rejectRate: 0.1, rejectCauses: [64, 73, 74], noResponseRate: 0.05, dropFirstCopyRate: 0.1 },
    procedures: { SessionEstablishment: { rejectCauses: [75] } },
  },
  gtpu: { echoIntervalMs: 100, t3Ms: T3, n3: N3, responder: { delay: { kind: 'constant', ms: 1 }, noResponseRate: 0.05, dropFirstCopyRate: 0.1 }, gpduPerSecond: 200, gpduSize: 300 },
  // N4/N3/N9 only: the SBI has its own tests (test/sbi-testbed.test.ts).
  sbi: { registrationsPerSecond: 0, nrfHeartbeatMs: 0 },
};

describeRoot(
  'testbed (root: namespaces, real traffic)',
  () => {
    let tb: Testbed | undefined;
    let record: RunRecord;
    let recordFile: string;
    let leftAfterDestroy: string[] = [];
    let agentsLeft: string[] = [];
    let id = '';

    beforeAll(async () => {
      ensureBuilt();
      recordFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nfsim-test-')), 'record.json');
      tb = Testbed.create({ ipv6: true });
      id = tb.id;
      try {
        record = await tb.run(SCENARIO, { recordFile });
      } finally {
        tb.destroy();
        leftAfterDestroy = namesWith(id);
        agentsLeft = agentsWith(id);
      }
    }, 45_000);

    afterAll(() => {
      tb?.destroy();
      if (recordFile) fs.rmSync(path.dirname(recordFile), { recursive: true, force: true });
    });

    const s = resolveScenario(SCENARIO);
    const tx = (): Transaction[] => record.transactions;
    const retriesOf = (t: Transaction): number => (t.procedure === 'Echo' ? N3 : N1);
    const timerOf = (t: Transaction): number => (t.procedure === 'Echo' ? T3 : T1);

    test('names, addresses and the exporter configuration', () => {
      expect(id).toMatch(/^[0-9a-f]{6}$/);
      expect(tb!.vethGlob).toBe(`nfv${id}*`);
      expect(tb!.nfs.map((n) => `${n.name}/${n.type}/${n.addresses.join(',')}`)).toEqual([
        'gnb-1/gNB/198.18.0.1,2001:2::1',
        'amf-1/AMF/198.18.0.2,2001:2::2',
        'smf-1/SMF/198.18.0.3,2001:2::3',
        'upf-1/UPF/198.18.0.4,2001:2::4',
        'upf-2/UPF/198.18.0.5,2001:2::5',
        'nrf-1/NRF/198.18.0.6,2001:2::6',
        'ausf-1/AUSF/198.18.0.7,2001:2::7',
        'udm-1/UDM/198.18.0.8,2001:2::8',
        'pcf-1/PCF/198.18.0.9,2001:2::9',
      ]);
      for (const nf of tb!.nfs) expect(nf.veth.length).toBeLessThanOrEqual(15);
      const yaml = tb!.exporterConfigYaml({ node: 'test-node' });
      expect(yaml).toContain(`interfaces: ["nfv${id}*"]`);
      expect(yaml).toContain('- { name: "upf-2", type: "UPF", addresses: ["198.18.0.5", "2001:2::5"] }');
      // The exporter's own validator (nfscope check-config), when it is built.
      const exporterMain = path.join(REPO, 'exporter/dist/main.js');
      if (fs.existsSync(exporterMain) && fs.existsSync(path.join(REPO, 'cli/dist/main.js'))) {
        const f = `${recordFile}.yaml`;
        fs.writeFileSync(f, yaml);
        const r = spawnSync(process.execPath, [path.join(REPO, 'cli/bin/nfscope.js'), 'check-config', '--config', f], { encoding: 'utf8' });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
      }
    });

    test('every procedure ran on every pair, and the record file holds the same', () => {
      const count = (client: string, server: string, iface: string, proc: Procedure) =>
        tx().filter((t) => t.client === client && t.server === server && t.interface === iface && t.procedure === proc).length;
      for (const upf of ['upf-1', 'upf-2']) {
        expect(count('smf-1', upf, 'N4', 'AssociationSetup')).toBe(1);
        for (const p of ['Heartbeat', 'SessionEstablishment', 'SessionModification', 'SessionDeletion'] as const) expect(count('smf-1', upf, 'N4', p)).toBeGreaterThan(5);
        expect(count(upf, 'smf-1', 'N4', 'SessionReport')).toBeGreaterThan(5);
      }
      expect(count('gnb-1', 'upf-1', 'N3', 'Echo')).toBeGreaterThan(30);
      expect(count('upf-1', 'upf-2', 'N9', 'Echo')).toBeGreaterThan(30);
      const fromFile = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as RunRecord;
      expect(fromFile.transactions).toEqual(record.transactions);
      expect(fromFile.gpdu).toEqual(record.gpdu);
      expect(record.interrupted).toBe(false);
      expect(BigInt(record.endedAtNs)).toBeGreaterThan(BigInt(record.startedAtNs));
    });

    test('every request has exactly one outcome, and the responder saw it', () => {
      const keys = tx().map((t) => `${t.interface}|${t.procedure}|${t.client}|${t.server}|${t.seq}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(record.unmatched).toEqual([]);
      for (const t of tx()) {
        expect(['accepted', 'rejected', 'timeout']).toContain(t.outcome);
        expect(t.responder).not.toBeNull();
        expect(t.interrupted).toBeUndefined();
        if (t.outcome === 'timeout') {
          expect(t.respondedAtNs).toBeNull();
          expect(t.latencyNs).toBeNull();
        } else {
          expect(BigInt(t.respondedAtNs!) - BigInt(t.sentAtNs)).toBe(BigInt(t.latencyNs!));
        }
        // Addresses are IPv4 (the scenario's family) and belong to the named NFs.
        expect(t.client_address).toBe(tb!.nf(t.client).ipv4);
        expect(t.server_address).toBe(tb!.nf(t.server).ipv4);
      }
    });

    test('rejections are exactly the responders’ rejections: reject decisions, plus unknown SEIDs', () => {
      const rejected = tx().filter((t) => t.outcome === 'rejected');
      expect(rejected.length).toBeGreaterThan(5);
      expect(rejected).toEqual(tx().filter((t) => t.responder?.reply === 'rejected'));
      // Every reject decision was sent as a rejection; the responder rejected on its own only with a reason.
      const decided = tx().filter((t) => t.responder?.decision === 'reject');
      const onItsOwn = tx().filter((t) => t.responder?.decision !== 'reject' && t.responder?.note);
      expect(decided.length).toBeGreaterThan(5);
      expect(rejected.length).toBe(decided.length + onItsOwn.length);
      for (const t of decided) expect(t.outcome).toBe('rejected');
      for (const t of rejected) {
        expect(t.cause).toBe(t.responder!.cause);
        if (t.responder!.note) {
          // An unknown SEID: a report about a session whose deletion the UPF rejected or never saw, or a race with the deletion.
          expect(t.responder!.note).toBe('unknown SEID');
          expect(t.cause).toBe(65);
        } else {
          expect(t.procedure === 'SessionEstablishment' ? [75] : [64, 73, 74]).toContain(t.cause);
        }
      }
      for (const t of tx().filter((x) => x.procedure === 'Heartbeat' || x.procedure === 'Echo')) {
        expect(t.cause).toBeUndefined();
        expect(t.responder!.decision).not.toBe('reject');
      }
      for (const t of tx().filter((x) => x.outcome === 'accepted' && x.interface === 'N4' && x.procedure !== 'Heartbeat')) expect(t.cause).toBe(1);
    });

    test('timeouts are exactly the ignore decisions, after N retransmissions the responder also ignored', () => {
      const timeouts = tx().filter((t) => t.outcome === 'timeout');
      expect(timeouts.length).toBeGreaterThan(3);
      expect(timeouts).toEqual(tx().filter((t) => t.responder?.decision === 'ignore'));
      for (const t of timeouts) {
        expect(t.transmissions).toBe(retriesOf(t) + 1);
        expect(t.responder).toMatchObject({ reply: 'none', copies: retriesOf(t) + 1, responses: 0 });
      }
    });

    test('retransmissions happen where the first copy was dropped, and only there (or on ignored requests)', () => {
      const dropFirst = tx().filter((t) => t.responder?.decision === 'drop-first');
      expect(dropFirst.length).toBeGreaterThan(5);
      for (const t of dropFirst) {
        expect(t.transmissions).toBe(2);
        expect(t.outcome).toBe(t.responder!.note ? 'rejected' : 'accepted');
        expect(t.responder).toMatchObject({ copies: 2, responses: 1 });
        expect(t.latencyNs! / 1e6).toBeGreaterThanOrEqual(timerOf(t) + t.responder!.delayMs);
      }
      for (const t of tx().filter((x) => x.responder?.decision === 'answer' || x.responder?.decision === 'reject')) {
        expect(t.transmissions).toBe(1);
        expect(t.responder).toMatchObject({ copies: 1, responses: 1 });
      }
    });

    test('client-side latency is at least the responder’s chosen delay', () => {
      const answered = tx().filter((t) => t.latencyNs !== null);
      expect(answered.length).toBeGreaterThan(200);
      for (const t of answered) expect(t.latencyNs! / 1e6).toBeGreaterThanOrEqual(t.responder!.delayMs);
      // And not absurdly more: the responders' delays are ≤ 4 ms, the network is a bridge.
      const slow = answered.filter((t) => t.transmissions === 1 && t.latencyNs! / 1e6 > t.responder!.delayMs + 100);
      expect(slow.length).toBeLessThan(answered.length / 100);
    });

    test('decisions follow from the seed, whatever the order requests arrived in', () => {
      for (const t of tx()) {
        if (t.responder!.note) continue;
        const b = t.procedure === 'Echo' ? { ...s.gtpu.responder, rejectRate: 0, rejectCauses: [] } : pfcpBehaviour(s, t.procedure as PfcpProcedure); // this run makes no SBI traffic
        const d = decideFor(b, s.seed, t.server, t.client, t.procedure, t.seq);
        expect([t.procedure, t.seq, t.responder!.decision]).toEqual([t.procedure, t.seq, d.decision]);
        expect(t.responder!.delayMs).toBeCloseTo(d.delayMs, 2);
      }
    });

    test('G-PDUs: every one sent arrived, at the scenario rate, UDP payload = GTP-U header + T-PDU', () => {
      expect(record.gpdu.map((f) => `${f.interface} ${f.from}->${f.to}`)).toEqual(['N3 gnb-1->upf-1', 'N9 upf-1->upf-2']);
      for (const f of record.gpdu) {
        expect(f.received).toEqual(f.sent);
        expect(f.sent.packets).toBeGreaterThan(0.9 * 200 * 5);
        expect(f.sent.packets).toBeLessThanOrEqual(200 * 5 + 1);
        expect(f.sent.bytes).toBe(f.sent.packets * (300 + 16)); // 8-octet header + 4 optional + 4 PDU Session Container
      }
    });

    test('nothing is left behind: namespaces, links, agent processes', () => {
      expect(leftAfterDestroy).toEqual([]);
      expect(agentsLeft).toEqual([]);
      expect(Testbed.existingNames(id)).toEqual([]);
      expect(() => tb!.destroy()).not.toThrow(); // idempotent
    });
  },
  netnsTestProblem,
);

describeRoot(
  'testbed: interruption and failure',
  () => {
    beforeAll(() => ensureBuilt(), 30_000);

    test('aborting a run stops every agent at once and still returns a record', async () => {
      const tb = Testbed.create();
      try {
        const abort = new AbortController();
        setTimeout(() => abort.abort(), 1500);
        const t0 = Date.now();
        const r = await tb.run({ durationMs: 20_000, pfcp: { t1Ms: 200, n1: 1, responder: { noResponseRate: 0.5 } } }, { signal: abort.signal });
        expect(Date.now() - t0).toBeLessThan(6000);
        expect(r.interrupted).toBe(true);
        expect(r.transactions.length).toBeGreaterThan(0);
        expect(agentsWith(tb.id)).toEqual([]);
      } finally {
        tb.destroy();
      }
      expect(namesWith(tb.id)).toEqual([]);
    }, 30_000);

    test('a run that cannot start its agents fails clearly, and destroy() still removes everything', async () => {
      const tb = Testbed.create();
      try {
        await expect(tb.run({ durationMs: 1000 }, { agentDir: '/nonexistent' })).rejects.toThrow(/pfcp-agent.js does not exist: build the simulator first/);
        await expect(tb.run({ pfcp: { t1Ms: 1 } })).rejects.toThrow(/pfcp.t1Ms: must be between 10 and 60000/);
        expect(() => Testbed.create({ id: tb.id })).toThrow(/already exists/);
      } finally {
        tb.destroy();
      }
      expect(namesWith(tb.id)).toEqual([]);
    });
  },
  netnsTestProblem,
);
