import { describe, expect, it } from 'vitest';
import { PanGesture } from './map-pan.ts';

const at = (clientX: number, clientY: number, pointerId = 1) => ({ pointerId, clientX, clientY });

describe('PanGesture', () => {
  it('a press that barely moves stays a click', () => {
    const g = new PanGesture();
    g.down(at(100, 100));
    expect(g.move(at(102, 101))).toBeUndefined();
    g.up(at(102, 101));
    expect(g.takeClick()).toBe(true);
  });

  it('a drag pans by each step and swallows the click that ends it, once', () => {
    const g = new PanGesture();
    g.down(at(100, 100));
    expect(g.move(at(110, 100))).toEqual({ dx: 10, dy: 0, started: true });
    expect(g.panning).toBe(true);
    expect(g.move(at(115, 90))).toEqual({ dx: 5, dy: -10, started: false });
    g.up(at(115, 90));
    expect(g.panning).toBe(false);
    expect(g.takeClick()).toBe(false);
    expect(g.takeClick()).toBe(true);
  });

  it('ignores other pointers and buttons other than the main one', () => {
    const g = new PanGesture();
    g.down({ ...at(0, 0), button: 2 });
    expect(g.move(at(50, 50))).toBeUndefined();
    g.down(at(0, 0, 1));
    expect(g.move(at(50, 50, 2))).toBeUndefined();
  });
});
