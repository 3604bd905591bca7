import { fullGc } from './heap';

test('a full collection runs and frees garbage, without a global gc in the exporter scope', () => {
  // Garbage of some megabytes, then collected: the heap in use ends below where it was with it.
  let junk: { i: number; s: string }[] | null = Array.from({ length: 200_000 }, (_, i) => ({ i, s: `x${i}` }));
  const withJunk = process.memoryUsage().heapUsed;
  expect(junk.length).toBe(200_000);
  junk = null;
  const ms = fullGc();
  expect(ms).toBeGreaterThanOrEqual(0);
  expect(process.memoryUsage().heapUsed).toBeLessThan(withJunk - 5 * 1024 * 1024);
  expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
});
