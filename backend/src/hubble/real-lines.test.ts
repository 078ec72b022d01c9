import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatLine, parseLine } from './json-codec.ts';
import { observerService } from './proto.ts';
import { responseFromWire, responseToWire } from './wire.ts';

// Real lines published by Cilium and its users (see tests/fixtures/hubble/SOURCES.md).
const FIXTURE = new URL('../../../tests/fixtures/hubble/real-lines.jsonl', import.meta.url);
const lines = readFileSync(FIXTURE, 'utf8').split('\n').filter(Boolean);

const getFlows = observerService().service['GetFlows'];

describe('real hubble observe -o json lines', () => {
  it('has the fixture', () => {
    expect(lines.length).toBeGreaterThanOrEqual(7);
  });

  it.each(lines.map((l, i) => [i + 1, l] as const))(
    'line %i reads and writes back byte for byte',
    (_n, line) => {
      const res = parseLine(line);
      expect(res).toBeDefined();
      expect(formatLine(res!)).toBe(line);
    },
  );

  it.each(lines.map((l, i) => [i + 1, l] as const))(
    'line %i survives protobuf encoding and decoding unchanged',
    (_n, line) => {
      const res = parseLine(line)!;
      const bytes = getFlows.responseSerialize(responseToWire(res));
      const back = responseFromWire(getFlows.responseDeserialize(bytes) as Record<string, unknown>);
      expect(back).toEqual(res);
    },
  );
});
