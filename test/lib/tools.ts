/**
 * External programs some tests run (promtool, prometheus, docker-compose,
 * python3 with the Kubernetes client). scripts/setup.sh installs them; a test
 * whose tool is missing skips outside CI and fails with CI=true, through the
 * same gate as the root tests (env.ts, describeGated).
 */
import { spawnSync } from 'child_process';
import { describeGated } from './env';

/** Full path of a command on PATH, or null. */
export function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** describe() for tests that need these commands (and, when given, a check that they work: null for fine, else what is wrong). */
export function describeWithTools(name: string, tools: string[], fn: () => void, check?: () => string | null): void {
  const missing = tools.filter((t) => !which(t));
  const problem = missing.length > 0 ? `${missing.join(', ')} not installed (scripts/setup.sh installs them)` : (check?.() ?? null);
  describeGated(name, problem, fn);
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion with a time limit; never throws. */
export function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, encoding: 'utf8', timeout: opts.timeoutMs ?? 60000, input: opts.input, env: opts.env });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}
