import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';

describe('Backoff', () => {
  it('grows exponentially up to the cap, with jitter below the ceiling', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
  });

  it('never goes below half the initial delay, even with zero jitter', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    expect(b.next()).toBe(50);
  });

  it('starts over after reset', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999 });
    b.next();
    b.next();
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(99);
  });

  it('rejects impossible options with the values it got', () => {
    expect(() => new Backoff({ initialMs: 0, maxMs: 10 })).toThrow(/got 0 and 10/);
    expect(() => new Backoff({ initialMs: 100, maxMs: 10 })).toThrow(/got 100 and 10/);
  });
});
