import { describe, expect, it } from 'vitest';
import { FlowDecodeError, formatLine, parseLine, recordFromResponse } from './json-codec.ts';
import { makeFlow } from '../../../tests/support/builders.ts';

describe('parseLine', () => {
  it('reads a GetFlowsResponse line', () => {
    const flow = makeFlow();
    const line = JSON.stringify({ flow, node_name: flow.node_name, time: flow.time });
    const res = parseLine(line);
    expect(res?.flow).toEqual(flow);
    expect(res?.node_name).toBe('kind-flowlens/kind-worker');
  });

  it('wraps a bare flow from older Hubble CLIs', () => {
    const flow = makeFlow();
    const res = parseLine(JSON.stringify(flow));
    expect(res).toEqual({ flow, node_name: flow.node_name, time: flow.time });
  });

  it('skips blank lines', () => {
    expect(parseLine('   ')).toBeUndefined();
  });

  it('keeps fields and enum values it does not know', () => {
    const flow = { ...makeFlow(), verdict: 42, future_field: { x: 1 } };
    const res = parseLine(JSON.stringify({ flow }));
    expect(res?.flow).toMatchObject({ verdict: 42, future_field: { x: 1 } });
  });

  it('reads node_status and lost_events lines', () => {
    expect(
      parseLine('{"node_status":{"state_change":"NODE_CONNECTED","node_names":["a"]}}'),
    ).toBeTruthy();
    expect(
      parseLine('{"lost_events":{"source":"PERF_EVENT_RING_BUFFER","num_events_lost":"3"}}'),
    ).toBeTruthy();
  });

  it('reads agent_event and debug_event lines from exporter files as non-flow lines', () => {
    expect(parseLine('{"agent_event":{},"node_name":"my-node"}')?.flow).toBeUndefined();
    expect(parseLine('{"debug_event":{},"node_name":"my-node"}')?.flow).toBeUndefined();
  });

  it.each([
    ['{not json', /not JSON/],
    ['[1,2]', /expected a JSON object per line/],
    ['{"node_name":"x"}', /line has none of flow, node_status, lost_events/],
    ['{"flow":"x"}', /flow: expected an object/],
    ['{"flow":{"time":"yesterday"}}', /flow.time: expected an RFC3339 timestamp/],
    ['{"flow":{"verdict":{"a":1}}}', /flow.verdict: expected an enum name/],
    ['{"flow":{"source":{"labels":"app=x"}}}', /flow.source.labels: expected strings/],
    ['{"flow":{"l4":[]}}', /flow.l4: expected an object/],
    ['{"flow":{"is_reply":"yes"}}', /flow.is_reply: expected a boolean/],
    ['{"flow":{"destination_names":[1]}}', /flow.destination_names: expected strings/],
    ['{"flow":{},"time":5}', /time: expected an RFC3339 timestamp/],
  ])('rejects %s with a reason', (line, reason) => {
    expect(() => parseLine(line)).toThrow(FlowDecodeError);
    expect(() => parseLine(line)).toThrow(reason);
  });
});

describe('formatLine', () => {
  it('writes what parseLine reads, byte for byte', () => {
    const flow = makeFlow();
    const line = formatLine({ flow, node_name: flow.node_name, time: flow.time });
    expect(formatLine(parseLine(line)!)).toBe(line);
  });
});

describe('recordFromResponse', () => {
  it('takes the node from the envelope and parses the time once', () => {
    const flow = makeFlow({ time: '2026-11-22T10:00:00.000000042Z' });
    const rec = recordFromResponse({ flow, node_name: 'c/n' });
    expect(rec.nodeName).toBe('c/n');
    expect(rec.timeNs % 1000n).toBe(42n);
  });
});
