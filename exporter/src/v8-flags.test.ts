import * as fs from 'fs';
import * as path from 'path';
import { missingStartEnv, missingStartFlags, SEMI_SPACE_MIB, START_ENV, START_FLAGS } from './v8-flags';

describe('start flags', () => {
  test('the semi-space size, unless the command line or NODE_OPTIONS gives one', () => {
    expect(START_FLAGS).toEqual([`--max-semi-space-size=${SEMI_SPACE_MIB}`]);
    expect(missingStartFlags([], '')).toEqual([`--max-semi-space-size=${SEMI_SPACE_MIB}`]);
    expect(missingStartFlags(['--max-semi-space-size=8'], '')).toEqual([]);
    expect(missingStartFlags([], '--inspect --max_semi_space_size=4')).toEqual([]);
  });

  test('one malloc arena, unless the environment gives a number', () => {
    expect(START_ENV).toEqual({ MALLOC_ARENA_MAX: '1' });
    expect(missingStartEnv({})).toEqual(['MALLOC_ARENA_MAX=1']);
    expect(missingStartEnv({ MALLOC_ARENA_MAX: '4' })).toEqual([]);
  });

  test('the bin script and the Dockerfile start node with both', () => {
    const repo = path.resolve(__dirname, '../..');
    // `nfscope` (which runs `nfscope exporter`) and its older name nfscope-exporter.
    for (const bin of ['cli/bin/nfscope.js', 'exporter/bin/nfscope-exporter.js']) {
      const shebang = fs.readFileSync(path.join(repo, bin), 'utf8').split('\n')[0];
      expect({ bin, shebang }).toEqual({ bin, shebang: `#!/usr/bin/env -S ${missingStartEnv({}).join(' ')} node ${START_FLAGS.join(' ')}` });
    }
    const docker = fs.readFileSync(path.join(repo, 'Dockerfile'), 'utf8');
    for (const [k, v] of Object.entries(START_ENV)) expect(docker).toMatch(new RegExp(`^ENV ${k}=${v}$`, 'm'));
    expect(docker).toContain(`ENTRYPOINT ["node", ${START_FLAGS.map((f) => JSON.stringify(f)).join(', ')}, "/opt/nfscope/cli/bin/nfscope.js", "exporter"]`);
    // docker-compose replaces the entrypoint (it waits for the simulator's config) and keeps the image's ENV.
    const compose = fs.readFileSync(path.join(repo, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain(`exec node ${START_FLAGS.join(' ')} /opt/nfscope/cli/bin/nfscope.js exporter`);
  });
});
