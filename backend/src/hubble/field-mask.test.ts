import { describe, expect, it } from 'vitest';
import { compileFieldMask, FieldMaskError } from './field-mask.ts';
import { makeFlow } from '../../../tests/support/builders.ts';
import type { HubbleFlow } from './types.ts';

describe('compileFieldMask', () => {
  const flow = makeFlow();

  it('keeps everything when the mask is empty', () => {
    expect(compileFieldMask<HubbleFlow>([])(flow)).toBe(flow);
  });

  it('keeps only the listed top-level fields', () => {
    const masked = compileFieldMask<HubbleFlow>(['time', 'verdict'])(flow);
    expect(masked).toEqual({ time: flow.time, verdict: 'FORWARDED' });
  });

  it('keeps nested paths, and a whole message when its parent path is listed', () => {
    const masked = compileFieldMask<HubbleFlow>([
      'source.namespace',
      'l4.TCP.destination_port',
      'destination',
      'destination.namespace',
    ])(flow);
    expect(masked).toEqual({
      source: { namespace: 'web' },
      l4: { TCP: { destination_port: 8080 } },
      destination: flow.destination,
    });
  });

  it('applies a path below a repeated field to every element', () => {
    const f = makeFlow({ egress_allowed_by: [{ name: 'a', namespace: 'x', revision: '3' }] });
    expect(compileFieldMask<HubbleFlow>(['egress_allowed_by.name'])(f)).toEqual({
      egress_allowed_by: [{ name: 'a' }],
    });
  });

  it('rejects a path that is not a field path', () => {
    expect(() => compileFieldMask(['source..name'])).toThrow(FieldMaskError);
    expect(() => compileFieldMask(['a-b'])).toThrow(/not a field path: a-b/);
  });
});
