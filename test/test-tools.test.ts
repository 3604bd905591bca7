/**
 * The command lines of the test tools (test/tools/*.js, read by
 * test/tools/args.js) and of scripts/show-summary.js: --help prints the
 * usage line and exits 0; an unknown option, a missing value, a value given
 * to a flag and a bad value are each an error naming the option, exit 2,
 * before the tool sends or binds anything. And the one tool whose options
 * are a script (tcp-script.js) plays them in the order given, over loopback.
 */
import { spawn, spawnSync } from 'child_process';
import * as net from 'net';
import * as path from 'path';
import { REPO, waitFor } from './lib/env';
import { freePort } from './lib/exporter';

const TOOLS = path.join(REPO, 'test/tools');
const SHOW_SUMMARY = path.join(REPO, 'scripts/show-summary.js');

function run(file: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const tool = (name: string, args: string[]) => run(path.join(TOOLS, `${name}.js`), args);

/** Each tool and one of its options that take a value. */
const CASES: { name: string; valueOption: string }[] = [
  { name: 'h2-server', valueOption: '--port' },
  { name: 'h2-session-client', valueOption: '--url' },
  { name: 'pfcp-lockstep', valueOption: '--to' },
  { name: 'pfcp-responder', valueOption: '--on' },
  { name: 'send-raw', valueOption: '--to' },
  { name: 'send-udp', valueOption: '--to' },
  { name: 'tcp-churn', valueOption: '--port' },
  { name: 'tcp-script', valueOption: '--port' },
];

describe.each(CASES)('test/tools/$name.js', ({ name, valueOption }) => {
  test('--help and -h print the usage line and exit 0', () => {
    for (const h of ['--help', '-h']) {
      const r = tool(name, [h]);
      expect(r).toMatchObject({ status: 0, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^usage: ${name}\\.js --`));
    }
  });

  test('an unknown option is an error naming it, exit 2', () => {
    const r = tool(name, ['--no-such-option', '1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^${name}: Unknown option '--no-such-option'\nusage: ${name}\\.js`));
    expect(r.stdout).toBe('');
  });

  test('an option without its value is an error naming it, exit 2', () => {
    const r = tool(name, [valueOption]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${name}: Option '${valueOption} <value>' argument missing`);
  });

  test('an argument that is no option is an error, exit 2', () => {
    const r = tool(name, ['stray']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Unexpected argument 'stray'");
  });
});

describe('bad values are errors naming the option, exit 2', () => {
  test.each([
    ['h2-server', ['--port', '0'], '--port: "0" is not a whole number at least 1 and at most 65535'],
    ['h2-server', ['--port', '8080', '--delay-ms', '25-1'], '--delay-ms: "25-1" has MAX below MIN'],
    ['h2-server', ['--port', '8080', '--seed', 'x'], '--seed: "x" is not a whole number'],
    ['h2-session-client', ['--url', 'http://198.18.0.12:8080', '--connections', '0'], '--connections: "0" is not a whole number at least 1'],
    ['h2-session-client', ['--url', 'nrf:8080'], '--url: "nrf:8080" is not an http:// URL'],
    ['pfcp-lockstep', ['--to', '198.18.0.10', '--from', '198.18.0.11,fe80::1', '--first', '1', '--rounds', '2', '--period-ms', '5'], '--from needs IPv4 addresses, not "fe80::1"'],
    ['pfcp-lockstep', ['--to', '198.18.0.10', '--from', '198.18.0.11', '--first', '16777215', '--rounds', '2', '--period-ms', '5'], '--rounds: 2 rounds take the sequence numbers past 24 bits'],
    ['pfcp-lockstep', ['--to', '198.18.0.10', '--from', '198.18.0.11', '--first', '1', '--rounds', '2'], '--period-ms is required'],
    ['pfcp-lockstep', ['--to', '198.18.0.10', '--from', '198.18.0.11', '--first', '1', '--rounds', '2', '--period-ms', '5', '--reuse=yes'], "Option '--reuse' does not take an argument"],
    ['pfcp-responder', ['--on', '198.18.0.10', '--count', '2', '--base-ms', '5', '--copies', '1.5'], '--copies: "1.5" is not a whole number at least 1'],
    ['send-raw', ['--proto', '132', '--to', '198.18.0.10'], '--hex is required'],
    ['send-udp', ['--to', '198.18.0.10', '--port', '2152', '--hex', '0g'], '--hex: "0g" is not hexadecimal octets'],
    ['send-udp', ['--to', '198.18.0.10', '--port', '8805', '--hex', '2001', '--seq', '1:2:0', '--count', '3'], '--seq: OFFSET+BYTES is past the end of the template'],
    ['send-udp', ['--to', '198.18.0.10', '--port', '2152'], '--count or --hex is required'],
    ['tcp-churn', ['--listen', '198.18.0.10', '--connect', '198.18.0.10', '--port', '9000'], 'give one of --listen ADDR and --connect ADDR'],
    ['tcp-churn', ['--connect', '198.18.0.10', '--port', '9000'], '--count is required'],
    ['tcp-script', ['--connect', 'smf', '--port', '9000'], '--connect: "smf" is not an IP address'],
    ['tcp-script', ['--connect', '198.18.0.10', '--port', '9000', '--gap-ms', 'soon'], '--gap-ms: "soon" is not a number at least 0'],
  ])('%s %j', (name, args, message) => {
    const r = tool(name, args);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`${name}: ${message}`);
    expect(r.stdout).toBe('');
  });
});

describe('scripts/show-summary.js', () => {
  test('--help prints the usage line, exit 0', () => {
    const r = run(SHOW_SUMMARY, ['--help']);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(/^usage: show-summary\.js \[URL\]/);
  });

  test.each([
    [['--url', 'http://127.0.0.1:9810'], "show-summary: Unknown option '--url'"],
    [['http://127.0.0.1:9810', 'http://127.0.0.1:9811'], 'show-summary: unexpected argument "http://127.0.0.1:9811"'],
    [['127.0.0.1 9810'], 'show-summary: "127.0.0.1 9810" is not a URL'],
  ])('%j is an error, exit 2', (args, message) => {
    const r = run(SHOW_SUMMARY, args);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(message);
  });
});

test('tcp-script.js --listen plays --hex, --gap-ms and --wait-line steps in the order given', async () => {
  const port = await freePort();
  const srv = spawn(
    process.execPath,
    [path.join(TOOLS, 'tcp-script.js'), '--listen', '127.0.0.1', '--port', `${port}`, '--hex', '61', '--wait-line', '--hex', '62', '--gap-ms', '20', '--hex', '63', '--hold-ms', '50'],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  try {
    let out = '';
    srv.stdout!.on('data', (d) => (out += d));
    const printed = (line: string) =>
      waitFor(`tcp-script.js to print ${line}`, () => {
        if (srv.exitCode !== null) throw new Error(`tcp-script.js exited (${srv.exitCode}): ${out}`);
        return out.split('\n').includes(line) ? true : undefined;
      });
    await printed('listening');
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    sock.on('data', (d) => (got += d));
    const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    sock.on('end', () => sock.end());
    sock.write('x');
    // "a" goes out before the wait; "b" and "c" only once a line comes on stdin.
    await printed('waiting');
    await waitFor('the octets before the wait', () => (got !== '' ? got : undefined));
    expect(got).toBe('a');
    srv.stdin!.write('go\n');
    await closed;
    expect(got).toBe('abc');
  } finally {
    srv.kill('SIGTERM');
  }
});
