/**
 * scripts/demo.sh as a person runs it: the testbed with traffic, the exporter
 * attached, Prometheus scraping it, the live view; then Ctrl-C (SIGINT to the
 * whole process group, as a terminal sends it) and nothing of it is left:
 * namespaces, links, eBPF programs, processes, files.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describeRoot, REPO, waitFor } from './lib/env';
import { freePort } from './lib/exporter';
import { describeWithTools } from './lib/tools';

const lines = (cmd: string, args: string[]) => (spawnSync(cmd, args, { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean);
/** Namespaces and root-namespace links of testbeds (sim/src/testbed.ts names them nfsim-*, nfv*, nfsb*). */
const testbedNames = () =>
  [...lines('ip', ['netns', 'list']).map((l) => l.split(' ')[0]), ...lines('ip', ['-o', 'link', 'show']).map((l) => l.split(': ')[1]?.split('@')[0] ?? '')]
    .filter((n) => /^(nfsim-|nfv|nfsb)/.test(n))
    .sort();
/** Loaded nfscope programs: the tc classifiers and the kfree_skb counter (bpftool shows names cut to 15 characters). */
const nfscopePrograms = () => lines('bpftool', ['prog', 'show']).filter((l) => /name (traffic_ingress|traffic_egress|count_drop)\b/.test(l)).length;
const demoDirs = () => fs.readdirSync('/tmp').filter((f) => f.startsWith('nfscope-demo-'));

describeWithTools('scripts/demo.sh tools', ['prometheus', 'bpftool', 'curl'], () =>
  describeRoot('scripts/demo.sh', () => {
    test('runs the testbed, exporter, Prometheus and the live view; SIGINT removes all of it', async () => {
      const before = { names: testbedNames(), programs: nfscopePrograms(), dirs: demoDirs() };
      const listen = `127.0.0.1:${await freePort()}`;
      const promListen = `127.0.0.1:${await freePort()}`;
      const demo = spawn('bash', [path.join(REPO, 'scripts/demo.sh'), '--no-setup', '--duration', '2m'], {
        detached: true, // its own process group, like a terminal's foreground job
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NFSCOPE_LISTEN: listen, NFSCOPE_PROMETHEUS_LISTEN: promListen },
      });
      let out = '';
      demo.stdout.on('data', (d) => (out += d));
      demo.stderr.on('data', (d) => (out += d));
      const exited = new Promise<number | string>((resolve) => demo.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
      try {
        await waitFor('the demo to start', () => (demo.exitCode !== null ? Promise.reject(new Error(`demo exited:\n${out}`)) : out.includes('Ctrl-C stops') ? true : undefined), 60000, 200);
        // Prometheus has scraped the exporter and holds latency series from the testbed's traffic.
        const count = await waitFor(
          'Prometheus to hold nfscope latency series',
          async () => {
            const r = (await (await fetch(`http://${promListen}/api/v1/query?query=${encodeURIComponent('sum(nfscope_request_duration_seconds_count{interface="N4"})')}`)).json()) as {
              data: { result: { value: [number, string] }[] };
            };
            const n = Number(r.data.result[0]?.value[1] ?? 0);
            return n > 0 ? n : undefined;
          },
          30000,
          500,
        );
        expect(count).toBeGreaterThan(0);
        const rules = (await (await fetch(`http://${promListen}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string }[] }[] } };
        expect(rules.data.groups.flatMap((g) => g.rules.map((r) => r.name))).toContain('NfscopeExporterDown');
        // The live view printed the N4 pairs.
        await waitFor('the live view', () => (/smf-1(\s+|\s*→\s*)upf-1\s+N4/.test(out) ? true : undefined), 15000, 200);
        expect(testbedNames().length).toBeGreaterThan(before.names.length);
        expect(nfscopePrograms()).toBeGreaterThan(before.programs);
      } finally {
        process.kill(-demo.pid!, 'SIGINT');
      }
      const t = setTimeout(() => process.kill(-demo.pid!, 'SIGKILL'), 30000);
      const code = await exited;
      clearTimeout(t);
      expect({ code, out: code === 0 ? '' : out }).toEqual({ code: 0, out: '' });
      // Nothing of the process group is left (kill -0 on the group fails).
      await waitFor(
        'the demo process group to end',
        () => {
          try {
            process.kill(-demo.pid!, 0);
            return undefined;
          } catch {
            return true;
          }
        },
        15000,
      );
      expect({ names: testbedNames(), programs: nfscopePrograms(), dirs: demoDirs() }).toEqual(before);
      for (const port of [listen, promListen]) await expect(fetch(`http://${port}/`)).rejects.toThrow();
    }, 150000);
  }),
);
