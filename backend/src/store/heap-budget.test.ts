import { describe, expect, it } from 'vitest';
import {
  growingPercent,
  HeapBudget,
  MAX_GROWING_PERCENT,
  MIN_GROWING_PERCENT,
} from './heap-budget.ts';

const MiB = 1024 * 1024;

describe('growingPercent', () => {
  it('allows at most twice the live set, however far the budget is', () => {
    expect(growingPercent(60 * MiB, 320 * MiB)).toBe(MAX_GROWING_PERCENT);
    expect(growingPercent(0, 320 * MiB)).toBe(MAX_GROWING_PERCENT);
  });

  it('puts the next collection at the budget when the live set is larger', () => {
    expect(growingPercent(200 * MiB, 320 * MiB)).toBe(60);
    expect(growingPercent(181 * MiB, 320 * MiB)).toBe(76);
  });

  it('keeps some room over a live set at or past the budget, so collections do not thrash', () => {
    expect(growingPercent(310 * MiB, 320 * MiB)).toBe(MIN_GROWING_PERCENT);
    expect(growingPercent(900 * MiB, 320 * MiB)).toBe(MIN_GROWING_PERCENT);
  });
});

describe('HeapBudget', () => {
  it('refuses a budget that is not positive', () => {
    expect(() => new HeapBudget(0)).toThrow('heap budget must be positive, got 0');
  });

  it('reports its budget and stops watching', () => {
    const b = new HeapBudget(320 * MiB);
    expect(b.status).toMatchObject({ budgetBytes: 320 * MiB, growingPercent: 100 });
    b.stop();
  });
});
