import { describe, expect, it } from 'vitest';
import { rowWindow } from './window.ts';

describe('rowWindow', () => {
  it('draws only the rows in view plus a margin, with spacers for the rest', () => {
    expect(rowWindow(100_000, 0, 440, 22)).toEqual({
      start: 0,
      end: 30,
      top: 0,
      bottom: (100_000 - 30) * 22,
    });
    const w = rowWindow(100_000, 22 * 50_000, 440, 22);
    expect(w.start).toBe(49_990);
    expect(w.end).toBe(50_030);
    expect(w.top + (w.end - w.start) * 22 + w.bottom).toBe(100_000 * 22);
  });

  it('stays inside the list at the ends and when empty', () => {
    expect(rowWindow(5, 10_000, 440, 22)).toMatchObject({ start: 4, end: 5 });
    expect(rowWindow(0, 0, 440, 22)).toEqual({ start: 0, end: 0, top: 0, bottom: 0 });
  });
});
