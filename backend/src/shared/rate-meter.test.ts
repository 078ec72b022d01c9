import { describe, expect, it } from 'vitest';
import { RateMeter } from './rate-meter.ts';

describe('RateMeter', () => {
  it('averages full seconds and ignores the second still filling', () => {
    let now = 100_000;
    const m = new RateMeter(5, () => now);
    for (let s = 0; s < 4; s++) {
      m.mark(10);
      now += 1000;
    }
    m.mark(1000); // the current second: not counted yet
    expect(m.perSecond()).toBe(10);
  });

  it('drops seconds that fell out of the window', () => {
    let now = 0;
    const m = new RateMeter(5, () => now);
    m.mark(100);
    now += 60_000;
    expect(m.perSecond()).toBe(0);
  });
});
