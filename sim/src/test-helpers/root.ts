/**
 * Gate for tests that need root (network namespaces): outside CI they skip
 * when run as another user; with CI=true they fail with the reason instead.
 */
import { spawnSync } from 'child_process';

export function rootProblem(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, veth pairs, a bridge)';
  if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0) return 'ip (iproute2) is not installed';
  return null;
}

export function describeRoot(name: string, fn: () => void): void {
  const problem = rootProblem();
  if (!problem) describe(name, fn);
  else if (process.env.CI === 'true') {
    describe(name, () => {
      test('prerequisites', () => {
        throw new Error(`cannot run in CI: ${problem}`);
      });
    });
  } else describe.skip(`${name} (skipped: ${problem})`, fn);
}
