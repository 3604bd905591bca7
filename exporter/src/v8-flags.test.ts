import { missingStartFlags, SEMI_SPACE_MIB, START_FLAGS } from './v8-flags';

describe('start flags', () => {
  test('the semi-space size, unless the command line or NODE_OPTIONS gives one', () => {
    expect(START_FLAGS).toEqual([`--max-semi-space-size=${SEMI_SPACE_MIB}`]);
    expect(missingStartFlags([], '')).toEqual([`--max-semi-space-size=${SEMI_SPACE_MIB}`]);
    expect(missingStartFlags(['--max-semi-space-size=8'], '')).toEqual([]);
    expect(missingStartFlags([], '--inspect --max_semi_space_size=4')).toEqual([]);
  });
});
