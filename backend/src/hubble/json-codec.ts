// Reads and writes `hubble observe -o json` lines: one GetFlowsResponse per line,
// `{"flow":{…},"node_name":"…","time":"…"}`. Older Hubble CLIs printed the bare flow object;
// those lines are accepted too and wrapped on read.
//
// Input here is untrusted (files, uploads): every field flowlens reads is type-checked, so a bad
// line is rejected with a reason instead of failing somewhere downstream.
import type { FlowRecord, FlowsResponse, HubbleFlow } from './types.ts';
import { parseTimeNs } from './time.ts';

export class FlowDecodeError extends Error {
  override readonly name = 'FlowDecodeError';
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const OBJECT_FIELDS = [
  'IP',
  'l4',
  'source',
  'destination',
  'l7',
  'event_type',
  'source_service',
  'destination_service',
  'interface',
] as const;
const STRING_ARRAY_FIELDS = ['source_names', 'destination_names', 'node_labels'] as const;
const POLICY_FIELDS = [
  'egress_allowed_by',
  'ingress_allowed_by',
  'egress_denied_by',
  'ingress_denied_by',
] as const;
const ENUM_FIELDS = [
  'verdict',
  'drop_reason_desc',
  'Type',
  'traffic_direction',
  'trace_observation_point',
] as const;

function check(cond: boolean, what: string): void {
  if (!cond) throw new FlowDecodeError(what);
}

function checkStringArray(v: unknown, path: string): void {
  check(Array.isArray(v) && v.every((s) => typeof s === 'string'), `${path}: expected strings`);
}

function checkEndpoint(v: Obj, path: string): void {
  if (v['labels'] !== undefined) checkStringArray(v['labels'], `${path}.labels`);
  for (const k of ['namespace', 'pod_name', 'cluster_name'] as const) {
    if (v[k] !== undefined) check(typeof v[k] === 'string', `${path}.${k}: expected a string`);
  }
  if (v['workloads'] !== undefined) {
    check(
      Array.isArray(v['workloads']) && v['workloads'].every(isObj),
      `${path}.workloads: expected objects`,
    );
  }
}

/** Throws FlowDecodeError unless `v` has the shape of a Hubble flow in the fields we read. */
export function validateFlow(v: unknown): HubbleFlow {
  check(isObj(v), 'flow: expected an object');
  const flow = v as Obj;
  if (flow['time'] !== undefined) {
    check(
      typeof flow['time'] === 'string' && parseTimeNs(flow['time']) !== undefined,
      'flow.time: expected an RFC3339 timestamp',
    );
  }
  for (const k of ['uuid', 'node_name', 'Summary'] as const) {
    if (flow[k] !== undefined) check(typeof flow[k] === 'string', `flow.${k}: expected a string`);
  }
  for (const k of ENUM_FIELDS) {
    const e = flow[k];
    if (e !== undefined) {
      check(typeof e === 'string' || Number.isInteger(e), `flow.${k}: expected an enum name`);
    }
  }
  for (const k of OBJECT_FIELDS) {
    if (flow[k] !== undefined) check(isObj(flow[k]), `flow.${k}: expected an object`);
  }
  for (const k of STRING_ARRAY_FIELDS) {
    if (flow[k] !== undefined) checkStringArray(flow[k], `flow.${k}`);
  }
  for (const k of POLICY_FIELDS) {
    if (flow[k] !== undefined) {
      check(Array.isArray(flow[k]) && flow[k].every(isObj), `flow.${k}: expected objects`);
    }
  }
  if (isObj(flow['source'])) checkEndpoint(flow['source'], 'flow.source');
  if (isObj(flow['destination'])) checkEndpoint(flow['destination'], 'flow.destination');
  if (flow['is_reply'] !== undefined) {
    check(typeof flow['is_reply'] === 'boolean', 'flow.is_reply: expected a boolean');
  }
  return flow as HubbleFlow;
}

function looksLikeBareFlow(v: Obj): boolean {
  return 'verdict' in v || 'IP' in v || 'l4' in v || 'source' in v || 'uuid' in v;
}

const EVENT_KEYS = ['flow', 'node_status', 'lost_events', 'agent_event', 'debug_event'] as const;

/** Parses one line. Blank lines give undefined; anything malformed throws FlowDecodeError. */
export function parseLine(line: string): FlowsResponse | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new FlowDecodeError(`not JSON: ${(err as Error).message}`);
  }
  check(isObj(parsed), 'expected a JSON object per line');
  const obj = parsed as Obj;
  if (!('flow' in obj) && looksLikeBareFlow(obj)) {
    const flow = validateFlow(obj);
    return { flow, node_name: flow.node_name, time: flow.time };
  }
  if (obj['flow'] !== undefined) validateFlow(obj['flow']);
  for (const k of ['node_status', 'lost_events'] as const) {
    if (obj[k] !== undefined) check(isObj(obj[k]), `${k}: expected an object`);
  }
  // Hubble's exporter files also carry agent and debug events; they are valid lines, just not
  // flows, so they read as responses without a flow (the replay loader counts them).
  check(
    EVENT_KEYS.some((k) => obj[k] !== undefined),
    'line has none of flow, node_status, lost_events, agent_event, debug_event',
  );
  if (obj['time'] !== undefined) {
    check(
      typeof obj['time'] === 'string' && parseTimeNs(obj['time']) !== undefined,
      'time: expected an RFC3339 timestamp',
    );
  }
  return obj as FlowsResponse;
}

/** The line Hubble would print for this response (no trailing newline). */
export function formatLine(res: FlowsResponse): string {
  return JSON.stringify(res);
}

/** `timeNs`, when the caller already has it (from the wire), saves parsing the text again. */
export function recordFromResponse(
  res: FlowsResponse & { flow: HubbleFlow },
  timeNs?: bigint,
): FlowRecord {
  const flow = res.flow;
  return {
    flow,
    nodeName: res.node_name ?? flow.node_name ?? '',
    timeNs: timeNs ?? (flow.time !== undefined ? parseTimeNs(flow.time) : undefined) ?? 0n,
  };
}

export function responseFromRecord(rec: FlowRecord): FlowsResponse {
  return { flow: rec.flow, node_name: rec.nodeName, time: rec.flow.time };
}
