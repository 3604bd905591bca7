/**
 * The subcommands that act on the machine, through the `nfscope` command as
 * a user runs it: a testbed left up by `nfscope testbed --keep` is removed by
 * `nfscope remove-testbed ID`, and by its older spelling `nfscope testbed
 * --down ID`, each leaving no namespace or interface behind.
 */
import { spawnSync } from 'child_process';
import { Testbed } from '../sim/src';
import { describeRoot, NFSCOPE_BIN } from './lib/env';

function nfscope(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [NFSCOPE_BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** `nfscope testbed --keep` with as little traffic as it runs; the id of the testbed it left up. */
function keptTestbed(): string {
  const r = nfscope(['testbed', '--duration', '100ms', '--keep', '--quiet']);
  expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
  const m = /^testbed ([0-9a-f]{6}) is still up \(no traffic\); .*; remove it with: nfscope remove-testbed \1$/m.exec(r.out);
  expect(m).not.toBeNull();
  return m![1];
}

describeRoot('nfscope remove-testbed (root)', () => {
  const made: string[] = [];
  afterAll(() => {
    for (const id of made) Testbed.destroyById(id);
  });

  test.each([
    ['remove-testbed', (id: string) => ['remove-testbed', id]],
    ['testbed --down', (id: string) => ['testbed', '--down', id]],
  ])(
    'nfscope %s removes what testbed --keep left up',
    (_name, argv) => {
      const id = keptTestbed();
      made.push(id);
      const up = Testbed.existingNames(id);
      // Nine NF namespaces, their host-side veths and the bridge.
      expect(up.filter((x) => x.startsWith(`nfsim-${id}-`))).toHaveLength(9);
      expect(up.length).toBeGreaterThanOrEqual(19);
      const r = nfscope(argv(id));
      expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
      expect(r.out).toMatch(new RegExp(`^removed testbed ${id}: `));
      expect(Testbed.existingNames(id)).toEqual([]);
      // Once removed, there is no such testbed: exit 1, naming it.
      const again = nfscope(argv(id));
      expect(again.code).toBe(1);
      expect(again.err).toMatch(new RegExp(`: no testbed ${id} here\\n$`));
    },
    60000,
  );
});
