/**
 * Deployment files: docker-compose.yml (validated by Debian's docker-compose,
 * which needs no engine), the Dockerfile (built by the same script CI runs),
 * the Kubernetes manifests (checked against the API's object models), and,
 * as root, the least-privilege claim itself: the exporter measures the
 * testbed holding only the capabilities the compose file and the DaemonSet
 * grant, and the simulator runs with only its own.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { Testbed } from '../sim/src';
import { describeRoot, EXPORTER_CMD, NFSCOPE_BIN, REPO, waitFor } from './lib/env';
import { freePort, runExporter, testPinDir, writeConfig } from './lib/exporter';
import { describeWithTools, run } from './lib/tools';

type Any = any;
const PLUGIN_ID = 'nfscope-ebpf-datasource';
const read = (...p: string[]) => fs.readFileSync(path.join(REPO, ...p), 'utf8');
const K8S = path.join(REPO, 'deploy/kubernetes');

/** docker-compose.yml as docker-compose resolves it, without this machine's variables. */
function composeConfig(file = path.join(REPO, 'docker-compose.yml')): { status: number | null; config: Any; out: string } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GRAFANA_|PROMETHEUS_|NFSCOPE_|COMPOSE_)/.test(k)));
  const r = run('docker-compose', ['-f', file, 'config'], { cwd: path.dirname(file), env });
  return { status: r.status, config: r.status === 0 ? parse(r.stdout) : undefined, out: r.stdout + r.stderr };
}

const volumeTargets = (svc: Any): Map<string, string> =>
  new Map(
    (svc.volumes ?? []).map((v: Any) => {
      const [source, target] = typeof v === 'string' ? v.split(':') : [v.source, v.target];
      return [target, source];
    }),
  );

describeWithTools('docker-compose.yml', ['docker-compose'], () => {
  let c: Any;
  beforeAll(() => {
    const r = composeConfig();
    if (r.status !== 0) throw new Error(`docker-compose config failed:\n${r.out}`);
    c = r.config;
  });

  test('docker-compose config validates it: Grafana, the exporter, Prometheus and the simulator', () => {
    expect(Object.keys(c.services).sort()).toEqual(['exporter', 'grafana', 'prometheus', 'simulator']);
  });

  test('docker-compose config rejects a broken file (the check can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-compose-'));
    try {
      const broken = read('docker-compose.yml').replace('    cap_add: [BPF, PERFMON, NET_ADMIN]\n', '    cap_add: BPF\n');
      expect(broken).not.toEqual(read('docker-compose.yml'));
      fs.writeFileSync(path.join(dir, 'docker-compose.yml'), broken);
      expect(composeConfig(path.join(dir, 'docker-compose.yml')).status).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('no service is privileged; each drops every capability and adds back only its own', () => {
    for (const [name, svc] of Object.entries<Any>(c.services)) {
      expect({ name, privileged: svc.privileged ?? false, cap_drop: svc.cap_drop }).toEqual({ name, privileged: false, cap_drop: ['ALL'] });
    }
    expect([...c.services.exporter.cap_add].sort()).toEqual(['BPF', 'NET_ADMIN', 'PERFMON']);
    expect([...c.services.simulator.cap_add].sort()).toEqual(['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN']);
    expect(c.services.grafana.cap_add).toBeUndefined();
    expect(c.services.prometheus.cap_add).toBeUndefined();
    // Only the simulator leaves AppArmor (ip netns needs mount(2)); nobody leaves seccomp.
    for (const [name, svc] of Object.entries<Any>(c.services)) {
      const opts: string[] = svc.security_opt ?? [];
      expect({ name, seccomp: opts.filter((o) => o.startsWith('seccomp')) }).toEqual({ name, seccomp: [] });
      expect({ name, apparmor: opts.includes('apparmor:unconfined') }).toEqual({ name, apparmor: name === 'simulator' });
    }
  });

  test('the exporter: host network, BTF read-only and bpffs writable (the pinned datapath), built from the Dockerfile; SIGTERM removes the datapath', () => {
    const ex = c.services.exporter;
    expect(ex.network_mode).toBe('host');
    const vols = volumeTargets(ex);
    expect(vols.get('/sys/fs/bpf')).toBe('/sys/fs/bpf');
    expect(vols.get('/sys/kernel/btf')).toBe('/sys/kernel/btf');
    for (const v of ex.volumes.filter((x: Any) => String(x).startsWith('/sys/kernel/'))) expect(String(v)).toMatch(/:ro$/);
    expect(ex.volumes).toContain('/sys/fs/bpf:/sys/fs/bpf:rw');
    // A demo stack: stop or down removes what it pinned; a crash or OOM kill leaves it for the restarted container.
    expect(String(ex.command)).toContain('--detach-on-exit');
    expect(ex.build).toMatchObject({ context: REPO, dockerfile: 'Dockerfile' });
    expect(c.services.simulator.build).toMatchObject({ context: REPO, dockerfile: 'Dockerfile' });
    expect(c.services.simulator.network_mode).toBe('host');
    // The exporter reads the configuration the simulator writes, on the port Prometheus and Grafana use.
    expect(ex.command.join(' ')).toContain('--config /run/nfscope/config.yaml --listen 0.0.0.0:9810');
    expect(c.services.simulator.command.join(' ')).toContain('--config-out /run/nfscope/config.yaml');
  });

  test('Grafana: the official image, plugin/dist mounted as the plugin, unsigned loading for this id only, provisioning mounted', () => {
    const g = c.services.grafana;
    expect(g.image).toMatch(/^grafana\/grafana(-oss)?:\d+\.\d+\.\d+$/);
    expect(g.environment.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS).toBe(PLUGIN_ID);
    const vols = volumeTargets(g);
    expect(vols.get(`/var/lib/grafana/plugins/${PLUGIN_ID}`)).toBe(path.join(REPO, 'plugin/dist'));
    expect(vols.get('/etc/grafana/provisioning')).toBe(path.join(REPO, 'provisioning/grafana'));
    // The dashboards provider reads from inside the plugin's mount.
    const provider = parse(read('provisioning/grafana/dashboards/nfscope.yaml')).providers[0];
    expect(provider.options.path.startsWith(`/var/lib/grafana/plugins/${PLUGIN_ID}/`)).toBe(true);
    // The data sources point at the exporter on the host and at the prometheus service.
    const ds = parse(read('provisioning/grafana/datasources/nfscope.yaml')).datasources;
    expect(ds.find((d: Any) => d.uid === 'nfscope').url).toBe('http://host.docker.internal:9810');
    expect(ds.find((d: Any) => d.uid === 'prometheus').url).toBe('http://prometheus:9090');
    expect(g.extra_hosts).toContain('host.docker.internal:host-gateway');
  });

  test('Prometheus: the official image with provisioning/prometheus as its configuration, scraping the exporter as job nfscope', () => {
    const p = c.services.prometheus;
    expect(p.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(volumeTargets(p).get('/etc/prometheus')).toBe(path.join(REPO, 'provisioning/prometheus'));
    expect(p.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(p.extra_hosts).toContain('host.docker.internal:host-gateway');
    const cfg = parse(read('provisioning/prometheus/prometheus.yml'));
    const job = cfg.scrape_configs.find((j: Any) => j.job_name === 'nfscope');
    expect(job.static_configs[0].targets).toEqual(['host.docker.internal:9810']);
  });
});

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const steps = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => /^[A-Z]+\s/.test(l));
  const runs = steps.filter((l) => l.startsWith('RUN '));

  test('the build stage runs scripts/setup.sh, the script CI runs, and no build step of its own', () => {
    // CI: .ci/run -> scripts/test.sh -> scripts/setup.sh
    expect(read('.ci/run')).toMatch(/^bash scripts\/test\.sh/m);
    expect(read('scripts/test.sh')).toMatch(/^bash scripts\/setup\.sh/m);
    expect(runs[0]).toBe('RUN bash scripts/setup.sh');
    // What setup.sh does (npm ci, make, node-gyp, tsc) appears in no RUN step.
    for (const r of runs) expect({ r, dup: /\b(npm|npx|make|node-gyp|tsc|clang)\b/.test(r) }).toEqual({ r, dup: false });
    expect(steps.filter((s) => s.startsWith('FROM '))).toEqual(['FROM node:20-bookworm AS build', 'FROM node:20-bookworm-slim']);
  });

  test('the run stage copies only what setup.sh builds, and those files exist after a build', () => {
    const copied = steps.filter((s) => s.startsWith('COPY --from=build ')).map((s) => s.split(/\s+/)[2].replace('/opt/nfscope/', ''));
    expect(copied).toEqual(
      expect.arrayContaining(['api/dist', 'bpf/build', 'cli/bin', 'cli/dist', 'exporter/dist', 'exporter/build/Release/nfscope_bpf.node', 'top/dist', 'sim/dist', 'node_modules']),
    );
    for (const p of copied) expect({ p, exists: fs.existsSync(path.join(REPO, p)) }).toEqual({ p, exists: true });
  });

  test('.dockerignore keeps local installs and build outputs out of the context', () => {
    const ignore = read('.dockerignore').split('\n');
    for (const p of ['.git', '**/node_modules', '**/dist', '**/build']) expect(ignore).toContain(p);
  });
});

const debianPython = '/usr/bin/python3';
const kubernetesModels = (): string | null =>
  run(debianPython, ['-c', 'import kubernetes.client.models']).status === 0 ? null : "Debian's python3-kubernetes is not installed (scripts/setup.sh installs it)";

const k8sFiles = () =>
  fs
    .readdirSync(K8S)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => path.join(K8S, f));
const k8sObjects = (): Any[] => k8sFiles().flatMap((f) => parseAllDocuments(fs.readFileSync(f, 'utf8')).map((d) => d.toJS()));
const k8s = (kind: string): Any => k8sObjects().find((o) => o.kind === kind);

describeWithTools(
  'Kubernetes manifests',
  [debianPython],
  () => {
    const validate = (files: string[]) => {
      const r = run(debianPython, [path.join(REPO, 'test/tools/k8s-validate.py'), ...files]);
      return { status: r.status, ...(JSON.parse(r.stdout || '{"errors":["no output"]}') as { objects: Any[]; errors: string[] }), stderr: r.stderr };
    };

    test("every object matches the API's models: known fields, right types, required fields", () => {
      const r = validate(k8sFiles());
      expect(r.errors).toEqual([]);
      expect(r.status).toBe(0);
      expect(r.objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'DaemonSet', 'Kustomization', 'Namespace', 'Service', 'ServiceAccount']);
    });

    test('the validator rejects a misspelt field and a wrong type (the check can fail)', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-k8s-'));
      try {
        const bad = path.join(dir, 'daemonset.yaml');
        fs.writeFileSync(bad, fs.readFileSync(path.join(K8S, 'daemonset.yaml'), 'utf8').replace('hostNetwork: true', 'hostNetwork: "yes"').replace('readOnlyRootFilesystem', 'readOnlyRootFileSystem'));
        const r = validate([bad]);
        expect(r.status).toBe(1);
        expect(r.errors.join('\n')).toMatch(/hostNetwork: expected true or false/);
        expect(r.errors.join('\n')).toMatch(/unknown field 'readOnlyRootFileSystem'/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    test('DaemonSet: host network, least-privilege security context, requests and limits, probes on the health endpoints', () => {
      const ds = k8s('DaemonSet');
      const pod = ds.spec.template.spec;
      expect(ds.spec.selector.matchLabels).toEqual(Object.fromEntries(Object.entries(ds.spec.template.metadata.labels).filter(([k]) => k in ds.spec.selector.matchLabels)));
      expect(pod.hostNetwork).toBe(true);
      expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.containers).toHaveLength(1);
      const [c] = pod.containers;
      expect(c.securityContext).toMatchObject({
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect([...c.securityContext.capabilities.add].sort()).toEqual(['BPF', 'NET_ADMIN', 'PERFMON']);
      for (const k of ['requests', 'limits']) for (const r of ['cpu', 'memory']) expect({ k, r, set: typeof c.resources[k]?.[r] }).toEqual({ k, r, set: 'string' });
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      const mounts = new Map(c.volumeMounts.map((m: Any) => [m.mountPath, m]));
      for (const p of ['/sys/kernel/btf', '/etc/nfscope']) expect({ p, ro: (mounts.get(p) as Any)?.readOnly }).toEqual({ p, ro: true });
      // The datapath is pinned in the host's bpffs, to outlive the pod.
      expect({ ro: (mounts.get('/sys/fs/bpf') as Any)?.readOnly ?? false, host: pod.volumes.find((v: Any) => v.name === (mounts.get('/sys/fs/bpf') as Any)?.name)?.hostPath?.path }).toEqual({
        ro: false,
        host: '/sys/fs/bpf',
      });
      // The config file the args name is the ConfigMap's key, mounted where the args look.
      const cfgArg = c.args[c.args.indexOf('--config') + 1];
      const cfgVolume = pod.volumes.find((v: Any) => v.name === (mounts.get(path.dirname(cfgArg)) as Any).name);
      expect(cfgVolume.configMap.name).toBe(k8s('ConfigMap').metadata.name);
      expect(Object.keys(k8s('ConfigMap').data)).toContain(path.basename(cfgArg));
      expect(c.args[c.args.indexOf('--listen') + 1]).toBe(`0.0.0.0:${c.ports[0].containerPort}`);
    });

    test('resources: requests at or above what bench/exporter-load.ts measured; the memory limit holds that plus the full history', () => {
      // Measured with 200 NF pairs and 50 000 packets/s (docs/deploy.md, "Resources"): 0.045 cores, 137.5 MiB peak RSS.
      const measured = { cpu: 0.045, memoryMiB: 137.5 };
      const c = k8s('DaemonSet').spec.template.spec.containers[0];
      const cpu = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));
      const mib = (q: string) => Number(q.replace(/(Mi|MiB|Gi|GiB)$/, '')) * (/Gi/.test(q) ? 1024 : 1);
      const history = mib(parse(k8s('ConfigMap').data['nfscope.yaml']).history.memory_limit);
      expect(history).toBe(96);
      expect(cpu(c.resources.requests.cpu)).toBeGreaterThanOrEqual(measured.cpu);
      expect(mib(c.resources.requests.memory)).toBeGreaterThanOrEqual(measured.memoryMiB);
      expect(cpu(c.resources.limits.cpu)).toBeGreaterThanOrEqual(10 * measured.cpu);
      expect(mib(c.resources.limits.memory)).toBeGreaterThanOrEqual(1.4 * (measured.memoryMiB + history));
    });

    test('headless Service selecting the DaemonSet pods, on the exporter port; the ConfigMap peers resolve through it', () => {
      const svc = k8s('Service');
      const ds = k8s('DaemonSet');
      expect(svc.spec.clusterIP).toBe('None');
      expect(ds.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
      expect(svc.metadata.namespace).toBe(ds.metadata.namespace);
      expect(svc.spec.ports[0]).toMatchObject({ port: 9810, targetPort: 'http' });
      const cfg = parse(k8s('ConfigMap').data['nfscope.yaml']);
      expect(cfg.peers).toEqual([`dns+http://${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local:9810`]);
    });

    test("the ConfigMap's configuration passes the exporter's own check", async () => {
      const r = await runExporter(['--check-config', '--config', writeConfig(k8s('ConfigMap').data['nfscope.yaml'])]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    });
  },
  kubernetesModels,
);

/** Capabilities as setpriv names them: CAP_NET_ADMIN / NET_ADMIN -> net_admin. */
const setprivCaps = (caps: string[]) => caps.map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`).join(',');

describeRoot('least privilege, for real', () => {
  let tb: Testbed | undefined;
  afterAll(() => {
    tb?.destroy();
    if (tb) expect(tb.leftovers()).toEqual([]);
  });

  test('the exporter measures testbed traffic with only the capabilities docker-compose.yml and the DaemonSet grant', async () => {
    const compose = parse(read('docker-compose.yml')).services.exporter.cap_add as string[];
    const daemonset = k8s('DaemonSet').spec.template.spec.containers[0].securityContext.capabilities.add as string[];
    expect([...compose].sort()).toEqual([...daemonset].sort());
    tb = Testbed.create();
    const port = await freePort();
    const pins = testPinDir();
    const cfg = writeConfig(`${tb.exporterConfigYaml({ requestTimeout: '2s' }).trimEnd()}\ndatapath: { pin_dir: "${pins}", on_exit: detach }\n`);
    // As in the container: uid 0 whose bounding set holds only these capabilities.
    const proc = spawn('setpriv', [`--bounding-set=-all,${setprivCaps(compose)}`, '--inh-caps=-all', '--', process.execPath, ...EXPORTER_CMD, '--config', cfg, '--listen', `127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, sig) => resolve(code ?? sig ?? 'unknown')));
    try {
      await waitFor(
        'exporter /readyz',
        async () => {
          if (proc.exitCode !== null) throw new Error(`exporter exited ${proc.exitCode}:\n${out}`);
          return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined;
        },
        15000,
      );
      const status = fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8');
      const eff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(status)![1]}`);
      expect(eff).toBe((1n << 12n) | (1n << 38n) | (1n << 39n)); // NET_ADMIN, PERFMON, BPF
      const record = await tb.run({ seed: 5, durationMs: 3000, pfcp: { heartbeatIntervalMs: 100, sessionsPerSecond: 5 }, gtpu: { echoIntervalMs: 100 } });
      await new Promise((r) => setTimeout(r, 1500));
      const s = (await (await fetch(`http://127.0.0.1:${port}/api/v1/summary?window=5m`)).json()) as { latency: { interface: string; count: number }[] };
      const measured = s.latency.filter((r) => r.interface === 'N4').reduce((n, r) => n + r.count, 0);
      const made = record.transactions.filter((t) => t.interface === 'N4' && t.outcome !== 'timeout').length;
      expect(made).toBeGreaterThan(20);
      expect(measured).toBe(made);
    } finally {
      proc.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    // With on_exit detach, SIGTERM removed the pinned datapath, with these capabilities alone.
    expect(fs.existsSync(pins)).toBe(false);
  }, 60000);

  test('the simulator runs the testbed with only the capabilities docker-compose.yml grants it', () => {
    const caps = parse(read('docker-compose.yml')).services.simulator.cap_add as string[];
    const r = run('setpriv', [`--bounding-set=-all,${setprivCaps(caps)}`, '--inh-caps=-all', '--', process.execPath, NFSCOPE_BIN, 'testbed', '--duration', '2s', '--quiet'], { timeoutMs: 30000 });
    expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(/N4\s+smf-1\s+upf-1/);
  });
});
