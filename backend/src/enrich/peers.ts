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
  cache?: PodFactsCache;
}

/** What a pod peer carries besides its address and port: the same for every flow of the pod. */
interface PodFacts {
  namespace?: string;
  pod?: string;
  workload?: { kind: string; name: string };
  labels: string[];
  node?: string;
  service?: string;
}

/** The last facts made for an address, with what they were made from. */
interface Slot {
  namespace: string;
  pod: string;
  identity: number | undefined;
  labelCount: number;
  facts: PodFacts;
}

/**
 * Pod facts by (namespace, pod, identity, Hubble's label count, address), valid for one model
 * revision: the hot path then looks a pod up once, not on every flow. The first probe is by the
 * address alone (the decoder hands out one string per address, whose hash V8 keeps, so it costs
 * no key building); an address seen with two endpoints falls back to the composite key.
 */
export class PodFactsCache {
  private revision = -1;
  private readonly facts = new Map<string, PodFacts>();
  private readonly byAddress = new Map<string, Slot>();
  /** Bounds the cache between model changes (pod churn without a revision is impossible). */
  private static readonly MAX = 50_000;

  get(model: ClusterView, k: string, make: () => PodFacts): PodFacts {
    this.sync(model);
    let f = this.facts.get(k);
    if (!f) {
      if (this.facts.size >= PodFactsCache.MAX) this.facts.clear();
      f = make();
      this.facts.set(k, f);
    }
    return f;
  }

  /** Facts for Hubble's endpoint at this address, if made before under this revision. */
  endpoint(model: ClusterView, ep: Endpoint, ip: string): PodFacts | undefined {
    this.sync(model);
    const s = this.byAddress.get(ip);
    if (
      s &&
      s.namespace === ep.namespace &&
      s.pod === ep.pod_name &&
      s.identity === ep.identity &&
      s.labelCount === (ep.labels?.length ?? 0)
    ) {
      return s.facts;
    }
    return this.facts.get(endpointKey(ep, ip));
  }

  setEndpoint(ep: Endpoint, ip: string, facts: PodFacts): void {
    if (this.byAddress.size >= PodFactsCache.MAX) this.byAddress.clear();
    if (this.facts.size >= PodFactsCache.MAX) this.facts.clear();
    this.byAddress.set(ip, {
      namespace: ep.namespace ?? '',
      pod: ep.pod_name ?? '',
      identity: ep.identity,
      labelCount: ep.labels?.length ?? 0,
      facts,
    });
    this.facts.set(endpointKey(ep, ip), facts);
  }

  private sync(model: ClusterView): void {
    if (model.revision !== this.revision) {
      this.facts.clear();
      this.byAddress.clear();
      this.revision = model.revision;
    }
  }
}

function endpointKey(ep: Endpoint, ip: string): string {
  return `${ep.namespace}/${ep.pod_name}/${ep.identity ?? ''}/${ep.labels?.length ?? 0}/${ip}`;
}

function podFacts(pod: Pod | undefined, ep: Endpoint | undefined, ctx: PeerContext): PodFacts {
  const ns = ep?.namespace || pod?.metadata.namespace;
  const name = ep?.pod_name || pod?.metadata.name;
  const f: PodFacts = { labels: displayLabels(ep?.labels) };
  if (ns) f.namespace = ns;
  if (name) f.pod = name;
  const w = ep?.workloads?.[0];
  if (w?.name && w.kind) f.workload = { kind: w.kind, name: w.name };
  else if (pod) f.workload = ctx.model.workloadOf(pod) ?? { kind: 'Pod', name: pod.metadata.name };
  else if (name) f.workload = { kind: 'Pod', name };
  if (f.labels.length === 0 && pod?.metadata.labels) {
    f.labels = Object.entries(pod.metadata.labels).map(([k, v]) => `${k}=${v}`);
  }
  if (pod?.spec?.nodeName) f.node = pod.spec.nodeName;
  if (pod) {
    const svc = ctx.model.servicesSelecting(pod)[0];
    if (svc) f.service = `${svc.metadata.namespace}/${svc.metadata.name}`;
  }
  return f;
}

/**
 * Every peer gets all fields in one order (absent ones undefined, which JSON leaves out): one
 * object shape for the engine instead of dozens, which matters at tens of thousands of flows
 * per second.
 */
function newPeer(ip: string, port: number | undefined, identity: number | undefined): Peer {
  return {
    ip,
    port,
    kind: 'unknown',
    namespace: undefined,
    pod: undefined,
    workload: undefined,
    service: undefined,
    labels: [],
    names: undefined,
    identity,
    node: undefined,
  };
}

function podPeer(peer: Peer, f: PodFacts): Peer {
  // Arrays are shared between flows of the same pod: consumers treat peers as read-only.
  peer.kind = 'pod';
  peer.labels = f.labels;
  peer.namespace = f.namespace;
  peer.pod = f.pod;
  peer.workload = f.workload;
  peer.node = f.node;
  peer.service = f.service;
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
  const base = newPeer(ip, port, ep?.identity);
  let allNames: string[] | undefined = names && names.length > 0 ? [...names] : undefined;
  for (const l of ep?.labels ?? []) if (l.startsWith('fqdn:')) (allNames ??= []).push(l.slice(5));
  if (allNames) base.names = allNames.length > 1 ? [...new Set(allNames)] : allNames;

  const model = ctx.model;
  if (ep?.pod_name && ep.namespace) {
    let facts = ctx.cache?.endpoint(model, ep, ip);
    if (!facts) {
      facts = podFacts(model.pod(ep.namespace, ep.pod_name) ?? model.podByIP(ip), ep, ctx);
      ctx.cache?.setEndpoint(ep, ip, facts);
    }
    return podPeer(base, facts);
  }
  base.labels = displayLabels(ep?.labels);
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
  if (pod && !pod.spec?.hostNetwork) {
    const make = () => podFacts(pod, ep, ctx);
    return podPeer(
      base,
      ctx.cache ? ctx.cache.get(model, `ip:${ip}/${base.labels.length}`, make) : make(),
    );
  }
  const node = ip ? model.nodeByIP(ip) : undefined;
  if (node || pod) {
    const nodeName = node?.metadata.name ?? pod?.spec?.nodeName ?? '';
    base.kind = nodeName === bareNodeName(ctx.observedOn) ? 'host' : 'remote-node';
    base.node = nodeName;
    return base;
  }
  if (ip && !isPrivate(ip)) base.kind = 'world';
  return base;
}

function nonPod(peer: Peer, kind: PeerKind, ctx: PeerContext): Peer {
  peer.kind = kind;
  if (kind === 'host') peer.node = bareNodeName(ctx.observedOn);
  else if (kind === 'remote-node') {
    const node = peer.ip ? ctx.model.nodeByIP(peer.ip) : undefined;
    if (node) peer.node = node.metadata.name;
  }
  return peer;
}
