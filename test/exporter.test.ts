/**
 * The exporter as a process: configuration errors, missing privileges,
 * clean detach on SIGTERM/SIGINT, and a restart after SIGKILL.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tcxPrograms } from '../exporter/src/kernel/bpf';
import * as os from 'os';
import { BPF_DIR, describeRoot, waitFor } from './lib/env';
import { runExporter, startExporter, writeConfig } from './lib/exporter';
import { Topology } from './lib/netns';

const VALID = `
interfaces: ["nfscope-none-*"]
nfs:
  - { name: upf-1, type: UPF, addresses: ["198.18.0.2"] }
`;

describe('nfscope exporter command line', () => {
  test('--help prints usage and exits 0', async () => {
    const r = await runExporter(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: nfscope exporter --config FILE');
  });

  test('a missing --config is a usage error', async () => {
    const r = await runExporter([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--config FILE is required');
  });

  test('a config error names the file, the path and the value, before anything is attached', async () => {
    const file = writeConfig(`
interfaces: ["eth0"]
nfs:
  - { name: smf-1, type: SMF, addresses: ["198.18.0.300"] }
  - { name: smf-1, type: SMF, addresses: ["198.18.0.10"] }
`);
    const r = await runExporter(['--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: nfs[0].addresses[0]: "198.18.0.300"`);
    expect(r.stderr).toContain(`${file}: nfs[1].name: `);
    expect(r.stderr).not.toContain('attached');
  });

  test('a config file that does not exist is named', async () => {
    const r = await runExporter(['--config', '/nonexistent/nfscope.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/nonexistent/nfscope.yaml');
  });

  test('--check-config validates and exits 0', async () => {
    const r = await runExporter(['--config', writeConfig(VALID), '--check-config']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ok (1 NFs');
  });

  test('a bad --listen is a usage error', async () => {
    const r = await runExporter(['--config', writeConfig(VALID), '--listen', 'localhost']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--listen: "localhost" is not HOST:PORT');
  });
});

/** Waits until the kernel has freed unloaded programs (freeing is deferred) and the count matches. */
async function expectProgramCount(n: number): Promise<void> {
  await waitFor(`${n} nfscope programs loaded`, () => (loadedPrograms().length === n ? true : undefined), 3000).catch(() => undefined);
  expect(loadedPrograms()).toHaveLength(n);
}

/** Programs of ours loaded anywhere in the kernel, by name. */
function loadedPrograms(): string[] {
  const out = execFileSync('bpftool', ['prog', 'show', '-j'], { encoding: 'utf8' });
  const names = new Set(['count_drop', 'traffic_ingress', 'traffic_egress']);
  return (JSON.parse(out) as { name?: string }[]).map((p) => p.name ?? '').filter((n) => names.has(n));
}

describeRoot('nfscope-exporter lifecycle (root)', () => {
  let topo: Topology;
  let config: string;
  let baseline: string[];

  beforeAll(() => {
    topo = Topology.create([
      { name: 'smf', addr: '198.18.0.10/24' },
      { name: 'upf', addr: '198.18.0.20/24' },
    ]);
    config = `
interfaces: ["${topo.vethGlob}"]
nfs:
  - { name: smf-1, type: SMF, addresses: ["198.18.0.10"] }
  - { name: upf-1, type: UPF, addresses: ["198.18.0.20"] }
`;
    baseline = loadedPrograms();
  });

  afterAll(() => {
    topo?.destroy();
    expect(topo.leftovers()).toEqual([]);
  });

  const ifindexes = () => [...topo.hosts.values()].map((h) => Number(fs.readFileSync(`/sys/class/net/${h.veth}/ifindex`, 'utf8')));
  const tcxCounts = () => ifindexes().flatMap((i) => [tcxPrograms(i, 'ingress').length, tcxPrograms(i, 'egress').length]);
  const classicFilters = () => [...topo.hosts.values()].flatMap((h) => ['ingress', 'egress'].map((d) => spawnSync('tc', ['filter', 'show', 'dev', h.veth, d], { encoding: 'utf8' }).stdout.trim()));

  test('without privileges: one line naming what is missing, non-zero exit, nothing attached', async () => {
    // Root without any capability, as a container without CAP_BPF would be.
    const r = await runExporter(['--config', writeConfig(config)], {
      wrapper: ['setpriv', '--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all', '--'],
    });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/missing privileges: .*CAP_BPF.*\(missing: CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN\)/);
    expect(tcxCounts()).toEqual([0, 0, 0, 0]);
    expect(loadedPrograms()).toEqual(baseline);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} detaches everything and exits 0 within 2 s`, async () => {
      const ex = await startExporter(config);
      expect(tcxCounts()).toEqual([1, 1, 1, 1]);
      await expectProgramCount(baseline.length + 3);
      const { code, ms } = await ex.stop(signal);
      expect(code).toBe(0);
      expect(ms).toBeLessThan(2000);
      expect(tcxCounts()).toEqual([0, 0, 0, 0]);
      expect(classicFilters()).toEqual(['', '', '', '']);
      await expectProgramCount(baseline.length);
      expect(ex.output()).toContain('detached');
    });
  }

  test('a start after SIGKILL works and leaves no duplicate programs attached', async () => {
    const first = await startExporter(config);
    expect((await first.stop('SIGKILL')).code).toBe('SIGKILL');
    const second = await startExporter(config);
    try {
      expect(tcxCounts()).toEqual([1, 1, 1, 1]);
      await expectProgramCount(baseline.length + 3);
    } finally {
      expect((await second.stop('SIGTERM')).code).toBe(0);
    }
    expect(tcxCounts()).toEqual([0, 0, 0, 0]);
  });

  test('interfaces that appear later are attached, and removed ones forgotten', async () => {
    const ex = await startExporter(config);
    try {
      const extra = `${topo.vethGlob.slice(0, -1)}x`;
      execFileSync('ip', ['link', 'add', extra, 'type', 'veth', 'peer', 'name', `${extra}p`]);
      try {
        const names = async () => (await ex.getJson<{ interfaces: { name: string }[] }>('/api/v1/status')).interfaces.map((i) => i.name);
        const deadline = Date.now() + 5000;
        while (!(await names()).includes(extra) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
        expect(await names()).toContain(extra);
        const idx = Number(fs.readFileSync(`/sys/class/net/${extra}/ifindex`, 'utf8'));
        expect(tcxPrograms(idx, 'ingress')).toHaveLength(1);
        execFileSync('ip', ['link', 'del', extra]);
        const deadline2 = Date.now() + 5000;
        while ((await names()).includes(extra) && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 200));
        expect(await names()).not.toContain(extra);
      } finally {
        spawnSync('ip', ['link', 'del', extra]);
      }
    } finally {
      expect((await ex.stop()).code).toBe(0);
    }
  });

  test('an object that fails to load: clear error, non-zero exit, nothing left attached', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-bpf-'));
    try {
      fs.copyFileSync(path.join(BPF_DIR, 'drops.bpf.o'), path.join(dir, 'drops.bpf.o'));
      fs.writeFileSync(path.join(dir, 'traffic.bpf.o'), 'not an ELF file');
      const r = await runExporter(['--config', writeConfig(config)], { wrapper: ['env', `NFSCOPE_BPF_DIR=${dir}`] });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot start: open BPF object ${dir}/traffic.bpf.o`);
      expect(tcxCounts()).toEqual([0, 0, 0, 0]);
      await expectProgramCount(baseline.length);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
