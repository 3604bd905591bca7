import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, parseConfig } from './config';

const base = 'interfaces: [eth0]\nnfs: [{ name: smf-1, type: SMF, addresses: [198.18.0.10] }]\n';

function problems(extra: string): string[] {
  try {
    parseConfig(base + extra, 'c.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-config-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
};

describe('history, peers_timeout and api', () => {
  test('absent: nothing set (the exporter applies its defaults)', () => {
    const c = parseConfig(base, 'c.yaml');
    expect(c.history).toBeUndefined();
    expect(c.peersTimeoutSeconds).toBeUndefined();
    expect(c.api).toBeUndefined();
  });

  test('tiers, memory limit, series limit, peers timeout', () => {
    const c = parseConfig(
      `${base}history:\n  tiers: [{ resolution: 1s, retention: 10m }, { resolution: 1m, retention: 2d, buckets_per_octave: 8 }]\n  memory_limit: 64MiB\n  max_series: 500\npeers_timeout: 1500ms\n`,
      'c.yaml',
    );
    expect(c.history).toEqual({
      tiers: [
        { resolutionS: 1, retentionS: 600 },
        { resolutionS: 60, retentionS: 172800, bucketsPerOctave: 8 },
      ],
      memoryLimitBytes: 64 * 1024 * 1024,
      maxSeries: 500,
    });
    expect(c.peersTimeoutSeconds).toBe(1.5);
  });

  test.each([
    ['history: { tiers: [] }\n', 'history.tiers: [] is empty (expected a list of { resolution, retention } with at least one entry)'],
    ['history: { tiers: [{ resolution: 1s }] }\n', 'history.tiers[0].retention: is missing (expected a duration like "6h")'],
    ['history: { tiers: [{ resolution: 1.5s, retention: 15s }] }\n', 'history.tiers[0].resolution: "1.5s" is not a whole number of seconds'],
    ['history: { tiers: [{ resolution: 10s, retention: 15s }] }\n', 'history.tiers[0].retention: "15s" is not a multiple (at least 2) of the resolution 10 s'],
    ['history: { tiers: [{ resolution: 1s, retention: 2d }] }\n', 'history.tiers[0]: 172800 points is too many (at most 100000 per tier)'],
    [
      'history: { tiers: [{ resolution: 10s, retention: 1h }, { resolution: 1s, retention: 2h }] }\n',
      'history.tiers[1]: resolution and retention must both be larger than those of the tier before (10 s, 3600 s)',
    ],
    ['history: { tiers: [{ resolution: 1s, retention: 1h, step: 3 }] }\n', 'history.tiers[0].step: unknown key "step" (expected one of: resolution, retention, buckets_per_octave)'],
    ['history: { tiers: [{ resolution: 1s, retention: 1h, buckets_per_octave: 3 }] }\n', 'history.tiers[0].buckets_per_octave: 3 is not 1, 2, 4, 8 or 16'],
    ['history: { memory_limit: 10 lots }\n', 'history.memory_limit: "10 lots" is not a size (expected a number of bytes or a string like "96MiB", "200MB", "1GiB")'],
    ['history: { memory_limit: 1KB }\n', 'history.memory_limit: "1KB" is out of range (expected 1MiB to 64GiB)'],
    ['history: { max_series: 0 }\n', 'history.max_series: 0 is not a series count (expected an integer from 1 to 1000000)'],
    ['history: { retention: 1h }\n', 'history.retention: unknown key "retention" (expected one of: tiers, memory_limit, max_series, state_file)'],
    ['peers_timeout: 5m\n', 'peers_timeout: "5m" is out of range (expected 0.1 to 60 seconds)'],
    ['api: { token: abc }\n', 'api.token: unknown key "token" (expected one of: token_file, tls)'],
    ['api: { tls: { cert: /nonexistent/c.pem } }\n', 'api.tls.key: is missing (expected the path of its PEM private key)'],
  ])('%s', (extra, message) => {
    const ps = problems(extra);
    expect(ps).toContain(message);
  });

  test('state file: any path in a directory that exists (the file itself may not yet)', () => {
    const f = path.join(tmp, 'history.state');
    expect(parseConfig(`${base}history: { state_file: ${JSON.stringify(f)} }\n`, 'c.yaml').history).toEqual({ stateFile: f });
    expect(problems('history: { state_file: /nonexistent/dir/history.state }\n')).toEqual(['history.state_file: "/nonexistent/dir/history.state": the directory "/nonexistent/dir" does not exist']);
    expect(problems('history: { state_file: "" }\n')).toEqual(['history.state_file: "" is empty (expected the path of a file to save the history in)']);
    expect(problems('history: { state_file: [a] }\n')).toEqual(['history.state_file: ["a"] is not a string (expected the path of a file to save the history in)']);
  });

  test('token file: read and trimmed; too short, empty or unreadable is an error naming the file', () => {
    const good = file('token', 'abcdefghijklmnopqrstuvwxyz012345\n');
    expect(parseConfig(`${base}api: { token_file: ${JSON.stringify(good)} }\n`, 'c.yaml').api).toEqual({ token: 'abcdefghijklmnopqrstuvwxyz012345', tokenFile: good });
    const short = file('short', 'abc\n');
    expect(problems(`api: { token_file: ${JSON.stringify(short)} }\n`)).toEqual([`api.token_file: ${JSON.stringify(short)} must hold one token of at least 16 characters without white space`]);
    expect(problems('api: { token_file: /nonexistent/token }\n')[0]).toMatch(/^api\.token_file: cannot read the token file "\/nonexistent\/token": ENOENT/);
  });

  test('tls: PEM certificate and key', () => {
    const cert = file('c.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const key = file('k.pem', '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
    expect(parseConfig(`${base}api: { tls: { cert: ${JSON.stringify(cert)}, key: ${JSON.stringify(key)} } }\n`, 'c.yaml').api).toEqual({ tls: { cert, key } });
    expect(problems(`api: { tls: { cert: ${JSON.stringify(key)}, key: ${JSON.stringify(key)} } }\n`)).toEqual([`api.tls.cert: ${JSON.stringify(key)} is not a PEM certificate`]);
  });

  test('dns+http peers', () => {
    expect(parseConfig(`${base}peers: ["dns+http://nfscope.monitoring.svc:9810", "worker-2:9810"]\n`, 'c.yaml').peers).toEqual(['dns+http://nfscope.monitoring.svc:9810', 'http://worker-2:9810']);
    expect(problems('peers: ["dns+http://bad_name:9810"]\n')[0]).toMatch(/^peers\[0\]: "dns\+http:\/\/bad_name:9810" is not a peer address/);
  });
});
