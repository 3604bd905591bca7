import { DEFAULT_SCENARIO, estimatePacketsPerSecond, graceMs, loadScenario, pfcpBehaviour, resolveScenario, ScenarioError } from './scenario';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The problems a bad scenario is reported with, as "path: message" lines. */
function problems(input: unknown): string[] {
  try {
    resolveScenario(input, 'test.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as ScenarioError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('the scenario was accepted');
}

describe('scenario', () => {
  test('empty scenario: all defaults', () => {
    expect(resolveScenario({})).toEqual(DEFAULT_SCENARIO);
    expect(resolveScenario(undefined)).toEqual(DEFAULT_SCENARIO);
  });

  test('fields override defaults one by one; a delay replaces the whole distribution', () => {
    const s = resolveScenario({ durationMs: 5000, pfcp: { t1Ms: 200, responder: { delay: { kind: 'constant', ms: 3 }, rejectRate: 0.1 } } });
    expect(s.durationMs).toBe(5000);
    expect(s.pfcp.t1Ms).toBe(200);
    expect(s.pfcp.n1).toBe(3);
    expect(s.pfcp.responder).toEqual({ delay: { kind: 'constant', ms: 3 }, rejectRate: 0.1, rejectCauses: [64], noResponseRate: 0, dropFirstCopyRate: 0 });
    expect(s.gtpu).toEqual(DEFAULT_SCENARIO.gtpu);
  });

  test('per-procedure overrides; Heartbeat is never rejected (no Cause IE)', () => {
    const s = resolveScenario({ pfcp: { responder: { rejectRate: 0.5 }, procedures: { SessionEstablishment: { rejectCauses: [73, 75], delay: { kind: 'exponential', meanMs: 3 } } } } });
    expect(pfcpBehaviour(s, 'SessionEstablishment')).toMatchObject({ rejectRate: 0.5, rejectCauses: [73, 75], delay: { kind: 'exponential', meanMs: 3 } });
    expect(pfcpBehaviour(s, 'SessionDeletion')).toMatchObject({ rejectRate: 0.5, rejectCauses: [64] });
    expect(pfcpBehaviour(s, 'Heartbeat').rejectRate).toBe(0);
  });

  test('a resolved scenario resolves to itself', () => {
    const s = resolveScenario({ seed: 5, gtpu: { n9: false, qfi: null } });
    expect(resolveScenario(s)).toEqual(s);
  });

  test.each([
    [{ durationMs: '5s' }, 'durationMs: must be an integer, got "5s"'],
    [{ duration: 5000 }, 'duration: unknown field; did you mean "durationMs"?'],
    [{ pfcp: { t1: 200 } }, 'pfcp.t1: unknown field; did you mean "t1Ms"?'],
    [{ pfcp: { n1: 11 } }, 'pfcp.n1: must be between 0 and 10, got 11'],
    [{ pfcp: { heartbeatIntervalMs: 5 } }, 'pfcp.heartbeatIntervalMs: must be between 10 and 3600000, got 5 (or 0 for none)'],
    [{ pfcp: { responder: { rejectRate: 1.5 } } }, 'pfcp.responder.rejectRate: must be between 0 and 1, got 1.5'],
    [{ pfcp: { responder: { rejectCauses: [1] } } }, 'pfcp.responder.rejectCauses[0]: must be between 64 and 255, got 1'],
    [{ pfcp: { responder: { rejectCauses: [] } } }, 'pfcp.responder.rejectCauses: must be a non-empty list of cause values (64..255)'],
    [{ pfcp: { responder: { delay: { kind: 'uniform', minMs: 3 } } } }, 'pfcp.responder.delay.maxMs: must be a number, got undefined'],
    [{ pfcp: { procedures: { SessionEstablishmnet: {} } } }, 'pfcp.procedures.SessionEstablishmnet: unknown field; did you mean "SessionEstablishment"?'],
    [{ pfcp: { procedures: { Heartbeat: { rejectRate: 0.1 } } } }, 'pfcp.procedures.Heartbeat.rejectRate: must be 0: a Heartbeat Response has no Cause IE (TS 29.244 §7.4.2.2)'],
    [{ pfcp: { responder: { rejectRate: 0.5, noResponseRate: 0.4, dropFirstCopyRate: 0.2 } } }, 'pfcp.responder: rejectRate + noResponseRate + dropFirstCopyRate must be at most 1, got 1.1'],
    [
      { pfcp: { n1: 0, responder: { dropFirstCopyRate: 0.1 } } },
      'pfcp.responder.dropFirstCopyRate: needs pfcp.n1 ≥ 1: without retransmissions a dropped first copy is a timeout (use noResponseRate for that)',
    ],
    [
      { gtpu: { responder: { rejectRate: 0.1 } } },
      'gtpu.responder.rejectRate: unknown field; an Echo Response has no Cause, so echo can only be answered, ignored (noResponseRate) or answered late (dropFirstCopyRate)',
    ],
    [{ gtpu: { gpduSize: 20 } }, 'gtpu.gpduSize: must be between 28 and 1400, got 20'],
    [{ gtpu: { n9: 'yes' } }, 'gtpu.n9: must be true or false, got "yes"'],
    [{ ipFamily: 5 }, 'ipFamily: must be one of 4, 6, got 5'],
    [{ pfcp: 3 }, 'pfcp: must be a JSON object, got 3'],
    [[], '(top level): must be a JSON object, got a list'],
  ])('%j is rejected', (input, expected) => {
    expect(problems(input)).toEqual([expected]);
  });

  test('every problem is reported, not just the first', () => {
    expect(problems({ seed: -1, pfcp: { t1Ms: 1, n1: 'x' }, gtpu: { echoIntervalMs: -5 } })).toEqual([
      'seed: must be between 0 and 4294967295, got -1',
      'pfcp.t1Ms: must be between 10 and 60000, got 1',
      'pfcp.n1: must be an integer, got "x"',
      'gtpu.echoIntervalMs: must be between 10 and 3600000, got -5 (or 0 for none)',
    ]);
  });

  test('rates above maxPacketsPerSecond are refused with the breakdown', () => {
    const [p] = problems({ gtpu: { gpduPerSecond: 4000 } });
    expect(p).toMatch(/^maxPacketsPerSecond: the rates add up to about 8\d{3} packets\/s \(PFCP \d+, GTP-U echo 4, G-PDU 8000, NGAP 36\), more than 5000/);
    expect(() => resolveScenario({ maxPacketsPerSecond: 9000, gtpu: { gpduPerSecond: 4000 } })).not.toThrow();
    expect(problems({ maxPacketsPerSecond: 50_000 })).toEqual(['maxPacketsPerSecond: must be between 1 and 20000, got 50000']);
  });

  test('estimates and grace period', () => {
    const s = resolveScenario({
      pfcp: { heartbeatIntervalMs: 1000, sessionsPerSecond: 10, reportsPerSecond: 5, t1Ms: 200, n1: 2 },
      gtpu: { echoIntervalMs: 100, gpduPerSecond: 100, t3Ms: 300, n3: 1 },
      sbi: { registrationsPerSecond: 0, nrfHeartbeatMs: 0 },
    });
    // Per UPF: 2 heartbeat + 60 session + 10 report packets/s; echo 2 paths × 20; G-PDU 2 hops × 100; NGAP 2 UEs × 18.
    expect(estimatePacketsPerSecond(s)).toEqual({ pfcp: 144, echo: 40, gpdu: 200, ngap: 36, total: 420 });
    // The longest wait: an NGAP response timeout (2 s) plus a delayed SACK (200 ms).
    expect(graceMs(s)).toBe(Math.max(3 * 200, 2 * 300, 2000 + 200) + 500);
    expect(graceMs(resolveScenario({ ...s, ngap: { enabled: false } }))).toBe(Math.max(3 * 200, 2 * 300) + 500);
  });

  test('loadScenario names the file in its errors', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfsim-scenario-'));
    try {
      const f = path.join(dir, 's.json');
      fs.writeFileSync(f, '{"pfcp": {"t1Ms": 5}}');
      expect(() => loadScenario(f)).toThrow(`${f}: pfcp.t1Ms: must be between 10 and 60000, got 5`);
      fs.writeFileSync(f, '{"pfcp": ');
      expect(() => loadScenario(f)).toThrow(/not valid JSON/);
      expect(() => loadScenario(path.join(dir, 'missing.json'))).toThrow(/ENOENT/);
      fs.writeFileSync(f, '{"seed": 9}');
      expect(loadScenario(f).seed).toBe(9);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
