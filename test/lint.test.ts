/**
 * The linters and formatters over the tree, as `npm run lint` and `npm run format:check` run them:
 * ESLint (eslint.config.mjs) and prettier (.prettierrc) on the TypeScript, clang-format
 * (.clang-format) on the C. Each test names every finding when it fails; each first checks that
 * its tool reports a finding it must, so that a config that silently checks nothing fails too.
 * No root needed.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { REPO } from './lib/env';

const BIN = path.join(REPO, 'node_modules/.bin');

function run(cmd: string, args: string[], input?: string) {
  const r = spawnSync(cmd, args, { cwd: REPO, input, encoding: 'utf8', maxBuffer: 64 * 2 ** 20, timeout: 170_000 });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

interface EslintFile {
  filePath: string;
  messages: Array<{ ruleId: string | null; line: number; column: number; message: string; severity: number }>;
}

const findings = (files: EslintFile[]) => files.flatMap((f) => f.messages.map((m) => `${path.relative(REPO, f.filePath)}:${m.line}:${m.column} ${m.ruleId ?? ''} ${m.message}`));

describe('linters over the tree', () => {
  test('eslint: no findings in the TypeScript of every package', () => {
    // The config is live: an unused variable in an exporter source is a finding.
    const probe = run(path.join(BIN, 'eslint'), ['--stdin', '--stdin-filename', 'exporter/src/lint-probe.ts', '-f', 'json'], 'export const a = 1;\nconst unused = 2;\n');
    expect(findings(JSON.parse(probe.out) as EslintFile[])).toEqual([expect.stringContaining('@typescript-eslint/no-unused-vars')]);

    const r = run(path.join(BIN, 'eslint'), ['.', '-f', 'json']);
    const files = JSON.parse(r.out) as EslintFile[];
    const linted = new Set(files.map((f) => path.relative(REPO, f.filePath)));
    // Every package is linted, not only some.
    for (const f of [
      'api/src/index.ts',
      'exporter/src/main.ts',
      'plugin/src/datasource.ts',
      'plugin/src/components/QueryEditor.tsx',
      'plugin/test-host/host.tsx',
      'plugin/test-host/panels/heatmap.tsx',
      'cli/src/options.ts',
      'top/src/top.ts',
      'test/lib/env.ts',
      'bench/datapath.ts',
    ])
      expect(linted).toContain(f);
    expect(linted.size).toBeGreaterThan(150);
    expect(findings(files)).toEqual([]);
    expect(r.status).toBe(0);
  }, 180_000);

  test('prettier: the TypeScript is formatted as .prettierrc says', () => {
    // The config is live: double quotes and a missing semicolon are rewritten.
    const probe = run(path.join(BIN, 'prettier'), ['--stdin-filepath', 'exporter/src/lint-probe.ts'], 'export const a = "x"\n');
    expect(probe.out).toBe("export const a = 'x';\n");

    const r = run('bash', ['scripts/format.sh', '--check', 'ts']);
    // prettier names each file that would change ("[warn] path"); `npm run format` rewrites them.
    expect(r.out.split('\n').filter((l) => l.startsWith('[warn]'))).toEqual([]);
    expect(r.status).toBe(0);
  }, 180_000);

  test('clang-format: the C is formatted as .clang-format says', () => {
    // The config is live: a function brace on the signature's line moves to its own line (kernel style).
    const probe = run('clang-format', ['--assume-filename=bpf/lint-probe.c'], 'static int f(void) {\n\treturn 0;\n}\n');
    expect(probe.out).toBe('static int f(void)\n{\n\treturn 0;\n}\n');

    const r = run('bash', ['scripts/format.sh', '--check', 'c']);
    // clang-format --dry-run names file:line:column of each change.
    expect(r.out.split('\n').filter((l) => /error|warning/.test(l))).toEqual([]);
    expect(r.status).toBe(0);
  }, 180_000);
});
