import { describe, expect, it } from 'vitest';
import { formatTimeNs, nsToTimestamp, parseTimeNs, timestampToNs } from './time.ts';

describe('time', () => {
  it.each([
    ['2026-11-22T10:00:00Z', 1795341600000000000n],
    ['2026-11-22T10:00:00.5Z', 1795341600500000000n],
    ['2026-11-22T10:00:00.123456789Z', 1795341600123456789n],
    ['2026-11-22T19:00:00.000000001+09:00', 1795341600000000001n],
  ])('parses %s to nanoseconds', (text, ns) => {
    expect(parseTimeNs(text)).toBe(ns);
  });

  it.each(['', 'yesterday', '2026-11-22 10:00:00Z', '2026-11-22T10:00:00.1234567890Z'])(
    'rejects %j',
    (text) => expect(parseTimeNs(text)).toBeUndefined(),
  );

  it.each([
    [1795341600000000000n, '2026-11-22T10:00:00Z'],
    [1795341600500000000n, '2026-11-22T10:00:00.500Z'],
    [1795341600123450000n, '2026-11-22T10:00:00.123450Z'],
    [1795341600123456789n, '2026-11-22T10:00:00.123456789Z'],
  ])('formats %s like protojson: %s', (ns, text) => {
    expect(formatTimeNs(ns)).toBe(text);
  });

  it('round-trips through protobuf Timestamp form', () => {
    const ns = 1795341600123456789n;
    expect(nsToTimestamp(ns)).toEqual({ seconds: '1795341600', nanos: 123456789 });
    expect(timestampToNs(nsToTimestamp(ns))).toBe(ns);
  });
});
