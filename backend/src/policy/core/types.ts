// The policy engine's vocabulary: a connection to judge, and the Explanation it answers with
// (the public JSON of README "Explanation"; extra fields are additive).
import type { Pod, Service } from '../../k8s/objects.ts';
import type { NearMiss } from './netpol.ts';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type Lang = 'en' | 'ko';

/** Cilium's entities, for peers that are not pods. */
export type Entity = 'world' | 'host' | 'remote-node' | 'kube-apiserver' | 'cluster' | 'unknown';

export type Endpoint =
  { kind: 'pod'; pod: Pod } | { kind: 'ip'; ip: string; entity: Entity; names?: string[] };

export interface HttpRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
}

export interface ConnectionQuery {
  from: Endpoint;
  /** The destination after Service translation (a backend pod, or an address). */
  to: Endpoint;
  /** The Service the client addressed, when it did. */
  viaService?: Service;
  port: number;
  protocol: Protocol;
  /** DNS names of the destination (for toFQDNs). */
  destinationNames?: string[];
  /** The HTTP request, for L7 rules. */
  http?: HttpRequest;
}

export interface DirectionResult {
  /** Some policy selects the pod for this direction, so only what is allowed passes. */
  isolated: boolean;
  /** Every policy that selects the pod for this direction (`ns/name`, or `name` clusterwide). */
  policies: string[];
  /** Policies with a rule allowing this connection. */
  allowedBy: string[];
  /** Policies with a deny rule matching it (Cilium). */
  deniedBy: string[];
  /** The decision for this side. */
  allowed: boolean;
  /** Rules whose peer matched but whose ports did not, etc.: material for the reason. */
  nearMisses: NearMiss[];
  /** L7 requests the allowing rules permit, when the request was not among them. */
  l7Refusal?: { policy: string; allowed: string[] };
}

/**
 * One rule of one policy that decided a connection or came closest to allowing it, so a UI can
 * point at it in the policy's YAML. `index` is 0-based within `section`; `spec` is the entry of
 * a Cilium policy's `specs` list (absent for `spec`).
 */
export interface RuleMatch {
  kind: 'NetworkPolicy' | 'CiliumNetworkPolicy' | 'CiliumClusterwideNetworkPolicy';
  policy: string;
  direction: 'ingress' | 'egress';
  section: 'ingress' | 'egress' | 'ingressDeny' | 'egressDeny';
  index: number;
  spec?: number;
  effect: 'allows' | 'denies' | 'near-port' | 'near-peer';
}

export interface Explanation {
  verdict: 'ALLOWED' | 'DENIED';
  egress: Omit<DirectionResult, 'allowed' | 'nearMisses' | 'l7Refusal'>;
  ingress: Omit<DirectionResult, 'allowed' | 'nearMisses' | 'l7Refusal'>;
  reason: string;
  suggestion?: string;
  /** Where the verdict was decided: the source's egress, the destination's ingress, or L7. */
  decidedAt?: 'egress' | 'ingress' | 'l7';
  /** Common mistakes noticed in the policies involved. */
  pitfalls: string[];
  /** Constructs the engine could not evaluate; the verdict does not account for them. */
  unsupported: string[];
  /** The rules that allowed or denied it, and the near misses (additive; may be absent). */
  rules?: RuleMatch[];
  /** What was evaluated, after resolving Services and named ports. */
  target: { from: string; to: string; port: number; protocol: Protocol; service?: string };
}

export class PolicyInputError extends Error {
  override readonly name = 'PolicyInputError';
}
