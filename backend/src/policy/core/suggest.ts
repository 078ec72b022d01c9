// The smallest policy change that would allow a denied connection: a new, narrowly scoped
// NetworkPolicy (or, for an L7 refusal, a CiliumNetworkPolicy allowing exactly that request),
// selecting the pods by their identifying labels. The engine re-evaluates its own suggestion.
import type { Pod } from '../../k8s/objects.ts';
import { SYNTHESIZED_ANNOTATION } from '../../k8s/manifests.ts';
import type { ConnectionQuery, Endpoint, HttpRequest } from './types.ts';

const IDENTIFYING = ['app.kubernetes.io/name', 'app', 'k8s-app', 'name', 'run', 'component'];
const VOLATILE = new Set([
  'pod-template-hash',
  'controller-revision-hash',
  'statefulset.kubernetes.io/pod-name',
  'pod-template-generation',
  'batch.kubernetes.io/controller-uid',
  'controller-uid',
  'batch.kubernetes.io/job-name',
  'job-name',
]);

/** The labels that name a pod's workload, for a selector that picks it and its replicas. */
export function identifyingLabels(pod: Pod): Record<string, string> {
  const labels = pod.metadata.labels ?? {};
  for (const k of IDENTIFYING) if (labels[k] !== undefined) return { [k]: labels[k] };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (!VOLATILE.has(k)) out[k] = v;
  return out;
}

function shortName(e: Endpoint): string {
  if (e.kind === 'ip') return e.ip.replace(/[.:]/g, '-');
  const l = identifyingLabels(e.pod);
  const v = Object.values(l)[0] ?? e.pod.metadata.name;
  return v.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}

function dnsName(parts: string[]): string {
  const s = parts.join('-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  return s.slice(0, 63).replace(/-$/, '');
}

function netpolPeer(peer: Endpoint, policyNs: string): Record<string, unknown> {
  if (peer.kind === 'ip') {
    return { ipBlock: { cidr: `${peer.ip}/${peer.ip.includes(':') ? 128 : 32}` } };
  }
  const ns = peer.pod.metadata.namespace ?? 'default';
  const podSelector = { matchLabels: identifyingLabels(peer.pod) };
  if (ns === policyNs) return { podSelector };
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } }, podSelector };
}

/** A NetworkPolicy allowing exactly this connection on one side. */
export function netpolFix(q: ConnectionQuery, side: 'ingress' | 'egress'): Record<string, unknown> {
  const subject = side === 'ingress' ? q.to : q.from;
  const peer = side === 'ingress' ? q.from : q.to;
  if (subject.kind !== 'pod') throw new Error('only pods have policies');
  const ns = subject.pod.metadata.namespace ?? 'default';
  const name =
    side === 'ingress'
      ? dnsName(['allow', shortName(peer), 'to', shortName(subject), String(q.port)])
      : dnsName(['allow', shortName(subject), 'to', shortName(peer), String(q.port)]);
  const rule = {
    [side === 'ingress' ? 'from' : 'to']: [netpolPeer(peer, ns)],
    ports: [{ protocol: q.protocol, port: q.port }],
  };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: ns },
    spec: {
      podSelector: { matchLabels: identifyingLabels(subject.pod) },
      policyTypes: [side === 'ingress' ? 'Ingress' : 'Egress'],
      [side]: [rule],
    },
  };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A CiliumNetworkPolicy allowing exactly this HTTP request from this client. */
export function l7Fix(q: ConnectionQuery, http: HttpRequest): Record<string, unknown> {
  if (q.to.kind !== 'pod') throw new Error('L7 rules select pods');
  const ns = q.to.pod.metadata.namespace ?? 'default';
  const from =
    q.from.kind === 'pod'
      ? {
          fromEndpoints: [
            {
              matchLabels: {
                ...identifyingLabels(q.from.pod),
                'k8s:io.kubernetes.pod.namespace': q.from.pod.metadata.namespace ?? 'default',
              },
            },
          ],
        }
      : { fromCIDR: [`${q.from.ip}/${q.from.ip.includes(':') ? 128 : 32}`] };
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: {
      name: dnsName(['allow', shortName(q.from), http.method.toLowerCase(), 'to', shortName(q.to)]),
      namespace: ns,
    },
    spec: {
      endpointSelector: { matchLabels: identifyingLabels(q.to.pod) },
      ingress: [
        {
          ...from,
          toPorts: [
            {
              ports: [{ port: String(q.port), protocol: q.protocol }],
              rules: { http: [{ method: escapeRegex(http.method), path: escapeRegex(http.path) }] },
            },
          ],
        },
      ],
    },
  };
}

export function isStandIn(pod: Pod): boolean {
  return pod.metadata.annotations?.[SYNTHESIZED_ANNOTATION] !== undefined;
}
