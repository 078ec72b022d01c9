// One side of a flow as a Peer: Hubble's own endpoint data first (it saw the packet), the
// cluster model by IP for whatever Hubble left out (field masks, older agents, flows seen
// before the pod was known), and reserved identities for what is not a pod.
import type { ClusterView } from '../k8s/cluster-model.ts';
import type { Pod } from '../k8s/objects.ts';
import type { Endpoint } from '../hubble/types.ts';
import type { Peer, PeerKind } from './types.ts';

/** Cilium's reserved identities (pkg/identity numeric ids). */
const RESERVED_IDENTITIES: Record<number, PeerKind> = {
  1: 'host',
  2: 'world',
  6: 'remote-node',
  7: 'kube-apiserver',
  9: 'world',
  10: 'world',
};

const LABEL_SOURCES = new Set(['k8s', 'container', 'unspec', 'any', 'cni']);

/** Labels Cilium adds for its own bookkeeping; they say nothing a user set. */
function isInternal(key: string): boolean {
  return (
    key.startsWith('io.cilium.k8s.') ||
    key === 'io.kubernetes.pod.namespace' ||
    key.startsWith('io.cilium.') ||
    key === 'io.kubernetes.pod.name'
  );
}

/**
 * `k8s:app=web` → `app=web`; reserved, cidr and fqdn labels keep their prefix because it is
 * their meaning (`reserved:world`, `fqdn:api.github.com`).
 */
export function displayLabels(labels: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const l of labels ?? []) {
    const i = l.indexOf(':');
    const source = i < 0 ? '' : l.slice(0, i);
    if (!LABEL_SOURCES.has(source)) {
      out.push(l);
      continue;
    }
    const kv = l.slice(i + 1);
    const key = kv.split('=', 1)[0]!;
    if (!isInternal(key)) out.push(kv);
  }
  return out;
}

export function labelMap(labels: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) {
    if (l.startsWith('reserved:') || l.startsWith('cidr:') || l.startsWith('fqdn:')) continue;
    const eq = l.indexOf('=');
    if (eq < 0) out[l] = '';
    else out[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return out;
}

export function reservedKind(ep: Endpoint | undefined): PeerKind | undefined {
  const labels = ep?.labels ?? [];
  if (labels.includes('reserved:kube-apiserver')) return 'kube-apiserver';
  if (labels.includes('reserved:host')) return 'host';
  if (labels.includes('reserved:remote-node')) return 'remote-node';
  if (labels.some((l) => l === 'reserved:world' || l.startsWith('reserved:world-'))) return 'world';
  return ep?.identity !== undefined ? RESERVED_IDENTITIES[ep.identity] : undefined;
}

/** `cluster/node` (how Relay names nodes) → `node`. */
export function bareNodeName(name: string): string {
  const i = name.lastIndexOf('/');
  return i < 0 ? name : name.slice(i + 1);
}

const PRIVATE_V4 = [
  /^10\./,
  /^192\.168\./,
  /^172\.(1[6-9]|2\d|3[01])\./,
  /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./,
  /^127\./,
  /^169\.254\./,
];

function isPrivate(ip: string): boolean {
  if (ip.includes(':')) {
    const l = ip.toLowerCase();
    return l.startsWith('fc') || l.startsWith('fd') || l.startsWith('fe80') || l === '::1';
  }
  return PRIVATE_V4.some((re) => re.test(ip));
}

export interface PeerContext {
  model: ClusterView;
  /** The node that observed the flow (Relay's `cluster/node` form is fine). */
  observedOn: string;
}

function podPeer(
  base: Peer,
  pod: Pod | undefined,
  ep: Endpoint | undefined,
  ctx: PeerContext,
): Peer {
  const ns = ep?.namespace || pod?.metadata.namespace;
  const name = ep?.pod_name || pod?.metadata.name;
  const peer: Peer = { ...base, kind: 'pod' };
  if (ns) peer.namespace = ns;
  if (name) peer.pod = name;
  const w = ep?.workloads?.[0];
  if (w?.name && w.kind) peer.workload = { kind: w.kind, name: w.name };
  else if (pod)
    peer.workload = ctx.model.workloadOf(pod) ?? { kind: 'Pod', name: pod.metadata.name };
  else if (name) peer.workload = { kind: 'Pod', name };
  if (peer.labels.length === 0 && pod?.metadata.labels) {
    peer.labels = Object.entries(pod.metadata.labels).map(([k, v]) => `${k}=${v}`);
  }
  if (pod?.spec?.nodeName) peer.node = pod.spec.nodeName;
  if (pod) {
    const svc = ctx.model.servicesSelecting(pod)[0];
    if (svc) peer.service = `${svc.metadata.namespace}/${svc.metadata.name}`;
  }
  return peer;
}

/** Builds one side of a flow. */
export function resolvePeer(
  ep: Endpoint | undefined,
  ip: string,
  port: number | undefined,
  names: readonly string[] | undefined,
  ctx: PeerContext,
): Peer {
  const base: Peer = { ip, kind: 'unknown', labels: displayLabels(ep?.labels) };
  if (port !== undefined) base.port = port;
  if (ep?.identity !== undefined) base.identity = ep.identity;
  const allNames = [...(names ?? [])];
  for (const l of ep?.labels ?? []) if (l.startsWith('fqdn:')) allNames.push(l.slice(5));
  if (allNames.length > 0) base.names = [...new Set(allNames)];

  const model = ctx.model;
  if (ep?.pod_name && ep.namespace) {
    return podPeer(base, model.pod(ep.namespace, ep.pod_name) ?? model.podByIP(ip), ep, ctx);
  }
  const reserved = reservedKind(ep);
  if (reserved) return nonPod(base, reserved, ctx);

  // Hubble said nothing useful: the model by IP.
  const svc = ip ? model.serviceByClusterIP(ip) : undefined;
  if (svc) {
    return {
      ...base,
      kind: 'service',
      namespace: svc.metadata.namespace,
      service: `${svc.metadata.namespace}/${svc.metadata.name}`,
    };
  }
  const pod = ip ? model.podByIP(ip) : undefined;
  if (pod && !pod.spec?.hostNetwork) return podPeer(base, pod, ep, ctx);
  const node = ip ? model.nodeByIP(ip) : undefined;
  if (node || pod) {
    const nodeName = node?.metadata.name ?? pod?.spec?.nodeName ?? '';
    const local = nodeName === bareNodeName(ctx.observedOn);
    return { ...base, kind: local ? 'host' : 'remote-node', node: nodeName };
  }
  if (ip && !isPrivate(ip)) return { ...base, kind: 'world' };
  return base;
}

function nonPod(base: Peer, kind: PeerKind, ctx: PeerContext): Peer {
  const peer: Peer = { ...base, kind };
  if (kind === 'host') peer.node = bareNodeName(ctx.observedOn);
  else if (kind === 'remote-node') {
    const node = base.ip ? ctx.model.nodeByIP(base.ip) : undefined;
    if (node) peer.node = node.metadata.name;
  }
  return peer;
}
