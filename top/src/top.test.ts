import { fit, parseTopArgs, rate, render, type Summary } from './top';
import { UsageError } from '@nfscope/cli';

const NOW = new Date('2026-12-01T12:34:56Z');

const summary: Summary = {
  node: 'worker-1',
  window_s: 60,
  latency: [
    { client: 'smf-1', server: 'upf-1', interface: 'N4', procedure: 'SessionEstablishment', count: 600, p50_ms: 2.104, p99_ms: 8.7, rejected: 12, timeouts: 0 },
    { client: 'gnb-1', server: 'upf-1', interface: 'N3', procedure: 'Echo', count: 1200, p50_ms: 0.31, p99_ms: 1.25, rejected: 0, timeouts: 3 },
    {
      client: 'a-very-long-client-nf-name',
      server: 'upf-2',
      interface: 'N4',
      procedure: 'SessionSetModification',
      count: 6,
      p50_ms: 1234.5,
      p99_ms: null,
      rejected: 0,
      timeouts: 0,
    },
  ],
  drops: [
    { nf: 'upf-1', peer_nf: 'gnb-1', interface: 'N3', reason: 'OTHERHOST', class: 'benign', count: 18931 },
    { nf: 'upf-1', peer_nf: 'gnb-1', interface: 'N3', reason: 'NO_SOCKET', class: 'loss', count: 90 },
    { nf: 'upf-2', peer_nf: 'upf-1', interface: 'N9', reason: 'NO_SOCKET', class: 'loss', count: 30 },
    { nf: 'smf-1', peer_nf: 'upf-1', interface: 'N4', reason: 'UDP_CSUM', count: 6 },
    { nf: 'smf-1', peer_nf: 'upf-1', interface: 'SBI', reason: 'QUEUE_PURGE', class: 'benign', count: 40 },
  ],
};

const view = (extra: Partial<Parameters<typeof render>[0]> = {}) => render({ url: 'http://127.0.0.1:9810', scope: 'node', windowS: 60, now: NOW, summary, ...extra });

describe('render at 80 columns', () => {
  const lines = view().split('\n');

  test('no line is wider than 80 columns, and there are no escape sequences', () => {
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
    // eslint-disable-next-line no-control-regex -- ESC is the character this looks for
    expect(lines.join('\n')).not.toMatch(/\x1b/);
  });

  test('header: node, window, time', () => {
    expect(lines[0]).toBe('nfscope top  node worker-1  window 60s  12:34:56 UTC');
  });

  test('pairs, busiest first, with rate over the window, p50/p99, rejections and timeouts', () => {
    expect(lines[2]).toBe('NF PAIR                IF  PROCEDURE           REQ/S  P50 ms  P99 ms   REJ   T/O');
    // 1200 completed + 3 timeouts in 60 s
    expect(lines[3]).toBe('gnb-1 → upf-1          N3  Echo                 20.1    0.31    1.25     0     3');
    expect(lines[4]).toBe('smf-1 → upf-1          N4  SessionEstablish…    10.0    2.10    8.70    12     0');
    // long names are cut, missing percentiles are "-"
    expect(lines[5]).toBe('a-very-long-client-nf… N4  SessionSetModifi… 6.0/min    1235       -     0     0');
  });

  test('a rate below 1/s reads per minute, below 1/min per hour, never as 0.0', () => {
    // A PFCP pair at 0.09 requests/s: 54 Heartbeats in a 10-minute window.
    const slow = (windowS: number, count: number) =>
      render({
        url: 'http://127.0.0.1:9810',
        scope: 'node',
        windowS,
        now: NOW,
        summary: { node: 'worker-1', window_s: windowS, drops: [], latency: [{ ...summary.latency[0], procedure: 'Heartbeat', count, rejected: 0 }] },
      }).split('\n')[3];
    expect(slow(600, 54)).toBe('smf-1 → upf-1          N4  Heartbeat         5.4/min    2.10    8.70     0     0');
    expect(slow(3600, 3)).toBe('smf-1 → upf-1          N4  Heartbeat           3.0/h    2.10    8.70     0     0');
  });

  test('rate: fixed width of at most 7 columns, the unit that keeps the digits', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [0.09, '5.4/min'],
      [1 / 60, '1.0/min'],
      [0.5, '30/min'],
      [0.999, '60/min'],
      [1, '1.0'],
      [20.05, '20.1'],
      [9999.9, '9999.9'],
      [12_345, '12.3k'],
      [2_500_000, '2.5M'],
      [1 / 3600, '1.0/h'],
      [0.9 / 60, '54/h'],
      [1e-7, '<0.1/h'],
      [NaN, '-'],
    ];
    expect(cases.map(([x]) => [x, rate(x)])).toEqual(cases);
    for (let x = 1e-5; x < 1e7; x *= 1.01) expect({ x, width: rate(x).length <= 7 }).toEqual({ x, width: true });
  });

  test('top loss drop reasons, summed over NFs, with the NF where most happened; benign drops on a line apart', () => {
    const i = lines.findIndex((l) => l.startsWith('TOP DROP REASONS (LOSS)'));
    expect(lines.slice(i + 1)).toEqual([
      // a row without a class (an older exporter) is loss
      'NO_SOCKET                         120     2.0   upf-1 ← gnb-1 N3',
      'UDP_CSUM                            6     0.1   smf-1 ← upf-1 N4',
      'benign, not loss: 18971 (316.2/s), mostly OTHERHOST',
    ]);
  });

  test('only benign drops: no loss, and the benign line', () => {
    const out = view({ summary: { ...summary, drops: summary.drops.filter((d) => d.class === 'benign') } }).split('\n');
    const i = out.findIndex((l) => l.startsWith('TOP DROP REASONS (LOSS)'));
    expect(out.slice(i + 1)).toEqual(['  no loss drops in the window', 'benign, not loss: 18971 (316.2/s), mostly OTHERHOST']);
  });

  test('a short terminal lists as many pairs as fit and says how many are left out', () => {
    expect(view({ height: 11 }).split('\n')).toHaveLength(11); // all three fit
    const short = view({ height: 10 }).split('\n');
    expect(short).toHaveLength(10);
    expect(short[3]).toMatch(/^gnb-1 → upf-1/);
    expect(short[4]).toBe('  … 2 more pairs (a taller terminal shows them)');
  });
});

describe('render: other states', () => {
  test('cluster scope names the nodes that answered and the ones that did not', () => {
    const out = view({
      scope: 'cluster',
      summary: { ...summary, scope: 'cluster', nodes: { answered: ['worker-1', 'worker-2'], missing: [{ node: 'http://worker-3:9810', error: 'timeout after 2000 ms' }] } },
    }).split('\n');
    expect(out[0]).toBe('nfscope top  cluster via worker-1  window 60s  12:34:56 UTC');
    expect(out[1]).toBe('nodes: 2 answered (worker-1, worker-2); MISSING http://worker-3:9810: timeout a…');
    expect([...out[1]].length).toBe(80);
  });

  test('an unreachable exporter: the error, and the last answer if there was one', () => {
    expect(view({ summary: undefined, error: 'ECONNREFUSED' })).toBe('nfscope top  http://127.0.0.1:9810  window 60s  12:34:56 UTC\n\ncannot read http://127.0.0.1:9810: ECONNREFUSED');
    const stale = view({ error: 'no answer within 2 s' });
    expect(stale).toMatch(/cannot read .*no answer within 2 s\n\(showing the last answer\)/);
    expect(stale).toMatch(/gnb-1 → upf-1/);
  });

  test('nothing measured yet', () => {
    const out = view({ summary: { node: 'w', window_s: 60, latency: [], drops: [] } });
    expect(out).toMatch(/no transactions in the window/);
    expect(out).toMatch(/no loss drops in the window/);
  });

  test('a wider terminal gives the procedure the room', () => {
    const wide = view({ width: 100 }).split('\n');
    expect(wide.find((l) => l.startsWith('smf-1'))).toMatch(/SessionEstablishment\s/);
    for (const l of wide) expect([...l].length).toBeLessThanOrEqual(100);
  });
});

describe('fit', () => {
  test.each([
    ['abc', 5, false, 'abc  '],
    ['abc', 5, true, '  abc'],
    ['abcdef', 4, false, 'abc…'],
    ['smf → upf', 9, false, 'smf → upf'],
  ])('%j in %d', (t, n, right, out) => expect(fit(t, n, right)).toBe(out));
});

describe('parseTopArgs', () => {
  test('defaults and options', () => {
    expect(parseTopArgs([], {})).toEqual({ url: 'http://127.0.0.1:9810', windowS: 60, scope: 'node', once: false, token: undefined });
    expect(parseTopArgs(['--url', 'https://w1:9810/', '--window=5m', '--scope', 'cluster', '--once'], { NFSCOPE_TOKEN: 't0ken' })).toEqual({
      url: 'https://w1:9810',
      windowS: 300,
      scope: 'cluster',
      once: true,
      token: 't0ken',
    });
  });
  test.each([
    [['--url', 'w1:9810'], /^--url: "w1:9810" is not an http/],
    [['--window', '2h'], /--window/],
    [['--scope', 'all'], /^--scope: "all"/],
    [['--token-file', '/nonexistent/t'], /^--token-file: cannot read/],
    [['--colour'], /^unknown argument "--colour"/],
  ])('%j', (argv, message) => {
    expect(() => parseTopArgs(argv as string[], {})).toThrow(UsageError);
    expect(() => parseTopArgs(argv as string[], {})).toThrow(message);
  });
});
