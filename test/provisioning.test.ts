/**
 * provisioning/: the Prometheus configuration and alerting rules checked and
 * unit-tested by promtool, and the Grafana provisioning files checked against
 * each other and against the Prometheus rules they mirror (no Grafana server
 * runs here: its files are checked for the fields Grafana reads).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { REPO } from './lib/env';
import { describeWithTools, run } from './lib/tools';

const P = (...p: string[]) => path.join(REPO, 'provisioning', ...p);
const RULES = P('prometheus/rules/nfscope-alerts.yml');
const RULE_TESTS = P('prometheus/tests/nfscope-alerts.test.yml');
const PROM_CONFIG = P('prometheus/prometheus.yml');
const GRAFANA_ALERTS = P('grafana/alerting/nfscope-alerts.yaml');
const GRAFANA_NOTIFICATIONS = P('grafana/alerting/notifications.yaml');
const DATASOURCES = P('grafana/datasources/nfscope.yaml');
const DASHBOARDS = P('grafana/dashboards/nfscope.yaml');

type Any = any;
const load = (f: string): Any => {
  const docs = parseAllDocuments(fs.readFileSync(f, 'utf8'));
  if (docs.length !== 1) throw new Error(`${f}: ${docs.length} YAML documents, expected 1`);
  if (docs[0].errors.length > 0) throw new Error(`${f}: ${docs[0].errors.map((e) => e.message).join('; ')}`);
  return docs[0].toJS();
};
const squash = (s: string) => s.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();

interface PromRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const promRules = (): PromRule[] => load(RULES).groups.flatMap((g: Any) => g.rules);

describeWithTools('Prometheus rules and configuration (promtool)', ['promtool'], () => {
  test('promtool check rules: every rule parses', () => {
    const r = run('promtool', ['check', 'rules', RULES]);
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: expect.stringContaining(`SUCCESS: ${promRules().length} rules found`) });
  });

  test('promtool test rules: every case passes', () => {
    const r = run('promtool', ['test', 'rules', RULE_TESTS]);
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: expect.stringContaining('SUCCESS') });
  });

  test('promtool check config: the compose stack configuration and the rule files it loads', () => {
    const r = run('promtool', ['check', 'config', PROM_CONFIG]);
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: expect.stringContaining('is valid prometheus config file syntax') });
    expect(r.stdout + r.stderr).toContain('nfscope-alerts.yml');
  });

  test('promtool test rules fails when a rule no longer does what its case says', () => {
    // The tests are worth something only if they can fail: raise one threshold past the test's p99.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-promtool-'));
    try {
      fs.mkdirSync(path.join(dir, 'rules'));
      fs.mkdirSync(path.join(dir, 'tests'));
      const rules = fs.readFileSync(RULES, 'utf8');
      const changed = rules.replace(/\n {10}\) > 0\.1\n/, '\n          ) > 0.3\n');
      expect(changed).not.toEqual(rules);
      fs.writeFileSync(path.join(dir, 'rules/nfscope-alerts.yml'), changed);
      fs.copyFileSync(RULE_TESTS, path.join(dir, 'tests/nfscope-alerts.test.yml'));
      const r = run('promtool', ['test', 'rules', path.join(dir, 'tests/nfscope-alerts.test.yml')]);
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toContain('NfscopeN4LatencyP99High');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the Grafana rules' queries are valid PromQL", () => {
    // promtool parses expressions only inside rule files: wrap each query A in a recording rule.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-promtool-'));
    try {
      const rules = grafanaRules().map((r, i) => ({ record: `nfscope:grafana_query:${i}`, expr: queryA(r) }));
      const file = path.join(dir, 'grafana-queries.yml');
      fs.writeFileSync(file, JSON.stringify({ groups: [{ name: 'grafana', rules }] }));
      const r = run('promtool', ['check', 'rules', file]);
      expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: expect.stringContaining(`SUCCESS: ${rules.length} rules found`) });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Prometheus rule unit tests cover every rule', () => {
  test('each alert has a case where it fires and one where it does not', () => {
    const cases = load(RULE_TESTS).tests.flatMap((t: Any) => t.alert_rule_test ?? []);
    for (const r of promRules()) {
      const mine = cases.filter((c: Any) => c.alertname === r.alert);
      expect({ alert: r.alert, fires: mine.some((c: Any) => (c.exp_alerts ?? []).length > 0), quiet: mine.some((c: Any) => (c.exp_alerts ?? []).length === 0) }).toEqual({
        alert: r.alert,
        fires: true,
        quiet: true,
      });
    }
  });

  test('the rules cover the conditions nfscope alerts on', () => {
    const exprs = promRules().map((r) => squash(r.expr));
    const has = (re: RegExp) => exprs.some((e) => re.test(e));
    expect({
      n4p99: has(/histogram_quantile\(0\.99, .*nfscope_request_duration_seconds_bucket\{interface="N4"\}/),
      timeouts: has(/outcome="timeout".*offset/),
      sbi5xx: has(/interface="SBI", code=~"5\.\."/),
      echo: has(/interface=~"N3\|N9", procedure="Echo", outcome="timeout"/),
      // only drops that are loss (docs/drops.md): benign ones excluded
      drops: has(/sum by \(nf, interface, reason\) \(rate\(nfscope_packet_drops_total\{class!="benign"\}/),
      down: has(/up\{job="nfscope"\}/),
    }).toEqual({ n4p99: true, timeouts: true, sbi5xx: true, echo: true, drops: true, down: true });
  });
});

const grafanaRules = (): Any[] => load(GRAFANA_ALERTS).groups.flatMap((g: Any) => g.rules);
const queryA = (r: Any): string => r.data.find((d: Any) => d.refId === 'A').model.expr;

describe('Grafana provisioning', () => {
  test('data sources: the nfscope plugin with fixed uid nfscope, and Prometheus with uid prometheus', () => {
    const ds = load(DATASOURCES);
    expect(ds.apiVersion).toBe(1);
    const byUid = new Map(ds.datasources.map((d: Any) => [d.uid, d]));
    expect(byUid.get('nfscope')).toMatchObject({ type: 'nfscope-ebpf-datasource', access: 'proxy', url: expect.stringMatching(/^http:\/\/[^/]+:9810$/) });
    expect(byUid.get('prometheus')).toMatchObject({ type: 'prometheus', access: 'proxy', url: expect.stringMatching(/^http:\/\//) });
    expect(new Set(ds.datasources.map((d: Any) => d.name)).size).toBe(ds.datasources.length);
    expect(ds.datasources.filter((d: Any) => d.isDefault).length).toBeLessThanOrEqual(1);
  });

  test("dashboards provider: a file provider reading the plugin's dashboards", () => {
    const d = load(DASHBOARDS);
    expect(d.apiVersion).toBe(1);
    expect(d.providers).toHaveLength(1);
    expect(d.providers[0]).toMatchObject({ type: 'file', options: { path: '/var/lib/grafana/plugins/nfscope-ebpf-datasource/dashboards' } });
  });

  test('alert rules: well formed, on the Prometheus data source, unique uids', () => {
    const file = load(GRAFANA_ALERTS);
    expect(file.apiVersion).toBe(1);
    const uids = new Set<string>();
    for (const g of file.groups) {
      expect(g).toMatchObject({ orgId: 1, name: expect.any(String), folder: expect.any(String), interval: expect.stringMatching(/^\d+[smh]$/) });
      for (const r of g.rules) {
        const where = `rule ${r.uid}`;
        expect({ where, uid: /^[A-Za-z0-9_-]{1,40}$/.test(r.uid), dup: uids.has(r.uid) }).toEqual({ where, uid: true, dup: false });
        uids.add(r.uid);
        expect(r).toMatchObject({ title: expect.any(String), condition: 'C', for: expect.stringMatching(/^\d+[smh]$/) });
        expect(['OK', 'NoData', 'Alerting', 'KeepLast']).toContain(r.noDataState);
        expect(['OK', 'Error', 'Alerting', 'KeepLast']).toContain(r.execErrState);
        const refs = r.data.map((d: Any) => d.refId);
        expect({ where, refs }).toEqual({ where, refs: ['A', 'C'] });
        const [a, c] = r.data;
        expect({ where, a: a.datasourceUid, c: c.datasourceUid }).toEqual({ where, a: 'prometheus', c: '__expr__' });
        expect(a.model).toMatchObject({ refId: 'A', instant: true, expr: expect.any(String) });
        expect(a.relativeTimeRange.from).toBeGreaterThan(0);
        expect(c.model).toMatchObject({ refId: 'C', type: 'threshold', expression: 'A' });
        expect(c.model.conditions).toHaveLength(1);
        expect(['gt', 'lt']).toContain(c.model.conditions[0].evaluator.type);
        for (const text of Object.values<string>(r.annotations)) {
          // Grafana's templates: $labels and $values.A, never Prometheus's $value.
          expect({ where, text, promValue: /\$value\b/.test(text) }).toEqual({ where, text, promValue: false });
        }
      }
    }
  });

  test('the relative time range of each query covers its longest range selector plus offset', () => {
    const seconds = (d: string) => Number(d.slice(0, -1)) * { s: 1, m: 60, h: 3600 }[d.slice(-1) as 's' | 'm' | 'h']!;
    for (const r of grafanaRules()) {
      const a = r.data[0];
      const expr: string = a.model.expr;
      let need = 0;
      for (const m of expr.matchAll(/\[(\d+[smh])\](?:\s*offset\s+(\d+[smh]))?/g)) need = Math.max(need, seconds(m[1]) + (m[2] ? seconds(m[2]) : 0));
      expect({ uid: r.uid, enough: a.relativeTimeRange.from >= need }).toEqual({ uid: r.uid, enough: true });
    }
  });

  test('every Grafana rule is a Prometheus rule: (query A) OP threshold, same for, same labels', () => {
    const prom = new Map(promRules().map((r) => [r.alert, r]));
    const grafana = grafanaRules();
    expect(grafana.map((r) => r.title).sort()).toEqual([...prom.keys()].sort());
    for (const r of grafana) {
      const p = prom.get(r.title)!;
      const ev = r.data[1].model.conditions[0].evaluator;
      const op = { gt: '>', lt: '<' }[ev.type as 'gt' | 'lt'];
      expect({ alert: r.title, expr: squash(p.expr) }).toEqual({ alert: r.title, expr: squash(`(${queryA(r)}) ${op} ${ev.params[0]}`) });
      expect({ alert: r.title, for: r.for, labels: r.labels }).toEqual({ alert: r.title, for: p.for, labels: p.labels });
    }
  });

  test('contact point and notification policy: the policy routes to a defined contact point', () => {
    const n = load(GRAFANA_NOTIFICATIONS);
    expect(n.apiVersion).toBe(1);
    const points = new Set(n.contactPoints.map((c: Any) => c.name));
    for (const c of n.contactPoints)
      for (const rcv of c.receivers) expect(rcv).toMatchObject({ uid: expect.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), type: expect.any(String), settings: expect.any(Object) });
    expect(n.policies).toHaveLength(1);
    const receivers = (p: Any): string[] => [p.receiver, ...(p.routes ?? []).flatMap(receivers)].filter(Boolean);
    for (const r of receivers(n.policies[0])) expect(points).toContain(r);
    expect(n.policies[0].receiver).toBeTruthy();
    // A severity route must match a label the rules set.
    const severities = new Set(grafanaRules().map((r) => r.labels.severity));
    for (const route of n.policies[0].routes ?? []) for (const [label, , value] of route.object_matchers ?? []) if (label === 'severity') expect(severities).toContain(value);
  });

  // The plugin's dashboards are what the provider loads (its build copies
  // plugin/src/dashboards into plugin/dist/dashboards): every data source
  // they name must be one provisioned here.
  const dashboardDir = path.join(REPO, 'plugin/src/dashboards');
  const dashboards = fs.readdirSync(dashboardDir).filter((f) => f.endsWith('.json'));
  test(`the plugin's dashboards (${dashboards.length}) use only provisioned data source uids`, () => {
    expect(dashboards.length).toBeGreaterThan(0);
    const provisioned = new Set(load(DATASOURCES).datasources.map((d: Any) => d.uid));
    const uids = new Set<string>();
    const walk = (v: Any): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        if (v.datasource && typeof v.datasource === 'object' && typeof v.datasource.uid === 'string') uids.add(v.datasource.uid);
        Object.values(v).forEach(walk);
      }
    };
    for (const f of dashboards) walk(JSON.parse(fs.readFileSync(path.join(dashboardDir, f), 'utf8')));
    // Grafana's built-in annotation source and template variables are not data sources to provision.
    const missing = [...uids].filter((u) => u !== '-- Grafana --' && u !== 'grafana' && !u.startsWith('$') && !provisioned.has(u));
    expect(missing).toEqual([]);
    expect(uids.has('nfscope')).toBe(true);
  });

  test('every YAML file under provisioning/ parses', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const f = path.join(d, e.name);
        if (e.isDirectory()) walk(f);
        else if (/\.ya?ml$/.test(e.name)) files.push(f);
      }
    };
    walk(P());
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) expect(() => parse(fs.readFileSync(f, 'utf8'), { strict: true, uniqueKeys: true })).not.toThrow();
  });
});
