import { describe, expect, it } from 'vitest';
import { FlowHistory } from '../hubble/flow-history.ts';
import type { FlowRecord } from '../hubble/types.ts';
import { ReplayPacer } from './replay-pacer.ts';

const MS = 1_000_000n;
const recs: FlowRecord[] = [0, 100, 200, 1000, 60_000].map((ms, i) => ({
  flow: { uuid: `f${i}` },
  nodeName: 'n',
  timeNs: 1_000_000_000_000n * MS + BigInt(ms) * MS,
}));

function pacer(speed: number, extra: { loop?: boolean; maxGapMs?: number } = {}) {
  let now = 0;
  const history = new FlowHistory(100);
  const p = new ReplayPacer(recs, history, { speed, now: () => now, ...extra });
  return { p, history, at: (ms: number) => ((now = ms), p.tick()) };
}

describe('ReplayPacer', () => {
  it('plays at the original pace', () => {
    const { p, history, at } = pacer(1);
    p.start();
    expect(history.seen).toBe(1);
    at(150);
    expect(history.seen).toBe(2);
    at(1000);
    expect(history.seen).toBe(4);
    p.stop();
  });

  it('changes pace mid-replay without replaying or skipping anything', () => {
    const { p, history, at } = pacer(1);
    p.start();
    at(150); // 150 ms of recording at 1x
    expect(history.seen).toBe(2);
    p.setSpeed(10);
    expect(p.progress.speed).toBe(10);
    at(235); // + 850 ms of recording at 10x: 1000 ms in all
    expect(history.seen).toBe(4);
    p.setSpeed(Infinity);
    expect(history.seen).toBe(5);
    expect(() => p.setSpeed(0)).toThrow(/positive/);
  });

  it('plays faster by the speed factor', () => {
    const { p, history, at } = pacer(10);
    p.start();
    at(100); // 1000 ms of recording
    expect(history.seen).toBe(4);
    p.stop();
  });

  it('cuts long pauses short instead of waiting them out', () => {
    const { p, history, at } = pacer(1, { maxGapMs: 2000 });
    p.start();
    at(1000);
    expect(history.seen).toBe(4);
    at(1050); // skips to 2 s before the next flow
    at(3100);
    expect(history.seen).toBe(5);
    expect(p.progress).toMatchObject({ played: 5, total: 5, done: true });
  });

  it('pushes everything at once at infinite speed', () => {
    const { p, history } = pacer(Infinity);
    p.start();
    expect(history.seen).toBe(5);
  });

  it('loops when asked', () => {
    const { p, history, at } = pacer(1000, { loop: true });
    p.start();
    at(100);
    at(200);
    expect(history.seen).toBeGreaterThan(5);
    expect(p.progress.loops).toBeGreaterThanOrEqual(1);
    p.stop();
  });

  it('rejects a speed that is not positive', () => {
    expect(() => new ReplayPacer(recs, new FlowHistory(1), { speed: 0 })).toThrow(
      'replay speed must be positive, got 0',
    );
  });
});
