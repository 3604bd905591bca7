import { planAgents, type PlanNf } from './plan';
import { graceMs, resolveScenario, ScenarioError } from './scenario';
import { successStatus, UE_REGISTRATION } from './sbi';
import { TESTBED_NFS } from './testbed';

const nfs: PlanNf[] = TESTBED_NFS.map((nf, i) => ({ ...nf, netns: `nfsim-abcdef-${nf.name}`, ipv4: `198.18.0.${i + 1}`, ipv6: `2001:2::${i + 1}` }));

describe('SBI scenario and plan', () => {
  test('on by default in every core NF; both rates 0 turn it off, and its timeout then leaves the grace period alone', () => {
    const on = planAgents(nfs, resolveScenario({}), 'abcdef').filter((a) => a.script === 'sbi-agent');
    expect(on.map((a) => a.nf)).toEqual(['amf-1', 'smf-1', 'nrf-1', 'ausf-1', 'udm-1', 'pcf-1']);
    const off = { registrationsPerSecond: 0, nrfHeartbeatMs: 0 };
    const s = resolveScenario({ sbi: off });
    expect(planAgents(nfs, s, 'abcdef').filter((a) => a.script === 'sbi-agent')).toEqual([]);
    expect(graceMs(s)).toBe(graceMs(resolveScenario({ sbi: { ...off, timeoutMs: 59_000 } })));
    expect(graceMs(resolveScenario({ sbi: { timeoutMs: 59_000 } }))).toBeGreaterThan(59_000);
  });

  test('one agent per core NF, producers behave as configured, consumers connect as configured', () => {
    const s = resolveScenario({
      seed: 3,
      sbi: {
        registrationsPerSecond: 5,
        nrfHeartbeatMs: 1000,
        connections: { AMF: 'short' },
        responder: { errorRate: 0.1, errorStatuses: [403, 503] },
        producers: { PCF: { delay: { kind: 'constant', ms: 7 } } },
        timeoutMs: 4000,
      },
    });
    const sbi = planAgents(nfs, s, 'abcdef').filter((a) => a.script === 'sbi-agent');
    expect(sbi.map((a) => a.nf).sort()).toEqual(['amf-1', 'ausf-1', 'nrf-1', 'pcf-1', 'smf-1', 'udm-1']);
    const by = Object.fromEntries(sbi.map((a) => [a.nf, a.script === 'sbi-agent' ? a.args : undefined]));
    expect(by['amf-1']!.sbi).toMatchObject({ registrationsPerSecond: 5, connections: 'short', register: true, behaviour: null, timeoutMs: 4000, port: 7777 });
    expect(Object.keys(by['amf-1']!.producers).sort()).toEqual(['AUSF', 'NRF', 'PCF', 'SMF', 'UDM']);
    expect(by['smf-1']!.sbi).toMatchObject({ registrationsPerSecond: 0, connections: 'long', behaviour: { rejectRate: 0.1, rejectCauses: [403, 503], dropFirstCopyRate: 0 } });
    expect(Object.keys(by['smf-1']!.producers).sort()).toEqual(['NRF', 'PCF']);
    expect(by['nrf-1']!.sbi.register).toBe(false);
    expect(by['pcf-1']!.sbi.behaviour!.delay).toEqual({ kind: 'constant', ms: 7 });
    expect(graceMs(s)).toBeGreaterThanOrEqual(4000);
  });

  test('bad SBI fields are named', () => {
    const bad = () => resolveScenario({ sbi: { registrationsPerSecond: -1, connections: { AMF: 'sometimes' }, responder: { errorStatuses: [99] }, port: 0, nope: 1 } });
    expect(bad).toThrow(ScenarioError);
    const msg = (() => {
      try {
        bad();
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    for (const p of ['sbi.registrationsPerSecond', 'sbi.connections.AMF', 'sbi.responder.errorStatuses[0]', 'sbi.port', 'sbi.nope']) expect(msg).toContain(p);
  });

  test('success statuses follow the services: created resources 201, updates without content 204, reads 200', () => {
    expect(UE_REGISTRATION.map((st) => successStatus(st.method, st.path))).toEqual(UE_REGISTRATION.map((st) => st.success));
    expect(successStatus('PUT', '/nnrf-nfm/v1/nf-instances/x')).toBe(201);
    expect(successStatus('PATCH', '/nnrf-nfm/v1/nf-instances/x')).toBe(204);
  });
});
