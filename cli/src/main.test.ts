/**
 * The `nfscope` command as a user runs it: the bin under node, each
 * subcommand loaded from its package. Nothing here needs root (no subcommand
 * gets as far as the kernel).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { COMMANDS, loadEntry, MissingPackage } from './main';

const REPO = path.resolve(__dirname, '../..');
const NFSCOPE = path.join(REPO, 'cli/bin/nfscope.js');
const EXPORTER_ALIAS = path.join(REPO, 'exporter/bin/nfscope-exporter.js');

function nfscope(args: string[], bin = NFSCOPE): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NFSCOPE_TOKEN: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const built =
  fs.existsSync(path.join(REPO, 'cli/dist/main.js')) &&
  fs.existsSync(path.join(REPO, 'exporter/dist/main.js')) &&
  fs.existsSync(path.join(REPO, 'top/dist/top.js')) &&
  fs.existsSync(path.join(REPO, 'sim/dist/cli.js'));
// The bin runs the built packages; CI builds them first (scripts/setup.sh).
const describeBuilt = built || process.env.CI === 'true' ? describe : describe.skip;

describeBuilt('nfscope', () => {
  test('--help lists every subcommand with its summary', () => {
    const r = nfscope(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage: nfscope <command>/);
    for (const c of COMMANDS) expect(r.out).toMatch(new RegExp(`^ {2}${c.name}(\\n| )`, 'm'));
    expect(COMMANDS.map((c) => c.name)).toEqual(['exporter', 'check-config', 'remove-datapath', 'top', 'testbed', 'remove-testbed']);
    expect(nfscope([]).out).toBe(r.out);
    expect(nfscope(['help']).out).toBe(r.out);
  });

  test('an unknown subcommand: exit 2, naming it', () => {
    const r = nfscope(['tpo']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^nfscope: unknown command "tpo"\nusage: nfscope <command>/);
  });

  test.each([
    ['exporter', 'usage: nfscope exporter --config FILE', ['--listen', '--check-config', '--detach-on-exit', '--remove-datapath', '--pin-dir', '--version']],
    ['check-config', 'usage: nfscope check-config --config FILE', ['--config']],
    ['remove-datapath', 'usage: nfscope remove-datapath [--config FILE | --pin-dir DIR]', ['--config', '--pin-dir']],
    ['top', 'usage: nfscope top [--url URL]', ['--window', '--scope', '--token-file', '--once']],
    ['testbed', 'usage: nfscope testbed [--duration 30s]', ['--scenario', '--seed', '--record', '--config-out', '--down']],
    ['remove-testbed', 'usage: nfscope remove-testbed ID', []],
  ])('%s --help: its usage, exit 0; also as -h and through "nfscope help"', (cmd, head, options) => {
    const r = nfscope([cmd, '--help']);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(r.out.startsWith(head)).toBe(true);
    for (const o of [...options, '--help']) expect(r.out).toContain(o);
    expect(nfscope([cmd, '-h']).out).toBe(r.out);
    expect(nfscope(['help', cmd]).out).toBe(r.out);
  });

  test.each([
    ['exporter', ['--config', 'c.yaml', '--verbose'], 'nfscope exporter: unknown argument "--verbose"'],
    ['exporter', ['--config'], 'nfscope exporter: --config needs a value'],
    ['exporter', ['--check-config=yes', '--config', 'c.yaml'], 'nfscope exporter: --check-config takes no value'],
    ['check-config', [], 'nfscope check-config: --config FILE is required'],
    ['check-config', ['--config', 'c.yaml', '--listen', ':1'], 'nfscope check-config: unknown argument "--listen"'],
    ['remove-datapath', ['--pin-dir'], 'nfscope remove-datapath: --pin-dir needs a value'],
    ['remove-datapath', ['--pin-dir', 'rel'], 'nfscope remove-datapath: --pin-dir: "rel" is not an absolute path'],
    ['remove-datapath', ['--config', 'c.yaml', '--pin-dir', '/sys/fs/bpf/x'], 'nfscope remove-datapath: --config FILE or --pin-dir DIR, not both'],
    ['top', ['--colour'], 'nfscope top: unknown argument "--colour"'],
    ['top', ['--window'], 'nfscope top: --window needs a value'],
    ['top', ['--once=1'], 'nfscope top: --once takes no value'],
    ['testbed', ['--keep', 'extra'], 'nfscope testbed: unknown argument "extra"'],
    ['testbed', ['--duration'], 'nfscope testbed: --duration needs a value'],
    ['remove-testbed', [], 'nfscope remove-testbed: ID is required: the six hex digits printed when the testbed was created'],
    ['remove-testbed', ['xyz'], 'nfscope remove-testbed: "xyz" is not a testbed id (six hex digits, as printed when it was created)'],
    ['remove-testbed', ['abcdef', '012345'], 'nfscope remove-testbed: unknown argument "012345"'],
    ['remove-testbed', ['abcdef', '--keep'], 'nfscope remove-testbed: unknown argument "--keep"'],
  ])('%s %j: exit 2, %s', (cmd, args, message) => {
    const r = nfscope([cmd, ...args]);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(message);
    expect(r.out).toBe('');
  });

  describe('the older spellings', () => {
    let dir: string;
    let valid: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-cli-'));
      valid = path.join(dir, 'c.yaml');
      fs.writeFileSync(valid, 'interfaces: ["nfscope-none-*"]\nnfs:\n  - { name: upf-1, type: UPF, addresses: ["198.18.0.2"] }\n');
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('nfscope-exporter is nfscope exporter: the same usage under its own name, the same errors', () => {
      const alias = nfscope(['--help'], EXPORTER_ALIAS);
      expect(alias.code).toBe(0);
      expect(alias.out.startsWith('usage: nfscope-exporter --config FILE')).toBe(true);
      expect(alias.out.replaceAll('nfscope-exporter', 'nfscope exporter')).toBe(nfscope(['exporter', '--help']).out);
      const bad = nfscope(['--config', valid, '--verbose'], EXPORTER_ALIAS);
      expect({ code: bad.code, line: bad.err.split('\n')[0] }).toEqual({ code: 2, line: 'nfscope-exporter: unknown argument "--verbose"' });
      expect(nfscope(['--version'], EXPORTER_ALIAS).out).toBe(nfscope(['exporter', '--version']).out);
    });

    test('--check-config, on nfscope exporter and nfscope-exporter, is nfscope check-config', () => {
      const want = { code: 0, out: `${valid}: ok (1 NFs, interfaces nfscope-none-*)\n`, err: '' };
      expect(nfscope(['check-config', '--config', valid])).toEqual(want);
      expect(nfscope(['exporter', '--config', valid, '--check-config'])).toEqual(want);
      expect(nfscope(['--check-config', '--config', valid], EXPORTER_ALIAS)).toEqual(want);
      fs.writeFileSync(path.join(dir, 'bad.yaml'), 'nsf: []\n');
      const bad = nfscope(['check-config', '--config', path.join(dir, 'bad.yaml')]);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain(`${path.join(dir, 'bad.yaml')}: nsf: unknown key "nsf"`);
    });

    test('--remove-datapath is nfscope remove-datapath (a directory that holds none: nothing to remove)', () => {
      const none = path.join(dir, 'no-pins');
      const want = { code: 0, out: `no datapath pinned in ${none}: nothing to remove\n`, err: '' };
      expect(nfscope(['remove-datapath', '--pin-dir', none])).toEqual(want);
      expect(nfscope(['exporter', '--remove-datapath', '--pin-dir', none])).toEqual(want);
      expect(nfscope(['--remove-datapath', '--pin-dir', none], EXPORTER_ALIAS)).toEqual(want);
    });
  });

  test('a subcommand whose package is not installed names the package to install', () => {
    // @nfscope/cli alone in a node_modules of its own, as `npm install @nfscope/cli` leaves it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfscope-cli-alone-'));
    try {
      const pkg = path.join(dir, 'node_modules/@nfscope/cli');
      fs.mkdirSync(pkg, { recursive: true });
      for (const f of ['package.json', 'bin', 'dist']) fs.cpSync(path.join(REPO, 'cli', f), path.join(pkg, f), { recursive: true });
      const bin = path.join(pkg, 'bin/nfscope.js');
      expect(nfscope(['--help'], bin).code).toBe(0);
      for (const [cmd, name] of [
        ['top', '@nfscope/top'],
        ['exporter', '@nfscope/exporter'],
        ['check-config', '@nfscope/exporter'],
        ['testbed', '@nfscope/sim'],
      ]) {
        const r = nfscope([cmd, '--help'], bin);
        expect({ cmd, code: r.code, err: r.err }).toEqual({ cmd, code: 1, err: `nfscope: "nfscope ${cmd}" needs the package ${name}, which is not installed: npm install ${name}\n` });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loadEntry', () => {
  const top = COMMANDS.find((c) => c.name === 'top')!;
  const missing = (spec: string) => Object.assign(new Error(`Cannot find module '${spec}'\nRequire stack:\n- x.js`), { code: 'MODULE_NOT_FOUND' });

  test('a package that is missing is named; a package that fails to load is not taken for a missing one', () => {
    expect(() =>
      loadEntry(top, (m) => {
        throw missing(m);
      }),
    ).toThrow(MissingPackage);
    // The package is there but one of its own dependencies is not: that error, unchanged.
    expect(() =>
      loadEntry(top, () => {
        throw missing('yaml');
      }),
    ).toThrow("Cannot find module 'yaml'");
    expect(() => loadEntry(top, () => ({}))).toThrow('@nfscope/top has no topMain()');
    const f = async () => 0;
    expect(loadEntry(top, (m) => (m === '@nfscope/top' ? { topMain: f } : {}))).toBe(f);
  });
});
