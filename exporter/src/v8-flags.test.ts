import { applyV8Flags, SEMI_SPACE_MIB } from './v8-flags';

describe('applyV8Flags', () => {
  test('sets the semi-space size unless the command line or NODE_OPTIONS gives one', () => {
    expect(applyV8Flags([], '')).toEqual([`--max-semi-space-size=${SEMI_SPACE_MIB}`]);
    expect(applyV8Flags(['--max-semi-space-size=8'], '')).toEqual([]);
    expect(applyV8Flags([], '--inspect --max_semi_space_size=4')).toEqual([]);
  });
});
