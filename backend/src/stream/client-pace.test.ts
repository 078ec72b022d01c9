import { describe, expect, it } from 'vitest';
import { deltaBytes, MAX_SAMPLE_EVERY, Sampler, SubscribeBudget } from './client-pace.ts';

describe('SubscribeBudget', () => {
  it('allows a burst, then one per interval as tokens refill', () => {
    const b = new SubscribeBudget(3, 200, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.waitMs()).toBe(200);
    expect(b.take(100)).toBe(false);
    expect(b.waitMs()).toBe(100);
    expect(b.take(200)).toBe(true);
  });

  it('never saves up more than the burst', () => {
    const b = new SubscribeBudget(2, 200, 0);
    expect(b.take(60_000)).toBe(true);
    expect(b.take(60_000)).toBe(true);
    expect(b.take(60_000)).toBe(false);
  });
});

describe('Sampler', () => {
  it('doubles at most once a second, up to its cap', () => {
    const s = new Sampler();
    expect(s.raise(1000)).toBe(true);
    expect(s.raise(1500)).toBe(false);
    expect(s.every).toBe(2);
    for (let t = 2000; s.raise(t); t += 1000);
    expect(s.every).toBe(MAX_SAMPLE_EVERY);
  });

  it('halves after a calm second and says when every row flows again', () => {
    const s = new Sampler();
    s.raise(1000);
    s.raise(2000);
    expect(s.every).toBe(4);
    const tick = 100;
    const relaxations: boolean[] = [];
    for (let i = 0; i < 10; i++) relaxations.push(s.relax(true, tick));
    expect(s.every).toBe(2);
    expect(relaxations.every((r) => r === false)).toBe(true);
    // A busy tick starts the calm second again.
    for (let i = 0; i < 9; i++) s.relax(true, tick);
    s.relax(false, tick);
    expect(s.every).toBe(2);
    let ended = false;
    for (let i = 0; i < 10; i++) ended = s.relax(true, tick);
    expect(ended).toBe(true);
    expect(s.every).toBe(1);
  });

  it('keeps one in N across calls, so short ticks are not always sampled at their head', () => {
    const s = new Sampler();
    s.raise(1000);
    s.raise(2000);
    const rows = ['a', 'b', 'c'];
    expect([...s.pick(rows), ...s.pick(rows)]).toEqual(['a', 'b']);
  });
});

describe('deltaBytes', () => {
  it('is the JSON of a delta message, naming skipped rows and sampling only when present', () => {
    const rows = [
      Buffer.from(JSON.stringify({ seq: 1, flow: { id: 'x', name: '한국어' } })),
      Buffer.from(JSON.stringify({ seq: 2, flow: { id: 'y' } })),
    ];
    const map = JSON.stringify({ nodes: {}, edges: {} });
    const one = deltaBytes({ rows, mapJson: map, skipped: 0, sampleEvery: 1 });
    expect(JSON.parse(one.toString('utf8'))).toEqual({
      type: 'delta',
      flows: [
        { seq: 1, flow: { id: 'x', name: '한국어' } },
        { seq: 2, flow: { id: 'y' } },
      ],
      map: { nodes: {}, edges: {} },
    });
    const full = JSON.parse(
      deltaBytes({
        rows: [],
        mapJson: map,
        mapSnapshotJson: '{"nodes":[]}',
        skipped: 7,
        sampleEvery: 4,
      }).toString('utf8'),
    ) as Record<string, unknown>;
    expect(full).toMatchObject({ skipped: 7, sampleEvery: 4, mapSnapshot: { nodes: [] } });
  });
});
