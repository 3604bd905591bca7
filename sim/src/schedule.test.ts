import { atRate, everyMs } from './schedule';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('schedule', () => {
  test('keeps a rate above the timer resolution on average', async () => {
    let n = 0;
    const t = atRate(2000, () => n++);
    await wait(500);
    t.stop();
    // 1000 due after 500 ms; allow for a slow, shared test machine.
    expect(n).toBeGreaterThan(850);
    expect(n).toBeLessThanOrEqual(1010);
    const after = n;
    await wait(50);
    expect(n).toBe(after);
  });

  test('intervals: first call after one interval; 0 means never', async () => {
    let n = 0;
    const t = everyMs(40, () => n++);
    await wait(20);
    expect(n).toBe(0);
    await wait(120);
    t.stop();
    expect(n).toBeGreaterThanOrEqual(2);
    expect(n).toBeLessThanOrEqual(4);
    let m = 0;
    everyMs(0, () => m++);
    atRate(0, () => m++);
    await wait(20);
    expect(m).toBe(0);
  });
});
