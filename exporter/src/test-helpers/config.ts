/** What the config tests share: the smallest valid file, and the problems parseConfig reports. */
import { ConfigError, type ConfigProblem, parseConfig } from '../config';

/** The smallest valid file; tests add or replace top-level keys. */
export const MINIMAL_NFS = `
nfs:
  - name: smf-1
    type: SMF
    addresses: ["198.18.0.10"]
`;
export const minimal = (extra: string): string => `interfaces: [eth0]\n${MINIMAL_NFS}${extra}`;

/** The problems parseConfig reports for `text` (failing the test if it reports none). */
export function problemsOf(text: string): ConfigProblem[] {
  try {
    parseConfig(text, 'config.yaml', { hostname: 'test-host' });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

/** Asserts that `text` yields exactly one problem, at `path`, whose message matches. */
export function expectProblem(text: string, path: string, message: string | RegExp): void {
  const problems = problemsOf(text);
  expect(problems).toHaveLength(1);
  expect(problems[0].path).toBe(path);
  if (typeof message === 'string') expect(problems[0].message).toBe(message);
  else expect(problems[0].message).toMatch(message);
}
