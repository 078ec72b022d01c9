// The one place where proto-loader's decoded objects become Hubble's JSON form and back.
// proto-loader already gives proto field names, enum names and 64-bit integers as strings; what
// differs from protojson are the well-known types (Timestamp, BoolValue, Int32Value, Any), which
// it leaves as messages. Those are few and sit at known places, so they are converted by name.
import type { FlowsResponse, HubbleFlow, LostEvent } from './types.ts';
import { formatTimeNs, nsToTimestamp, parseTimeNs, timestampToNs } from './time.ts';
import type { WireTimestamp } from './time.ts';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function timeFromWire(v: unknown): string | undefined {
  return isObj(v) ? formatTimeNs(timestampToNs(v as WireTimestamp)) : undefined;
}

function unwrap(v: unknown): unknown {
  return isObj(v) ? v['value'] : undefined;
}

/**
 * Converts a decoded `flow.Flow` in place (the decoder's object is not shared, so copying it
 * would only cost allocations on the hot path) and returns it typed.
 */
export function flowFromWire(wire: Obj): HubbleFlow {
  if (wire['time'] !== undefined) wire['time'] = timeFromWire(wire['time']);
  if (wire['is_reply'] !== undefined) wire['is_reply'] = unwrap(wire['is_reply']) === true;
  const ext = wire['extensions'];
  if (isObj(ext)) {
    // An Any we cannot resolve: keep its type and payload the way protojson would if it had to.
    const value = ext['value'];
    wire['extensions'] = {
      '@type': ext['type_url'],
      value: Buffer.isBuffer(value) ? value.toString('base64') : undefined,
    };
  }
  return wire as HubbleFlow;
}

export function lostEventFromWire(wire: Obj): LostEvent {
  if (wire['cpu'] !== undefined) wire['cpu'] = unwrap(wire['cpu']);
  return wire as LostEvent;
}

export function responseFromWire(wire: Obj): FlowsResponse {
  if (isObj(wire['flow'])) flowFromWire(wire['flow']);
  if (isObj(wire['lost_events'])) lostEventFromWire(wire['lost_events']);
  if (wire['time'] !== undefined) wire['time'] = timeFromWire(wire['time']);
  return wire as FlowsResponse;
}

function timeToWire(text: unknown): WireTimestamp | undefined {
  if (typeof text !== 'string') return undefined;
  const ns = parseTimeNs(text);
  if (ns === undefined) throw new TypeError(`time: not an RFC3339 timestamp: ${text.slice(0, 64)}`);
  return nsToTimestamp(ns);
}

/** Returns a new wire object; the flow itself is left as it is (it may be stored elsewhere). */
export function flowToWire(flow: HubbleFlow): Obj {
  const wire: Obj = { ...flow };
  if (flow.time !== undefined) wire['time'] = timeToWire(flow.time);
  if (flow.is_reply !== undefined) wire['is_reply'] = { value: flow.is_reply };
  delete wire['extensions'];
  return wire;
}

export function responseToWire(res: FlowsResponse): Obj {
  const wire: Obj = { ...res };
  if (res.flow) wire['flow'] = flowToWire(res.flow);
  if (res.time !== undefined) wire['time'] = timeToWire(res.time);
  if (res.lost_events) {
    const lost: Obj = { ...res.lost_events };
    if (res.lost_events.cpu !== undefined) lost['cpu'] = { value: res.lost_events.cpu };
    wire['lost_events'] = lost;
  }
  return wire;
}
