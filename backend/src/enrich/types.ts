// The EnrichedFlow of the public contract (see README, "EnrichedFlow"): a Hubble flow joined to
// pods, workloads, Services and the policy decision behind its verdict. This is what the HTTP
// API, the WebSocket stream and the UI carry.

export type PeerKind =
  'pod' | 'service' | 'world' | 'host' | 'remote-node' | 'kube-apiserver' | 'unknown';

export interface Peer {
  ip: string;
  port?: number;
  kind: PeerKind;
  namespace?: string;
  pod?: string;
  workload?: { kind: string; name: string };
  /** `ns/name` of the Service that selects this pod, or whose ClusterIP was the target. */
  service?: string;
  /** `key=value`, without Cilium's source prefix, Cilium's internal labels left out. */
  labels: string[];
  /** DNS names this address is known by. */
  names?: string[];
  identity?: number;
  /** The node a pod runs on, or the node that a host / remote-node peer is. */
  node?: string;
}

export type PolicyKind = 'NetworkPolicy' | 'CiliumNetworkPolicy' | 'CiliumClusterwideNetworkPolicy';

export interface PolicyRef {
  kind: PolicyKind | string;
  namespace?: string;
  name: string;
}

export type EnrichedVerdict =
  'FORWARDED' | 'DROPPED' | 'ERROR' | 'AUDIT' | 'REDIRECTED' | 'TRACED' | 'TRANSLATED' | 'UNKNOWN';

export interface EnrichedL7 {
  type: string;
  dns?: { query: string; ips: string[]; rcode?: number };
  http?: { method: string; url: string; path: string; code?: number };
}

export interface EnrichedFlow<E = unknown> {
  id: string;
  time: string;
  /** Nanoseconds since the epoch, as a decimal string (exact, unlike a JSON number). */
  timeNs: string;
  node: string;
  verdict: EnrichedVerdict;
  dropReason?: string;
  direction?: 'INGRESS' | 'EGRESS';
  isReply?: boolean;
  type?: string;
  protocol: string;
  source: Peer;
  destination: Peer;
  l7?: EnrichedL7;
  policy: {
    allowedBy: PolicyRef[];
    deniedBy: PolicyRef[];
    explanation?: E;
    /** flowlens' own verdict differs from the dataplane's: a policy it cannot evaluate, or a surprise. */
    disagreement?: string;
  };
  /** A one-line summary, e.g. `TCP Flags: SYN`, when the source gave one. */
  summary?: string;
}
