import { DurationError, durationMs, durationSeconds, parseDuration } from './duration';

describe('durations', () => {
  test.each([
    ['500ms', 0.5],
    ['30s', 30],
    ['2m', 120],
    ['1.5h', 5400],
    ['1d', 86400],
  ])('%s is %d s', (text, seconds) => {
    expect(durationSeconds(text)).toBe(seconds);
    expect(durationMs(text)).toBe(seconds * 1000);
  });

  test('a plain number is seconds only where the reader allows it', () => {
    expect(durationSeconds('3')).toBeUndefined();
    expect(durationSeconds('3', { bareSeconds: true })).toBe(3);
    expect(durationMs('0.25', { bareSeconds: true })).toBe(250);
  });

  test('a reader may take fewer units', () => {
    expect(durationSeconds('2m', { units: ['ms', 's', 'm'] })).toBe(120);
    expect(durationSeconds('1h', { units: ['ms', 's', 'm'] })).toBeUndefined();
  });

  test.each(['', 's', '-1s', '1 s', '1e3s', '1w', '1sec', '.5s', '1.s', 'ms'])('%j is not a duration', (text) => {
    expect(durationSeconds(text, { bareSeconds: true })).toBeUndefined();
    expect(durationMs(text, { bareSeconds: true })).toBeUndefined();
  });

  test('whole milliseconds, rounded', () => {
    expect(durationMs('1.0004s')).toBe(1000);
    expect(durationMs('1.0005s')).toBe(1001);
  });

  test('parseDuration: the command line, blanks ignored, in a range, errors naming the flag', () => {
    expect(parseDuration(' 250ms ', '--x', 0, 1e9)).toBe(250);
    expect(parseDuration('3', '--x', 0, 1e9)).toBe(3000);
    expect(() => parseDuration('3x', '--x', 0, 1e9)).toThrow(DurationError);
    expect(() => parseDuration('3x', '--x', 0, 1e9)).toThrow('--x: "3x" is not a duration (examples: 500ms, 30s, 2m, 1h)');
    expect(() => parseDuration('2d', '--duration', 100, 86_400_000)).toThrow('--duration: 2d is out of range (100 ms to 24 h)');
  });
});
