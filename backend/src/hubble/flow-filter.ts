// Hubble's FlowFilter semantics, compiled once into predicates: within one filter every field
// that is set must match (AND) and a field matches when any of its values does (OR); a request
// passes a flow when any whitelist filter matches and no blacklist filter does.
//
// The value syntax follows Hubble's server: pods and services as `namespace/name-prefix`, IPs or
// CIDRs, FQDN and node-name patterns with `*`, label selectors, HTTP status `404` or `5+`.
import ipaddr from 'ipaddr.js';
import type { HubbleFlow, TCPFlags } from './types.ts';

export interface WireWorkload {
  name?: string;
  kind?: string;
}

export interface WireEventTypeFilter {
  type?: number;
  match_sub_type?: boolean;
  sub_type?: number;
}

/** The subset of `flow.FlowFilter` flowlens evaluates; other fields are rejected, not ignored. */
export interface FlowFilter {
  uuid?: string[];
  source_ip?: string[];
  source_pod?: string[];
  source_fqdn?: string[];
  source_label?: string[];
  source_service?: string[];
  source_workload?: WireWorkload[];
  source_identity?: number[];
  destination_ip?: string[];
  destination_pod?: string[];
  destination_fqdn?: string[];
  destination_label?: string[];
  destination_service?: string[];
  destination_workload?: WireWorkload[];
  destination_identity?: number[];
  traffic_direction?: (string | number)[];
  verdict?: (string | number)[];
  drop_reason_desc?: (string | number)[];
  event_type?: WireEventTypeFilter[];
  http_status_code?: string[];
  protocol?: string[];
  source_port?: string[];
  destination_port?: string[];
  reply?: boolean[];
  dns_query?: string[];
  http_method?: string[];
  http_path?: string[];
  http_url?: string[];
  tcp_flags?: TCPFlags[];
  node_name?: string[];
  ip_version?: (string | number)[];
}

export type FlowPredicate = (flow: HubbleFlow) => boolean;

export class FilterError extends Error {
  override readonly name = 'FilterError';
}

const SUPPORTED = new Set<string>([
  'uuid',
  'source_ip',
  'source_pod',
  'source_fqdn',
  'source_label',
  'source_service',
  'source_workload',
  'source_identity',
  'destination_ip',
  'destination_pod',
  'destination_fqdn',
  'destination_label',
  'destination_service',
  'destination_workload',
  'destination_identity',
  'traffic_direction',
  'verdict',
  'drop_reason_desc',
  'event_type',
  'http_status_code',
  'protocol',
  'source_port',
  'destination_port',
  'reply',
  'dns_query',
  'http_method',
  'http_path',
  'http_url',
  'tcp_flags',
  'node_name',
  'ip_version',
]);

type Side = 'source' | 'destination';

function anyOf<T>(values: T[], build: (v: T) => FlowPredicate): FlowPredicate {
  const preds = values.map(build);
  return (f) => preds.some((p) => p(f));
}

function ipPredicate(value: string, side: Side): FlowPredicate {
  let match: (ip: string) => boolean;
  try {
    if (value.includes('/')) {
      const cidr = ipaddr.parseCIDR(value);
      match = (ip) => {
        if (!ipaddr.isValid(ip)) return false;
        const addr = ipaddr.parse(ip);
        return addr.kind() === cidr[0].kind() && addr.match(cidr);
      };
    } else {
      const want = ipaddr.parse(value).toNormalizedString();
      match = (ip) => ipaddr.isValid(ip) && ipaddr.parse(ip).toNormalizedString() === want;
    }
  } catch {
    throw new FilterError(`${side}_ip: not an IP address or CIDR: ${value}`);
  }
  return (f) => {
    const ip = f.IP?.[side];
    return ip !== undefined && match(ip);
  };
}

/** `*` matches any run of characters; everything else is literal. Case-insensitive, like DNS. */
export function wildcardRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'i');
}

function namePrefixPredicate(value: string, get: (f: HubbleFlow) => string | undefined) {
  return (f: HubbleFlow) => {
    const name = get(f);
    return name !== undefined && name.startsWith(value);
  };
}

function podName(f: HubbleFlow, side: Side): string | undefined {
  const ep = f[side];
  return ep?.pod_name ? `${ep.namespace ?? ''}/${ep.pod_name}` : undefined;
}

function serviceName(f: HubbleFlow, side: Side): string | undefined {
  const svc = side === 'source' ? f.source_service : f.destination_service;
  return svc?.name ? `${svc.namespace ?? ''}/${svc.name}` : undefined;
}

/** Hubble labels are `source:key=value`; a selector key may name the source or leave it out. */
function labelMap(labels: string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of labels ?? []) {
    const eq = l.indexOf('=');
    const key = eq < 0 ? l : l.slice(0, eq);
    const value = eq < 0 ? '' : l.slice(eq + 1);
    m.set(key, value);
    const colon = key.indexOf(':');
    if (colon >= 0) m.set(key.slice(colon + 1), value);
  }
  return m;
}

type Requirement = (labels: Map<string, string>) => boolean;

/** Parses a Kubernetes label selector: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`. */
export function parseLabelSelector(selector: string): Requirement[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((raw): Requirement => {
    const p = raw.trim();
    let m = /^(\S+?)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p);
    if (m) {
      const [, key, op, list] = m;
      const set = new Set(list.split(',').map((s) => s.trim()));
      return op === 'in'
        ? (l) => l.has(key) && set.has(l.get(key) ?? '')
        : (l) => !l.has(key) || !set.has(l.get(key) ?? '');
    }
    m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(p);
    if (m) {
      const [, key, op, value] = m;
      return op === '!=' ? (l) => l.get(key) !== value : (l) => l.get(key) === value;
    }
    m = /^(!?)([^=!\s(),]+)$/.exec(p);
    if (m) {
      const [, not, key] = m;
      return not ? (l) => !l.has(key) : (l) => l.has(key);
    }
    throw new FilterError(`not a label selector: ${selector}`);
  });
}

function labelPredicate(selector: string, side: Side): FlowPredicate {
  const reqs = parseLabelSelector(selector);
  return (f) => {
    const labels = labelMap(f[side]?.labels);
    return reqs.every((r) => r(labels));
  };
}

function portOf(f: HubbleFlow, side: Side): number | undefined {
  const l4 = f.l4;
  const pp = l4?.TCP ?? l4?.UDP ?? l4?.SCTP;
  return side === 'source' ? pp?.source_port : pp?.destination_port;
}

function portPredicate(value: string, side: Side): FlowPredicate {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new FilterError(`${side}_port: not a port number: ${value}`);
  }
  return (f) => portOf(f, side) === port;
}

function protocolPredicate(value: string): FlowPredicate {
  const p = value.toLowerCase();
  switch (p) {
    case 'tcp':
      return (f) => f.l4?.TCP !== undefined;
    case 'udp':
      return (f) => f.l4?.UDP !== undefined;
    case 'sctp':
      return (f) => f.l4?.SCTP !== undefined;
    case 'icmp':
      return (f) => f.l4?.ICMPv4 !== undefined || f.l4?.ICMPv6 !== undefined;
    case 'icmpv4':
      return (f) => f.l4?.ICMPv4 !== undefined;
    case 'icmpv6':
      return (f) => f.l4?.ICMPv6 !== undefined;
    case 'dns':
      return (f) => f.l7?.dns !== undefined;
    case 'http':
      return (f) => f.l7?.http !== undefined;
    case 'kafka':
      return (f) => f.l7?.kafka !== undefined;
    default:
      throw new FilterError(`protocol: unknown protocol ${value}`);
  }
}

function httpStatusPredicate(value: string): FlowPredicate {
  const m = /^([1-5])(\d\d|\+|\d\+)?$/.exec(value);
  if (!m) throw new FilterError(`http_status_code: expected e.g. 404, 4+ or 40+: ${value}`);
  const prefix = value.endsWith('+') ? value.slice(0, -1) : undefined;
  return (f) => {
    const code = f.l7?.http?.code;
    if (code === undefined || code === 0 || f.l7?.type !== 'RESPONSE') return false;
    return prefix !== undefined ? String(code).startsWith(prefix) : String(code) === value;
  };
}

function regexPredicate(value: string, field: string, get: (f: HubbleFlow) => string | undefined) {
  let re: RegExp;
  try {
    re = new RegExp(value);
  } catch {
    throw new FilterError(`${field}: not a regular expression: ${value}`);
  }
  return (f: HubbleFlow) => {
    const s = get(f);
    return s !== undefined && re.test(s);
  };
}

function urlPath(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url, 'http://x').pathname;
  } catch {
    return url;
  }
}

function workloadPredicate(w: WireWorkload, side: Side): FlowPredicate {
  return (f) =>
    (f[side]?.workloads ?? []).some(
      (fw) => (!w.name || fw.name === w.name) && (!w.kind || fw.kind === w.kind),
    );
}

function tcpFlagsPredicate(want: TCPFlags): FlowPredicate {
  const keys = (Object.keys(want) as (keyof TCPFlags)[]).filter((k) => want[k]);
  return (f) => {
    const flags = f.l4?.TCP?.flags;
    return flags !== undefined && keys.every((k) => flags[k] === true);
  };
}

function fieldPredicate(filter: FlowFilter, key: keyof FlowFilter): FlowPredicate {
  switch (key) {
    case 'uuid':
      return anyOf(filter.uuid ?? [], (v) => (f) => f.uuid === v);
    case 'source_ip':
    case 'destination_ip': {
      const side = key === 'source_ip' ? 'source' : 'destination';
      return anyOf(filter[key] ?? [], (v) => ipPredicate(v, side));
    }
    case 'source_pod':
    case 'destination_pod': {
      const side = key === 'source_pod' ? 'source' : 'destination';
      return anyOf(filter[key] ?? [], (v) => namePrefixPredicate(v, (f) => podName(f, side)));
    }
    case 'source_service':
    case 'destination_service': {
      const side = key === 'source_service' ? 'source' : 'destination';
      return anyOf(filter[key] ?? [], (v) => namePrefixPredicate(v, (f) => serviceName(f, side)));
    }
    case 'source_fqdn':
    case 'destination_fqdn': {
      const names = key === 'source_fqdn' ? 'source_names' : 'destination_names';
      return anyOf(filter[key] ?? [], (v) => {
        const re = wildcardRegExp(v);
        return (f) => (f[names] ?? []).some((n) => re.test(n));
      });
    }
    case 'source_label':
    case 'destination_label': {
      const side = key === 'source_label' ? 'source' : 'destination';
      return anyOf(filter[key] ?? [], (v) => labelPredicate(v, side));
    }
    case 'source_workload':
    case 'destination_workload': {
      const side = key === 'source_workload' ? 'source' : 'destination';
      return anyOf(filter[key] ?? [], (v) => workloadPredicate(v, side));
    }
    case 'source_identity':
    case 'destination_identity': {
      const side = key === 'source_identity' ? 'source' : 'destination';
      return anyOf(filter[key] ?? [], (v) => (f) => f[side]?.identity === Number(v));
    }
    case 'source_port':
    case 'destination_port': {
      const side = key === 'source_port' ? 'source' : 'destination';
      return anyOf(filter[key] ?? [], (v) => portPredicate(v, side));
    }
    case 'traffic_direction':
      return anyOf(filter.traffic_direction ?? [], (v) => (f) => f.traffic_direction === v);
    case 'verdict':
      return anyOf(filter.verdict ?? [], (v) => (f) => f.verdict === v);
    case 'drop_reason_desc':
      return anyOf(filter.drop_reason_desc ?? [], (v) => (f) => f.drop_reason_desc === v);
    case 'ip_version':
      return anyOf(filter.ip_version ?? [], (v) => (f) => f.IP?.ipVersion === v);
    case 'event_type':
      return anyOf(filter.event_type ?? [], (v) => (f) => {
        const et = f.event_type;
        if (et === undefined || (et.type ?? 0) !== (v.type ?? 0)) return false;
        return !v.match_sub_type || (et.sub_type ?? 0) === (v.sub_type ?? 0);
      });
    case 'http_status_code':
      return anyOf(filter.http_status_code ?? [], httpStatusPredicate);
    case 'protocol':
      return anyOf(filter.protocol ?? [], protocolPredicate);
    case 'reply':
      return anyOf(filter.reply ?? [], (v) => (f) => (f.is_reply ?? f.reply ?? false) === v);
    case 'dns_query':
      return anyOf(filter.dns_query ?? [], (v) =>
        regexPredicate(v, 'dns_query', (f) => f.l7?.dns?.query),
      );
    case 'http_method':
      return anyOf(filter.http_method ?? [], (v) => {
        const want = v.toUpperCase();
        return (f) => f.l7?.http?.method?.toUpperCase() === want;
      });
    case 'http_path':
      return anyOf(filter.http_path ?? [], (v) =>
        regexPredicate(v, 'http_path', (f) => urlPath(f.l7?.http?.url)),
      );
    case 'http_url':
      return anyOf(filter.http_url ?? [], (v) =>
        regexPredicate(v, 'http_url', (f) => f.l7?.http?.url),
      );
    case 'tcp_flags':
      return anyOf(filter.tcp_flags ?? [], tcpFlagsPredicate);
    case 'node_name':
      return anyOf(filter.node_name ?? [], (v) => {
        // Relay names nodes `cluster/node`; a pattern without a cluster matches any cluster.
        const re = wildcardRegExp(v.includes('/') ? v : `*/${v}`);
        const bare = wildcardRegExp(v);
        return (f) => {
          const n = f.node_name ?? '';
          return re.test(n) || bare.test(n);
        };
      });
    default:
      throw new FilterError(`filter field ${String(key)} is not supported`);
  }
}

function isSet(v: unknown): boolean {
  return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null;
}

/** Compiles one FlowFilter; throws FilterError on a field we do not support or a bad value. */
export function compileFilter(filter: FlowFilter): FlowPredicate {
  const preds: FlowPredicate[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (!isSet(value)) continue;
    if (key === 'experimental') continue;
    if (!SUPPORTED.has(key)) throw new FilterError(`filter field ${key} is not supported`);
    preds.push(fieldPredicate(filter, key as keyof FlowFilter));
  }
  return (f) => preds.every((p) => p(f));
}

/** A request's whitelist and blacklist as one predicate. */
export function compileFilters(whitelist: FlowFilter[] = [], blacklist: FlowFilter[] = []) {
  const allow = whitelist.map(compileFilter);
  const deny = blacklist.map(compileFilter);
  return (f: HubbleFlow): boolean =>
    (allow.length === 0 || allow.some((p) => p(f))) && !deny.some((p) => p(f));
}
