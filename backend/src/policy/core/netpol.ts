// networking.k8s.io/v1 NetworkPolicy, evaluated for one side of a connection: the source's
// egress or the destination's ingress. Semantics follow the API reference and the upstream
// netpol e2e suite: policyTypes default to Ingress (+ Egress when egress rules exist), a peer
// with both selectors is an AND, separate peers an OR, an absent `from`/`to` or `ports` means
// all, named ports resolve on the destination pod, protocols default to TCP, and ipBlock
// selects addresses outside the pod network.
import type { ClusterView } from '../../k8s/cluster-model.ts';
import type {
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  Pod,
} from '../../k8s/objects.ts';
import { inBlock } from './cidr.ts';
import { describeSelector, selectorMatches, SelectorError } from './selector.ts';
import type { Endpoint, Protocol, RuleMatch } from './types.ts';

export type Direction = 'ingress' | 'egress';

export interface SideQuery {
  view: ClusterView;
  direction: Direction;
  /** The pod whose policies apply (source for egress, destination for ingress). */
  subject: Pod;
  /** The other end. */
  peer: Endpoint;
  port: number;
  protocol: Protocol;
  /** The pod receiving the connection, for named ports (absent for an address). */
  receiver?: Pod;
}

/**
 * A rule that matched the peer but not the port, or the port but not the peer. What it does
 * allow is described when asked: a connection into a namespace of many policies comes near
 * dozens of rules, and a reason quotes two.
 */
export class NearMiss {
  private described: { ports: string; peers: string } | undefined;

  constructor(
    readonly policy: string,
    readonly rule: number,
    /** What did not match. */
    readonly missing: 'port' | 'peer',
    private readonly describe: () => { ports: string; peers: string },
  ) {}

  /** The ports the rule allows, described. */
  get ports(): string {
    return (this.described ??= this.describe()).ports;
  }

  /** The peers the rule allows, described. */
  get peers(): string {
    return (this.described ??= this.describe()).peers;
  }
}

export interface SideVerdict {
  selecting: string[];
  allowedBy: string[];
  nearMisses: NearMiss[];
  unsupported: string[];
  /** Where in each policy the allowing rules and near misses sit. */
  rules: RuleMatch[];
}

export const policyName = (p: { metadata: { namespace?: string; name: string } }) =>
  p.metadata.namespace ? `${p.metadata.namespace}/${p.metadata.name}` : p.metadata.name;

export function affects(np: NetworkPolicy, dir: Direction): boolean {
  const types = np.spec?.policyTypes;
  if (types && types.length > 0) return types.includes(dir === 'ingress' ? 'Ingress' : 'Egress');
  return dir === 'ingress' ? true : (np.spec?.egress?.length ?? 0) > 0;
}

export function selectsPod(np: NetworkPolicy, pod: Pod): boolean {
  return (
    np.metadata.namespace === pod.metadata.namespace &&
    selectorMatches(np.spec?.podSelector, pod.metadata.labels ?? {})
  );
}

export function peerMatches(
  peer: NetworkPolicyPeer,
  policyNs: string,
  other: Endpoint,
  view: ClusterView,
): boolean {
  if (peer.ipBlock) {
    // Pods are selected by labels; an ipBlock speaks for addresses outside the pod network.
    return other.kind === 'ip' && inBlock(other.ip, peer.ipBlock.cidr, peer.ipBlock.except);
  }
  if (other.kind !== 'pod') return false;
  const pod = other.pod;
  const ns = pod.metadata.namespace ?? 'default';
  if (peer.namespaceSelector) {
    if (!selectorMatches(peer.namespaceSelector, view.namespaceLabels(ns))) return false;
  } else if (ns !== policyNs) {
    return false;
  }
  return peer.podSelector ? selectorMatches(peer.podSelector, pod.metadata.labels ?? {}) : true;
}

/** The container port a named port stands for on a pod, for a protocol. */
export function resolveNamedPort(
  pod: Pod | undefined,
  name: string,
  protocol: Protocol,
): number | undefined {
  for (const c of [...(pod?.spec?.containers ?? []), ...(pod?.spec?.initContainers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (p.name === name && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

export function portMatches(
  pp: NetworkPolicyPort,
  port: number,
  protocol: Protocol,
  receiver?: Pod,
): boolean {
  if ((pp.protocol ?? 'TCP') !== protocol) return false;
  if (pp.port === undefined || pp.port === null) return true;
  const asNumber =
    typeof pp.port === 'number' ? pp.port : /^\d+$/.test(pp.port) ? Number(pp.port) : undefined;
  if (asNumber !== undefined) {
    return pp.endPort !== undefined ? port >= asNumber && port <= pp.endPort : port === asNumber;
  }
  return resolveNamedPort(receiver, String(pp.port), protocol) === port;
}

function describePeer(peer: NetworkPolicyPeer): string {
  if (peer.ipBlock) {
    const except = peer.ipBlock.except?.length ? ` except ${peer.ipBlock.except.join(', ')}` : '';
    return `ipBlock ${peer.ipBlock.cidr}${except}`;
  }
  const parts: string[] = [];
  if (peer.namespaceSelector)
    parts.push(`namespaces {${describeSelector(peer.namespaceSelector)}}`);
  if (peer.podSelector) parts.push(`pods {${describeSelector(peer.podSelector)}}`);
  return parts.join(' and ');
}

export function describePorts(ports: NetworkPolicyPort[] | undefined): string {
  if (!ports || ports.length === 0) return 'any port';
  return ports
    .map(
      (p) =>
        `${p.protocol ?? 'TCP'}/${p.port ?? '*'}${p.endPort !== undefined ? `-${p.endPort}` : ''}`,
    )
    .join(', ');
}

/** Evaluates every NetworkPolicy of the subject's namespace for one direction. */
export function evaluateNetpol(q: SideQuery): SideVerdict {
  const out: SideVerdict = {
    selecting: [],
    allowedBy: [],
    nearMisses: [],
    unsupported: [],
    rules: [],
  };
  const ns = q.subject.metadata.namespace ?? 'default';
  for (const np of q.view.networkPolicies(ns)) {
    const name = policyName(np);
    try {
      if (!affects(np, q.direction) || !selectsPod(np, q.subject)) continue;
      out.selecting.push(name);
      const rules = (q.direction === 'ingress' ? np.spec.ingress : np.spec.egress) ?? [];
      rules.forEach((rule, i) => {
        const peers =
          q.direction === 'ingress'
            ? (rule as { from?: NetworkPolicyPeer[] }).from
            : (rule as { to?: NetworkPolicyPeer[] }).to;
        const peerOk =
          !peers || peers.length === 0 || peers.some((p) => peerMatches(p, ns, q.peer, q.view));
        const portOk =
          !rule.ports ||
          rule.ports.length === 0 ||
          rule.ports.some((p) => portMatches(p, q.port, q.protocol, q.receiver));
        // Literals, not a spread of shared fields: spreading into new objects here was a third
        // of a new connection's explanation.
        const match = (effect: RuleMatch['effect']): RuleMatch => ({
          kind: 'NetworkPolicy',
          policy: name,
          direction: q.direction,
          section: q.direction,
          index: i,
          effect,
        });
        if (peerOk && portOk) {
          if (!out.allowedBy.includes(name)) out.allowedBy.push(name);
          out.rules.push(match('allows'));
        } else if (peerOk || (portOk && peers)) {
          const effect = peerOk ? 'near-port' : 'near-peer';
          out.rules.push(match(effect));
          out.nearMisses.push(
            new NearMiss(name, i + 1, peerOk ? 'port' : 'peer', () => ({
              ports: describePorts(rule.ports),
              peers: peers && peers.length > 0 ? peers.map(describePeer).join(' | ') : 'any peer',
            })),
          );
        }
      });
    } catch (err) {
      if (!(err instanceof SelectorError)) throw err;
      out.unsupported.push(`${name}: ${err.message}`);
    }
  }
  return out;
}
