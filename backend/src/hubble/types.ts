// Hubble flows in their canonical JSON form: the form `hubble observe -o json` prints (proto
// field names, enums as names, 64-bit integers as strings, RFC3339 nanosecond timestamps,
// wrapper types unwrapped). Everything past the gRPC/JSON edge works on these types; the
// conversion to and from the wire happens once, in wire.ts.
//
// Only the fields flowlens reads are typed. A flow may carry more (newer Hubble versions add
// fields); they pass through untouched, so a recording stays byte-compatible.

export const VERDICTS = [
  'VERDICT_UNKNOWN',
  'FORWARDED',
  'DROPPED',
  'ERROR',
  'AUDIT',
  'REDIRECTED',
  'TRACED',
  'TRANSLATED',
] as const;
export type Verdict = (typeof VERDICTS)[number];

/** An enum value as decoded: its name, or its number when this build does not know it. */
export type EnumValue<T extends string> = T | number;

export type FlowType = 'UNKNOWN_TYPE' | 'L3_L4' | 'L7' | 'SOCK';
export type TrafficDirection = 'TRAFFIC_DIRECTION_UNKNOWN' | 'INGRESS' | 'EGRESS';
export type L7FlowType = 'UNKNOWN_L7_TYPE' | 'REQUEST' | 'RESPONSE' | 'SAMPLE';
export type IPVersion = 'IP_NOT_USED' | 'IPv4' | 'IPv6';

export interface Workload {
  name?: string;
  kind?: string;
}

export interface Endpoint {
  ID?: number;
  identity?: number;
  cluster_name?: string;
  namespace?: string;
  labels?: string[];
  pod_name?: string;
  workloads?: Workload[];
}

export interface ServiceRef {
  name?: string;
  namespace?: string;
}

export interface IPInfo {
  source?: string;
  destination?: string;
  ipVersion?: EnumValue<IPVersion>;
  encrypted?: boolean;
}

export interface TCPFlags {
  FIN?: boolean;
  SYN?: boolean;
  RST?: boolean;
  PSH?: boolean;
  ACK?: boolean;
  URG?: boolean;
  ECE?: boolean;
  CWR?: boolean;
  NS?: boolean;
}

export interface PortPair {
  source_port?: number;
  destination_port?: number;
}

export interface Layer4 {
  TCP?: PortPair & { flags?: TCPFlags };
  UDP?: PortPair;
  SCTP?: PortPair;
  ICMPv4?: { type?: number; code?: number };
  ICMPv6?: { type?: number; code?: number };
}

export interface DNSInfo {
  query?: string;
  ips?: string[];
  ttl?: number;
  cnames?: string[];
  observation_source?: string;
  rcode?: number;
  qtypes?: string[];
  rrtypes?: string[];
}

export interface HTTPInfo {
  code?: number;
  method?: string;
  url?: string;
  protocol?: string;
  headers?: { key?: string; value?: string }[];
}

export interface KafkaInfo {
  error_code?: number;
  api_version?: number;
  api_key?: string;
  correlation_id?: number;
  topic?: string;
}

export interface Layer7 {
  type?: EnumValue<L7FlowType>;
  latency_ns?: string;
  dns?: DNSInfo;
  http?: HTTPInfo;
  kafka?: KafkaInfo;
}

export interface PolicyRefWire {
  name?: string;
  namespace?: string;
  labels?: string[];
  revision?: string;
  kind?: string;
}

export interface EventType {
  type?: number;
  sub_type?: number;
}

export interface HubbleFlow {
  time?: string;
  uuid?: string;
  verdict?: EnumValue<Verdict>;
  drop_reason?: number;
  drop_reason_desc?: EnumValue<string>;
  IP?: IPInfo;
  l4?: Layer4;
  source?: Endpoint;
  destination?: Endpoint;
  Type?: EnumValue<FlowType>;
  node_name?: string;
  node_labels?: string[];
  source_names?: string[];
  destination_names?: string[];
  l7?: Layer7;
  reply?: boolean;
  is_reply?: boolean;
  event_type?: EventType;
  source_service?: ServiceRef;
  destination_service?: ServiceRef;
  traffic_direction?: EnumValue<TrafficDirection>;
  policy_match_type?: number;
  trace_observation_point?: EnumValue<string>;
  trace_reason?: EnumValue<string>;
  interface?: { index?: number; name?: string };
  egress_allowed_by?: PolicyRefWire[];
  ingress_allowed_by?: PolicyRefWire[];
  egress_denied_by?: PolicyRefWire[];
  ingress_denied_by?: PolicyRefWire[];
  Summary?: string;
}

export interface LostEvent {
  source?: EnumValue<string>;
  num_events_lost?: string;
  cpu?: number;
}

export interface NodeStatusEvent {
  state_change?: EnumValue<string>;
  node_names?: string[];
  message?: string;
}

/** One GetFlows response, which is also one line of `hubble observe -o json`. */
export interface FlowsResponse {
  flow?: HubbleFlow;
  node_status?: NodeStatusEvent;
  lost_events?: LostEvent;
  node_name?: string;
  time?: string;
}

/**
 * A flow record as flowlens carries it: the flow plus the envelope it arrived in. Flows from
 * the Hubble client share their recurring parts (endpoints, addresses, services) with other
 * flows: treat them as read-only.
 */
export interface FlowRecord {
  flow: HubbleFlow;
  nodeName: string;
  /** Nanoseconds since the epoch, parsed once from `flow.time` (0 when absent). */
  timeNs: bigint;
  /**
   * The GetFlowsResponse message this record was decoded from, when it came off the wire. It is
   * read only while the record is handled (history copies it and decodes it again on demand).
   */
  wire?: Uint8Array;
}
