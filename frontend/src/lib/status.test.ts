import { describe, expect, it } from 'vitest';
import { indicators, secondsUntil } from './status.ts';

describe('status indicators', () => {
  it('reports a retrying Hubble with its reason and when it tries again', () => {
    const status = {
      hubble: { state: 'retrying', lastError: 'connect ECONNREFUSED', retryInMs: 4200 },
      kubernetes: {
        state: 'degraded',
        lastError: 'Pod: 403 forbidden',
        resources: [{ retryInMs: 9000 }, {}, { retryInMs: 3000 }],
      },
    };
    const [hubble, kube, stream] = indicators(status, 10_000, { state: 'live' });
    expect(hubble).toEqual({
      id: 'hubble',
      state: 'retrying',
      health: 'bad',
      reason: 'connect ECONNREFUSED',
      retryAt: 14_200,
    });
    expect(kube).toMatchObject({ health: 'bad', reason: 'Pod: 403 forbidden', retryAt: 13_000 });
    expect(stream).toEqual({ id: 'stream', state: 'live', health: 'ok' });
    expect(secondsUntil(14_200, 10_000)).toBe(5);
    expect(secondsUntil(14_200, 20_000)).toBe(0);
  });

  it('says connecting before any status, and carries the stream retry', () => {
    const s = indicators(undefined, 0, { state: 'retrying', retryAt: 5000, reason: 'lost' });
    expect(s.map((i) => [i.state, i.health])).toEqual([
      ['connecting', 'pending'],
      ['connecting', 'pending'],
      ['retrying', 'bad'],
    ]);
    expect(s[2]).toMatchObject({ reason: 'lost', retryAt: 5000 });
    const off = indicators({ hubble: { state: 'stopped' }, kubernetes: { state: 'disabled' } }, 0, {
      state: 'live',
    });
    expect(off.map((i) => i.health)).toEqual(['off', 'off', 'ok']);
  });
});
