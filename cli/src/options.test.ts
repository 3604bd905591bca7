import { durationOption, parseCommandLine, parseOptions, UsageError } from './options';

const TABLE = { config: { type: 'string' }, seed: { type: 'string' }, keep: { type: 'boolean' } } as const;

describe('parseOptions', () => {
  test('--flag value, --flag=value, booleans; the last value wins', () => {
    expect(parseOptions(['--config', 'a.yaml', '--keep'], TABLE)).toEqual({ config: 'a.yaml', keep: true });
    expect(parseOptions(['--config=b.yaml', '--config', 'c.yaml'], TABLE)).toEqual({ config: 'c.yaml' });
    expect(parseOptions([], TABLE)).toEqual({});
  });

  test('a value may begin with one dash (a negative number is a bad seed, not a missing one)', () => {
    expect(parseOptions(['--seed', '-1'], TABLE)).toEqual({ seed: '-1' });
  });

  test.each([
    [['--verbose'], 'unknown argument "--verbose"'],
    [['-x'], 'unknown argument "-x"'],
    [['--config', 'a.yaml', 'extra'], 'unknown argument "extra"'],
    [['--', '--config', 'a'], 'unknown argument "--"'],
    [['--config'], '--config needs a value'],
    [['--config='], '--config needs a value'],
    [['--config', ''], '--config needs a value'],
    [['--config', '--keep'], '--config needs a value'],
    [['--keep=yes'], '--keep takes no value'],
    [['--help=x'], '--help takes no value'],
  ])('%j: %s', (argv, message) => {
    expect(() => parseOptions(argv, TABLE)).toThrow(UsageError);
    expect(() => parseOptions(argv, TABLE)).toThrow(message);
  });

  test('-h and --help, where they come before a mistake', () => {
    expect(parseOptions(['-h'], TABLE)).toBe('help');
    expect(parseOptions(['--config', 'a.yaml', '--help'], TABLE)).toBe('help');
    expect(parseOptions(['--help', '--verbose'], TABLE)).toBe('help');
    expect(() => parseOptions(['--verbose', '--help'], TABLE)).toThrow('unknown argument "--verbose"');
  });

  test('a name that is not an option of the table, even one of Object.prototype', () => {
    expect(() => parseOptions(['--constructor'], TABLE)).toThrow('unknown argument "--constructor"');
    expect(() => parseOptions(['--toString=x'], TABLE)).toThrow('unknown argument "--toString"');
  });
});

describe('parseCommandLine', () => {
  test('up to as many arguments that are no options as the command takes, in order', () => {
    expect(parseCommandLine(['abcdef'], TABLE, 1)).toEqual({ options: {}, positionals: ['abcdef'] });
    expect(parseCommandLine(['--keep', 'a', 'b'], TABLE, 2)).toEqual({ options: { keep: true }, positionals: ['a', 'b'] });
    expect(parseCommandLine([], TABLE, 1)).toEqual({ options: {}, positionals: [] });
    expect(() => parseCommandLine(['a', 'b'], TABLE, 1)).toThrow('unknown argument "b"');
    expect(() => parseCommandLine(['a', '--verbose'], TABLE, 1)).toThrow('unknown argument "--verbose"');
    expect(parseCommandLine(['a', '-h'], TABLE, 1)).toBe('help');
  });
});

describe('durationOption', () => {
  test('milliseconds, or a UsageError naming the flag', () => {
    expect(durationOption('1.5s', '--window', 0, 10_000)).toBe(1500);
    expect(() => durationOption('5x', '--window', 0, 10_000)).toThrow(UsageError);
    expect(() => durationOption('5x', '--window', 0, 10_000)).toThrow('--window: "5x" is not a duration (examples: 500ms, 30s, 2m, 1h)');
    expect(() => durationOption('11s', '--window', 1000, 10_000)).toThrow('--window: 11s is out of range (1000 ms to 0.002777777777777778 h)');
  });
});
