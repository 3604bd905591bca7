import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main, parseDuration } from '@nfscope/cli';
import { formatSummary, parseTestbedArgs, UsageError } from './cli';
import type { RunRecord } from './record';
import { resolveScenario } from './scenario';

/** Runs the `nfscope` command's main() (@nfscope/cli, which loads this package's testbed) and captures what it writes. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    return { code: (await main(argv)) ?? 0, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('nfscope CLI', () => {
  test('without a command: help listing the commands that exist', async () => {
    const r = await run([]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage: nfscope <command>/);
    expect(r.out).toMatch(/^ {2}testbed {4}/m);
    expect(r.out).toMatch(/^ {2}top {8}live view/m);
  });

  test('unknown command: error and exit 2', async () => {
    const r = await run(['tpo']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^nfscope: unknown command "tpo"/);
  });

  test('testbed --help documents every option', async () => {
    const r = await run(['testbed', '--help']);
    expect(r.code).toBe(0);
    for (const opt of ['--duration', '--scenario', '--seed', '--record', '--config-out', '--ipv6', '--start-delay', '--keep', '--down', '--quiet', '--help']) expect(r.out).toContain(opt);
  });

  test.each([
    [['--duration'], '--duration needs a value'],
    [['--duration', '5x'], '--duration: "5x" is not a duration (examples: 500ms, 30s, 2m, 1h)'],
    [['--duration', '10ms'], '--duration: 10ms is out of range (100 ms to 24 h)'],
    [['--seed', '-1'], '--seed: "-1" is not an integer from 0 to 4294967295'],
    [['--seed', 'abc'], '--seed: "abc" is not an integer from 0 to 4294967295'],
    [['--keep=yes'], '--keep takes no value'],
    [['--down', 'xyz'], '--down: "xyz" is not a testbed id (six hex digits, as printed when it was created)'],
    [['--down', 'abcdef', '--keep'], '--down takes no other options (got --keep)'],
    [['--record', 'a.json', '--config-out', './a.json'], '--record and --config-out name the same file'],
    [['extra'], 'unknown argument "extra"'],
  ])('testbed %j → exit 2: %s', async (args, message) => {
    expect(() => parseTestbedArgs(args)).toThrow(UsageError);
    const r = await run(['testbed', ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`nfscope testbed: ${message}\nRun "nfscope testbed --help" for usage.\n`);
  });

  test('a bad scenario file: every problem with its field, exit 2, before anything is created', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfsim-cli-'));
    try {
      const f = path.join(dir, 's.json');
      fs.writeFileSync(f, JSON.stringify({ pfcp: { t1Ms: 0, responder: { delay: { kind: 'normal' } } } }));
      const r = await run(['testbed', '--scenario', f]);
      expect(r.code).toBe(2);
      expect(r.err).toBe(
        `nfscope testbed: invalid scenario:\n${f}: pfcp.t1Ms: must be between 10 and 60000, got 0\n` +
          `${f}: pfcp.responder.delay.kind: must be one of "constant", "uniform", "exponential", "lognormal", got "normal"\n`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('options', () => {
    expect(parseTestbedArgs(['--duration=2m', '--seed', '7', '--ipv6', '--keep', '--start-delay', '1.5s', '--quiet'])).toEqual({
      durationMs: 120_000,
      seed: 7,
      ipv6: true,
      keep: true,
      startDelayMs: 1500,
      quiet: true,
    });
    expect(parseDuration('250ms', 'x', 0, 1e9)).toBe(250);
    expect(parseDuration('3', 'x', 0, 1e9)).toBe(3000);
    expect(parseDuration('1h', 'x', 0, 1e10)).toBe(3_600_000);
  });

  test('summary tables', () => {
    const record = {
      transactions: [
        { interface: 'N4', procedure: 'Heartbeat', client: 'smf-1', server: 'upf-1', outcome: 'accepted', transmissions: 1, latencyNs: 2_500_000 },
        { interface: 'N4', procedure: 'Heartbeat', client: 'smf-1', server: 'upf-1', outcome: 'timeout', transmissions: 4, latencyNs: null },
      ],
      gpdu: [{ interface: 'N3', from: 'gnb-1', from_type: 'gNB', to: 'upf-1', to_type: 'UPF', teid: 256, sent: { packets: 10, bytes: 2160 }, received: { packets: 9, bytes: 1944 } }],
      scenario: resolveScenario({}),
    } as unknown as RunRecord;
    expect(formatSummary(record)).toBe(
      [
        'interface  client  server  procedure  count  accepted  rejected  timeouts  retrans  p50 ms  p99 ms  max ms',
        'N4         smf-1   upf-1   Heartbeat      2         1         0         1        3    2.50    2.50    2.50',
        '',
        'interface  from   to     G-PDU teid  sent  received  sent octets  received octets',
        'N3         gnb-1  upf-1  0x00000100    10         9         2160             1944',
      ].join('\n'),
    );
  });
});
