// cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy for one side of a
// connection. Covered: endpointSelector, from/toEndpoints (namespace-scoped by default in a
// CNP, `io.kubernetes.pod.namespace` to reach further), from/toEntities, from/toCIDR, CIDRSet
// with except, toPorts (ports, ANY, endPort, named ports), ingressDeny/egressDeny (deny wins),
// toServices, toFQDNs against the destination's DNS names, HTTP rules (method, path, headers),
// and enableDefaultDeny. Anything else is reported as not evaluated, never guessed.
import type { ClusterView } from '../../k8s/cluster-model.ts';
import type { CiliumNetworkPolicy, LabelSelector, Pod } from '../../k8s/objects.ts';
import { inBlock } from './cidr.ts';
import {
  NearMiss,
  resolveNamedPort,
  type Direction,
  policyName,
  type SideQuery,
} from './netpol.ts';
import { bareKey, describeSelector, selectorMatches, SelectorError } from './selector.ts';
import type { Endpoint, HttpRequest, RuleMatch } from './types.ts';

type Obj = Record<string, unknown>;

interface PortProtocol {
  port?: string | number;
  endPort?: number;
  protocol?: string;
}

interface HttpRule {
  method?: string;
  path?: string;
  host?: string;
  headers?: string[];
}

interface PortRule {
  ports?: PortProtocol[];
  rules?: { http?: HttpRule[]; dns?: unknown[]; kafka?: unknown[] };
}

export interface CiliumSideQuery extends SideQuery {
  /** The Service the client addressed, for toServices. */
  viaService?: { namespace?: string; name: string };
  destinationNames?: string[];
  http?: HttpRequest;
}

export interface CiliumSideVerdict {
  /** Policies that put the subject in default-deny for this direction. */
  isolating: string[];
  allowedBy: string[];
  deniedBy: string[];
  nearMisses: NearMiss[];
  unsupported: string[];
  /** Where in each policy the allowing and denying rules and near misses sit. */
  rules: RuleMatch[];
  /** Set when L4 was allowed but the HTTP request matched none of the allowing rules. */
  l7Refusal?: { policy: string; allowed: string[] };
  /** Allowed at L4 by rules that carry L7 rules, with no request to check them against. */
  l7Pending?: { policy: string; allowed: string[] };
}

const NS_LABEL = 'io.kubernetes.pod.namespace';

/**
 * The labels Cilium gives a pod's identity, made once per pod and model revision: every endpoint
 * selector of every policy a connection meets is matched against them. Read-only for callers.
 */
const labelsByPod = new WeakMap<
  Pod,
  { view: ClusterView; revision: number; labels: Record<string, string> }
>();

export function endpointLabels(view: ClusterView, pod: Pod): Record<string, string> {
  const known = labelsByPod.get(pod);
  if (known && known.view === view && known.revision === view.revision) return known.labels;
  const ns = pod.metadata.namespace ?? 'default';
  const out: Record<string, string> = { ...(pod.metadata.labels ?? {}), [NS_LABEL]: ns };
  for (const [k, v] of Object.entries(view.namespaceLabels(ns))) {
    out[`io.cilium.k8s.namespace.labels.${k}`] = v;
  }
  labelsByPod.set(pod, { view, revision: view.revision, labels: out });
  return out;
}

function specsOf(p: CiliumNetworkPolicy): Obj[] {
  const out: Obj[] = [];
  if (p.spec) out.push(p.spec);
  for (const s of p.specs ?? []) out.push(s);
  return out;
}

function mentionsNamespace(sel: LabelSelector): boolean {
  return (
    Object.keys(sel.matchLabels ?? {}).some((k) => bareKey(k) === NS_LABEL) ||
    (sel.matchExpressions ?? []).some((e) => bareKey(e.key) === NS_LABEL)
  );
}

/** An endpoint selector from a rule, scoped to the policy's namespace when it is a CNP. */
function endpointSelected(
  sel: LabelSelector,
  policyNs: string | undefined,
  pod: Pod,
  view: ClusterView,
): boolean {
  if (policyNs !== undefined && !mentionsNamespace(sel) && pod.metadata.namespace !== policyNs) {
    return false;
  }
  return selectorMatches(sel, endpointLabels(view, pod));
}

function entityMatches(entities: string[], peer: Endpoint): boolean {
  for (const e of entities) {
    if (e === 'all') return true;
    if (peer.kind === 'pod') {
      if (e === 'cluster') return true;
      continue;
    }
    if (e === peer.entity) return true;
    if (
      e === 'cluster' &&
      ['host', 'remote-node', 'kube-apiserver', 'cluster'].includes(peer.entity)
    )
      return true;
    if (e === 'world' && peer.entity === 'unknown') return true;
  }
  return false;
}

function cidrMatches(rule: Obj, dir: Direction, peer: Endpoint): boolean | undefined {
  const cidrs = rule[dir === 'ingress' ? 'fromCIDR' : 'toCIDR'] as string[] | undefined;
  const sets = rule[dir === 'ingress' ? 'fromCIDRSet' : 'toCIDRSet'] as
    { cidr?: string; except?: string[] }[] | undefined;
  if (!cidrs && !sets) return undefined;
  if (peer.kind !== 'ip') return false;
  if (cidrs?.some((c) => inBlock(peer.ip, c))) return true;
  return sets?.some((s) => s.cidr !== undefined && inBlock(peer.ip, s.cidr, s.except)) ?? false;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .toLowerCase()
    .replace(/\.$/, '')
    .split('*')
    .map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[-a-z0-9_]*');
  return new RegExp(`^${body}$`);
}

function fqdnMatches(rules: Obj[], names: string[]): boolean {
  const norm = names.map((n) => n.toLowerCase().replace(/\.$/, ''));
  return rules.some((r) => {
    const name = r['matchName'];
    if (typeof name === 'string' && norm.includes(name.toLowerCase().replace(/\.$/, '')))
      return true;
    const pattern = r['matchPattern'];
    return typeof pattern === 'string' && norm.some((n) => globToRegExp(pattern).test(n));
  });
}

const UNSUPPORTED_PEERS = [
  'fromRequires',
  'toRequires',
  'toGroups',
  'fromNodes',
  'toNodes',
  'icmps',
  'authentication',
];

/** Whether a rule's L3 part selects the peer (undefined: it has no L3 part, so any peer). */
function l3Matches(
  rule: Obj,
  q: CiliumSideQuery,
  policyNs: string | undefined,
  unsupported: string[],
  name: string,
): boolean {
  const dir = q.direction;
  let hasL3 = false;
  let ok = false;
  const eps = rule[dir === 'ingress' ? 'fromEndpoints' : 'toEndpoints'] as
    LabelSelector[] | undefined;
  if (eps) {
    hasL3 = true;
    if (q.peer.kind === 'pod') {
      const pod = q.peer.pod;
      ok ||= eps.some((s) => endpointSelected(s ?? {}, policyNs, pod, q.view));
    }
  }
  const ents = rule[dir === 'ingress' ? 'fromEntities' : 'toEntities'] as string[] | undefined;
  if (ents) {
    hasL3 = true;
    ok ||= entityMatches(ents, q.peer);
  }
  const cidr = cidrMatches(rule, dir, q.peer);
  if (cidr !== undefined) {
    hasL3 = true;
    ok ||= cidr;
  }
  if (dir === 'egress') {
    const svcs = rule['toServices'] as
      { k8sService?: { serviceName?: string; namespace?: string } }[] | undefined;
    if (svcs) {
      hasL3 = true;
      const via = q.viaService;
      ok ||= svcs.some(
        (s) =>
          via !== undefined &&
          s.k8sService?.serviceName === via.name &&
          (s.k8sService.namespace ?? policyNs ?? 'default') === via.namespace,
      );
    }
    const fqdns = rule['toFQDNs'] as Obj[] | undefined;
    if (fqdns) {
      hasL3 = true;
      ok ||= fqdnMatches(
        fqdns,
        q.destinationNames ?? (q.peer.kind === 'ip' ? (q.peer.names ?? []) : []),
      );
    }
  }
  for (const k of UNSUPPORTED_PEERS) {
    if (rule[k] !== undefined) unsupported.push(`${name}: ${k} is not evaluated`);
  }
  return hasL3 ? ok : true;
}

function portRuleMatches(pr: PortRule, q: CiliumSideQuery): boolean {
  const ports = pr.ports ?? [];
  if (ports.length === 0) return true;
  return ports.some((p) => {
    const proto = (p.protocol ?? 'ANY').toUpperCase();
    if (proto !== 'ANY' && proto !== q.protocol) return false;
    if (p.port === undefined || p.port === '' || p.port === '0' || p.port === 0) return true;
    const n =
      typeof p.port === 'number' ? p.port : /^\d+$/.test(p.port) ? Number(p.port) : undefined;
    if (n === undefined) return resolveNamedPort(q.receiver, String(p.port), q.protocol) === q.port;
    return p.endPort ? q.port >= n && q.port <= p.endPort : q.port === n;
  });
}

function describeHttp(r: HttpRule): string {
  return `${r.method ?? 'ANY'} ${r.path ?? '/*'}`;
}

/** Cilium anchors HTTP method and path regexes: they must match the whole value. */
function fullMatch(pattern: string | undefined, value: string): boolean {
  if (pattern === undefined || pattern === '') return true;
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return false;
  }
}

function httpMatches(r: HttpRule, req: HttpRequest): boolean {
  if (!fullMatch(r.method, req.method) || !fullMatch(r.path, req.path)) return false;
  for (const h of r.headers ?? []) {
    const [k, ...rest] = h.split(':');
    const want = rest.join(':').trim();
    const have = Object.entries(req.headers ?? {}).find(
      ([hk]) => hk.toLowerCase() === k!.trim().toLowerCase(),
    )?.[1];
    if (have === undefined || (want !== '' && have !== want)) return false;
  }
  return true;
}

function selects(p: CiliumNetworkPolicy, spec: Obj, pod: Pod, view: ClusterView): boolean {
  if (spec['nodeSelector'] !== undefined) return false; // host policies: not pods
  const sel = (spec['endpointSelector'] ?? {}) as LabelSelector;
  const ns = p.kind === 'CiliumClusterwideNetworkPolicy' ? undefined : p.metadata.namespace;
  if (ns !== undefined && pod.metadata.namespace !== ns) return false;
  return selectorMatches(sel, endpointLabels(view, pod));
}

export function evaluateCilium(q: CiliumSideQuery): CiliumSideVerdict {
  const out: CiliumSideVerdict = {
    isolating: [],
    allowedBy: [],
    deniedBy: [],
    nearMisses: [],
    unsupported: [],
    rules: [],
  };
  const ns = q.subject.metadata.namespace ?? 'default';
  const policies = [...q.view.ciliumNetworkPolicies(ns), ...q.view.ciliumClusterwidePolicies()];
  const dir = q.direction;
  // L7: one L4 allow without L7 rules lets every request through on that port.
  let l4Only = false;
  const l7Allowed: { policy: string; rules: HttpRule[] }[] = [];
  for (const p of policies) {
    const name = policyName(p);
    const policyNs = p.kind === 'CiliumClusterwideNetworkPolicy' ? undefined : p.metadata.namespace;
    specsOf(p).forEach((spec, specIndex) => {
      // `spec` and `specs[n]` may both be present; only entries of `specs` get an index.
      const specAt = p.spec ? (specIndex === 0 ? undefined : specIndex - 1) : specIndex;
      const kind = p.kind ?? 'CiliumNetworkPolicy';
      // Literals, not a spread of shared fields, as in netpol.ts.
      const match = (
        section: RuleMatch['section'],
        index: number,
        effect: RuleMatch['effect'],
      ): RuleMatch =>
        specAt === undefined
          ? { kind, policy: name, direction: dir, section, index, effect }
          : { kind, policy: name, direction: dir, spec: specAt, section, index, effect };
      try {
        if (!selects(p, spec, q.subject, q.view)) return;
        const allowKey = dir === 'ingress' ? 'ingress' : 'egress';
        const denyKey = dir === 'ingress' ? 'ingressDeny' : 'egressDeny';
        const allowRules = (spec[allowKey] as Obj[] | undefined) ?? [];
        const denyRules = (spec[denyKey] as Obj[] | undefined) ?? [];
        const defaultDeny = (
          spec['enableDefaultDeny'] as { ingress?: boolean; egress?: boolean } | undefined
        )?.[dir];
        if (allowRules.length > 0 && defaultDeny !== false && !out.isolating.includes(name))
          out.isolating.push(name);
        denyRules.forEach((rule, i) => {
          const portRules = (rule['toPorts'] as PortRule[] | undefined) ?? [];
          if (!l3Matches(rule, q, policyNs, out.unsupported, name)) return;
          if (portRules.length === 0 || portRules.some((pr) => portRuleMatches(pr, q))) {
            if (!out.deniedBy.includes(name)) out.deniedBy.push(name);
            out.rules.push(match(denyKey, i, 'denies'));
          }
        });
        allowRules.forEach((rule, i) => {
          const portRules = (rule['toPorts'] as PortRule[] | undefined) ?? [];
          const peerOk = l3Matches(rule, q, policyNs, out.unsupported, name);
          const matching = portRules.filter((pr) => portRuleMatches(pr, q));
          const portOk = portRules.length === 0 || matching.length > 0;
          if (peerOk && portOk) {
            if (!out.allowedBy.includes(name)) out.allowedBy.push(name);
            out.rules.push(match(allowKey, i, 'allows'));
            const http = matching.flatMap((pr) => pr.rules?.http ?? []);
            const otherL7 = matching.some((pr) => pr.rules?.kafka || pr.rules?.dns);
            if (otherL7) out.unsupported.push(`${name}: DNS/Kafka L7 rules are not evaluated`);
            if (http.length === 0) l4Only = true;
            else l7Allowed.push({ policy: name, rules: http });
          } else if (peerOk || portOk) {
            const effect = peerOk ? 'near-port' : 'near-peer';
            out.rules.push(match(allowKey, i, effect));
            out.nearMisses.push(
              new NearMiss(name, i + 1, peerOk ? 'port' : 'peer', () => ({
                ports:
                  portRules.length === 0
                    ? 'any port'
                    : portRules
                        .flatMap((pr) =>
                          (pr.ports ?? []).map((pp) => `${pp.protocol ?? 'ANY'}/${pp.port ?? '*'}`),
                        )
                        .join(', '),
                peers: describeRulePeers(rule, dir),
              })),
            );
          }
        });
      } catch (err) {
        if (!(err instanceof SelectorError)) throw err;
        out.unsupported.push(`${name}: ${err.message}`);
      }
    });
  }
  if (!l4Only && l7Allowed.length > 0) {
    const allowed = l7Allowed.flatMap((a) => a.rules.map(describeHttp));
    if (!q.http) {
      out.l7Pending = { policy: l7Allowed[0]!.policy, allowed };
    } else if (!l7Allowed.some((a) => a.rules.some((r) => httpMatches(r, q.http!)))) {
      out.l7Refusal = { policy: l7Allowed[0]!.policy, allowed };
    }
  }
  return out;
}

function describeRulePeers(rule: Obj, dir: Direction): string {
  const parts: string[] = [];
  const eps = rule[dir === 'ingress' ? 'fromEndpoints' : 'toEndpoints'] as
    LabelSelector[] | undefined;
  for (const e of eps ?? []) parts.push(`endpoints {${describeSelector(e)}}`);
  const ents = rule[dir === 'ingress' ? 'fromEntities' : 'toEntities'] as string[] | undefined;
  if (ents) parts.push(`entities ${ents.join(', ')}`);
  const cidrs = rule[dir === 'ingress' ? 'fromCIDR' : 'toCIDR'] as string[] | undefined;
  if (cidrs) parts.push(`CIDR ${cidrs.join(', ')}`);
  const fqdns = rule['toFQDNs'] as Obj[] | undefined;
  if (fqdns)
    parts.push(`FQDN ${fqdns.map((f) => String(f['matchName'] ?? f['matchPattern'])).join(', ')}`);
  return parts.length ? parts.join(' | ') : 'any peer';
}
