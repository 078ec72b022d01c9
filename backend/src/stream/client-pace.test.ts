import { describe, expect, it } from 'vitest';
import {
  deltaBytes,
  MAX_SAMPLE_EVERY,
  NewestRows,
  PendingRow,
  Sampler,
  SubscribeBudget,
} from './client-pace.ts';

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

describe('NewestRows', () => {
  it('keeps every row up to its cap, in order', () => {
    const r = new NewestRows<number>(3);
    r.push(1);
    r.push(2);
    expect(r.take()).toEqual({ rows: [1, 2], overflow: 0 });
    expect(r.take()).toEqual({ rows: [], overflow: 0 });
  });

  it('over its cap keeps the newest rows, oldest first, and counts the rest', () => {
    const r = new NewestRows<number>(3);
    for (let i = 1; i <= 8; i++) r.push(i);
    expect(r.length).toBe(3);
    expect(r.take()).toEqual({ rows: [6, 7, 8], overflow: 5 });
    // Taking empties it: the next tick starts afresh.
    for (let i = 9; i <= 12; i++) r.push(i);
    expect(r.take()).toEqual({ rows: [10, 11, 12], overflow: 1 });
    r.push(13);
    r.clear();
    expect(r.take()).toEqual({ rows: [], overflow: 0 });
  });

  it('keeps the same flows in every view that matched them alike', () => {
    // Two views over one stream, one matching every flow and one every other: a flow the
    // narrow view keeps is kept by the wide one whenever it is recent enough for both.
    const wide = new NewestRows<PendingRow<number>>(4);
    const narrow = new NewestRows<PendingRow<number>>(4);
    const rows = Array.from({ length: 10 }, (_, i) => new PendingRow(i, i));
    for (const row of rows) {
      wide.push(row);
      if (row.seq % 2 === 0) narrow.push(row);
    }
    const w = wide.take().rows;
    const n = narrow.take().rows;
    expect(w.map((r) => r.seq)).toEqual([6, 7, 8, 9]);
    expect(n.map((r) => r.seq)).toEqual([2, 4, 6, 8]);
    // Shared rows are the same objects, so their bytes are encoded once.
    expect(w[0]).toBe(n[2]);
    expect(w[0]!.bytes).toBe(n[2]!.bytes);
  });
});

describe('PendingRow', () => {
  it('encodes a row once, on first use, as the stream sends it', () => {
    const flow = { id: 'x', name: '<b>한국어</b>' };
    const row = new PendingRow(7, flow);
    const bytes = row.bytes;
    expect(JSON.parse(bytes.toString('utf8'))).toEqual({ seq: 7, flow });
    expect(row.bytes).toBe(bytes);
  });
});
