// The cluster model: a pure, indexed snapshot of the Kubernetes objects flowlens reads. Live
// watches and offline manifests both feed it through `apply` / `replace` (a reducer over watch
// events, no I/O), and everything downstream (policy/, enrich/, map/) reads it through the
// ClusterView queries. Every change bumps a monotonic revision and is announced as a typed
// ModelChange, so later features can show when a policy changed.
import type {
  CiliumNetworkPolicy,
  EndpointSlice,
  KubeObject,
  Namespace,
  NetworkPolicy,
  Node,
  OwnerReference,
  Pod,
  Service,
  Workload,
} from './objects.ts';

export const RESOURCE_KINDS = [
  'Namespace',
  'Pod',
  'Service',
  'EndpointSlice',
  'NetworkPolicy',
  'CiliumNetworkPolicy',
  'CiliumClusterwideNetworkPolicy',
  'Node',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

export function isResourceKind(kind: unknown): kind is ResourceKind {
  return typeof kind === 'string' && (RESOURCE_KINDS as readonly string[]).includes(kind);
}

/** Kinds that live in a namespace; the others are cluster-scoped. */
export const CLUSTER_SCOPED: ReadonlySet<ResourceKind> = new Set([
  'Namespace',
  'Node',
  'CiliumClusterwideNetworkPolicy',
]);

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ModelChange {
  /** The model revision this change produced (monotonic, starts at 1). */
  revision: number;
  type: 'added' | 'modified' | 'deleted';
  kind: ResourceKind;
  namespace?: string;
  name: string;
  /** Wall-clock milliseconds when the model applied it. */
  time: number;
  /** The object after the change (before it, for deletions). */
  object: KubeObject;
}

export interface WorkloadRef {
  kind: string;
  name: string;
}

export interface ServiceBackend {
  ip: string;
  ready: boolean;
  pod?: Pod;
  nodeName?: string;
}

/** The read-only queries the rest of flowlens uses. */
export interface ClusterView {
  readonly revision: number;
  namespaces(): Namespace[];
  namespace(name: string): Namespace | undefined;
  /** A namespace's labels including the automatic `kubernetes.io/metadata.name`. */
  namespaceLabels(name: string): Record<string, string>;
  pods(namespace?: string): Pod[];
  pod(namespace: string, name: string): Pod | undefined;
  /** The pod with this IP; a hostNetwork pod answers only if no other pod has the IP. */
  podByIP(ip: string): Pod | undefined;
  /** Pods that share the node's IP by running with hostNetwork. */
  hostNetworkPodsOn(nodeName: string): Pod[];
  services(namespace?: string): Service[];
  service(namespace: string, name: string): Service | undefined;
  serviceByClusterIP(ip: string): Service | undefined;
  /** Services in the pod's namespace whose selector picks the pod. */
  servicesSelecting(pod: Pod): Service[];
  endpointSlicesOf(namespace: string, serviceName: string): EndpointSlice[];
  serviceBackends(namespace: string, serviceName: string): ServiceBackend[];
  /** The top controller of a pod (ReplicaSet → Deployment, Job → CronJob), or its direct owner. */
  workloadOf(pod: Pod): WorkloadRef | undefined;
  networkPolicies(namespace?: string): NetworkPolicy[];
  ciliumNetworkPolicies(namespace?: string): CiliumNetworkPolicy[];
  ciliumClusterwidePolicies(): CiliumNetworkPolicy[];
  nodes(): Node[];
  node(name: string): Node | undefined;
  nodeByIP(ip: string): Node | undefined;
  /** Every object of a kind (optionally in one namespace), sorted by namespace/name. */
  objects(kind: ResourceKind, namespace?: string): KubeObject[];
  /** Object counts per kind. */
  counts(): Partial<Record<ResourceKind, number>>;
}

export type ChangeListener = (change: ModelChange) => void;

function key(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function podIPs(pod: Pod): string[] {
  const ips = new Set<string>();
  for (const p of pod.status?.podIPs ?? []) if (p.ip) ips.add(p.ip);
  if (pod.status?.podIP) ips.add(pod.status.podIP);
  return [...ips];
}

export function serviceClusterIPs(svc: Service): string[] {
  const ips = new Set<string>();
  for (const ip of svc.spec?.clusterIPs ?? []) if (ip && ip !== 'None') ips.add(ip);
  const ip = svc.spec?.clusterIP;
  if (ip && ip !== 'None') ips.add(ip);
  return [...ips];
}

export function nodeIPs(node: Node): string[] {
  return (node.status?.addresses ?? [])
    .filter((a) => a.type === 'InternalIP' || a.type === 'ExternalIP')
    .map((a) => a.address);
}

/** `selector` (a Service's plain map) matches these labels. An empty selector matches nothing. */
export function selectorMapMatches(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  for (const [k, v] of Object.entries(selector)) if (labels?.[k] !== v) return false;
  return true;
}

const byName = (a: KubeObject, b: KubeObject) =>
  key(a.metadata.namespace, a.metadata.name).localeCompare(
    key(b.metadata.namespace, b.metadata.name),
  );

export class ClusterModel implements ClusterView {
  private rev = 0;
  private readonly store = new Map<ResourceKind, Map<string, KubeObject>>();
  private readonly podsByIP = new Map<string, Set<string>>();
  private readonly servicesByIP = new Map<string, string>();
  private readonly nodesByIP = new Map<string, string>();
  private readonly slicesByService = new Map<string, Set<string>>();
  private readonly listeners = new Set<ChangeListener>();
  /** servicesSelecting answers by pod key; any Service or Pod change clears it. */
  private readonly selectingCache = new Map<string, Service[]>();

  constructor(private readonly now: () => number = Date.now) {
    for (const k of RESOURCE_KINDS) this.store.set(k, new Map());
  }

  get revision(): number {
    return this.rev;
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Applies one watch event. Returns the change, or undefined when nothing changed (an ADDED
   * or MODIFIED with the resourceVersion already held, or a DELETED of an unknown object).
   */
  apply(kind: ResourceKind, type: WatchEventType, object: KubeObject): ModelChange | undefined {
    const ns = CLUSTER_SCOPED.has(kind) ? undefined : object.metadata.namespace;
    const k = key(ns, object.metadata.name);
    const objects = this.store.get(kind)!;
    const previous = objects.get(k);
    if (type === 'DELETED') {
      if (!previous) return undefined;
      this.unindex(kind, k, previous);
      objects.delete(k);
      return this.emit('deleted', kind, ns, object.metadata.name, previous);
    }
    const rv = object.metadata.resourceVersion;
    if (previous && rv !== undefined && previous.metadata.resourceVersion === rv) return undefined;
    const stored = { ...object, kind: object.kind ?? kind };
    if (previous) this.unindex(kind, k, previous);
    objects.set(k, stored);
    this.index(kind, k, stored);
    return this.emit(previous ? 'modified' : 'added', kind, ns, object.metadata.name, stored);
  }

  /**
   * Replaces every object of a kind (a fresh list, e.g. after a 410 relist): applies the
   * differences only, so unchanged objects produce no change. With `namespace`, only that
   * namespace's objects are replaced.
   */
  replace(kind: ResourceKind, objects: KubeObject[], namespace?: string): ModelChange[] {
    const changes: ModelChange[] = [];
    const seen = new Set<string>();
    for (const o of objects) {
      const ns = CLUSTER_SCOPED.has(kind) ? undefined : o.metadata.namespace;
      seen.add(key(ns, o.metadata.name));
      const c = this.apply(kind, 'ADDED', o);
      if (c) changes.push(c);
    }
    for (const [k, o] of [...this.store.get(kind)!]) {
      if (seen.has(k)) continue;
      if (namespace !== undefined && o.metadata.namespace !== namespace) continue;
      const c = this.apply(kind, 'DELETED', o);
      if (c) changes.push(c);
    }
    return changes;
  }

  private emit(
    type: ModelChange['type'],
    kind: ResourceKind,
    namespace: string | undefined,
    name: string,
    object: KubeObject,
  ): ModelChange {
    this.rev += 1;
    if (kind === 'Service' || kind === 'Pod') this.selectingCache.clear();
    const change: ModelChange = { revision: this.rev, type, kind, name, time: this.now(), object };
    if (namespace) change.namespace = namespace;
    for (const l of this.listeners) l(change);
    return change;
  }

  private index(kind: ResourceKind, k: string, o: KubeObject): void {
    if (kind === 'Pod') {
      for (const ip of podIPs(o as Pod)) {
        let set = this.podsByIP.get(ip);
        if (!set) this.podsByIP.set(ip, (set = new Set()));
        set.add(k);
      }
    } else if (kind === 'Service') {
      for (const ip of serviceClusterIPs(o as Service)) this.servicesByIP.set(ip, k);
    } else if (kind === 'Node') {
      for (const ip of nodeIPs(o as Node)) this.nodesByIP.set(ip, k);
    } else if (kind === 'EndpointSlice') {
      const svc = o.metadata.labels?.['kubernetes.io/service-name'];
      if (svc) {
        const sk = key(o.metadata.namespace, svc);
        let set = this.slicesByService.get(sk);
        if (!set) this.slicesByService.set(sk, (set = new Set()));
        set.add(k);
      }
    }
  }

  private unindex(kind: ResourceKind, k: string, o: KubeObject): void {
    if (kind === 'Pod') {
      for (const ip of podIPs(o as Pod)) {
        const set = this.podsByIP.get(ip);
        set?.delete(k);
        if (set?.size === 0) this.podsByIP.delete(ip);
      }
    } else if (kind === 'Service') {
      for (const ip of serviceClusterIPs(o as Service)) {
        if (this.servicesByIP.get(ip) === k) this.servicesByIP.delete(ip);
      }
    } else if (kind === 'Node') {
      for (const ip of nodeIPs(o as Node)) {
        if (this.nodesByIP.get(ip) === k) this.nodesByIP.delete(ip);
      }
    } else if (kind === 'EndpointSlice') {
      const svc = o.metadata.labels?.['kubernetes.io/service-name'];
      if (svc) {
        const sk = key(o.metadata.namespace, svc);
        const set = this.slicesByService.get(sk);
        set?.delete(k);
        if (set?.size === 0) this.slicesByService.delete(sk);
      }
    }
  }

  /** Sorted lists by kind and namespace, valid for one revision: queries return them shared. */
  private readonly lists = new Map<string, KubeObject[]>();
  private listsRevision = -1;

  private list<T extends KubeObject>(kind: ResourceKind, namespace?: string): T[] {
    if (this.listsRevision !== this.rev) {
      this.lists.clear();
      this.listsRevision = this.rev;
    }
    const k = `${kind}/${namespace ?? '*'}`;
    let out = this.lists.get(k);
    if (!out) {
      const all = [...this.store.get(kind)!.values()];
      out = (
        namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace)
      ).sort(byName);
      this.lists.set(k, out);
    }
    // Callers may filter or map, never mutate: a copy per call would undo the cache.
    return out as T[];
  }

  private get<T extends KubeObject>(kind: ResourceKind, k: string): T | undefined {
    return this.store.get(kind)!.get(k) as T | undefined;
  }

  namespaces(): Namespace[] {
    return this.list<Namespace>('Namespace');
  }

  namespace(name: string): Namespace | undefined {
    return this.get<Namespace>('Namespace', name);
  }

  private readonly nsLabels = new Map<string, Record<string, string>>();
  private nsLabelsRevision = -1;

  namespaceLabels(name: string): Record<string, string> {
    // Policy evaluation asks this for every peer it considers: one object per revision.
    if (this.nsLabelsRevision !== this.rev) {
      this.nsLabels.clear();
      this.nsLabelsRevision = this.rev;
    }
    let out = this.nsLabels.get(name);
    if (!out) {
      const labels = this.namespace(name)?.metadata.labels ?? {};
      out = { ...labels, 'kubernetes.io/metadata.name': name };
      this.nsLabels.set(name, out);
    }
    return out;
  }

  pods(namespace?: string): Pod[] {
    return this.list<Pod>('Pod', namespace);
  }

  pod(namespace: string, name: string): Pod | undefined {
    return this.get<Pod>('Pod', key(namespace, name));
  }

  podByIP(ip: string): Pod | undefined {
    const keys = this.podsByIP.get(ip);
    if (!keys) return undefined;
    let fallback: Pod | undefined;
    for (const k of keys) {
      const pod = this.get<Pod>('Pod', k);
      if (!pod) continue;
      if (!pod.spec?.hostNetwork && !isFinished(pod)) return pod;
      fallback ??= pod;
    }
    return fallback;
  }

  hostNetworkPodsOn(nodeName: string): Pod[] {
    return this.pods().filter((p) => p.spec?.hostNetwork && p.spec.nodeName === nodeName);
  }

  services(namespace?: string): Service[] {
    return this.list<Service>('Service', namespace);
  }

  service(namespace: string, name: string): Service | undefined {
    return this.get<Service>('Service', key(namespace, name));
  }

  serviceByClusterIP(ip: string): Service | undefined {
    const k = this.servicesByIP.get(ip);
    return k ? this.get<Service>('Service', k) : undefined;
  }

  servicesSelecting(pod: Pod): Service[] {
    const ns = pod.metadata.namespace;
    if (!ns) return [];
    // Only pods the model holds are cached: a caller's ad-hoc pod may carry other labels.
    const k = key(ns, pod.metadata.name);
    const cacheable = this.get<Pod>('Pod', k) === pod;
    const hit = cacheable ? this.selectingCache.get(k) : undefined;
    if (hit) return hit;
    const out = this.services(ns).filter((s) =>
      selectorMapMatches(s.spec?.selector, pod.metadata.labels),
    );
    if (cacheable) this.selectingCache.set(k, out);
    return out;
  }

  endpointSlicesOf(namespace: string, serviceName: string): EndpointSlice[] {
    const keys = this.slicesByService.get(key(namespace, serviceName));
    if (!keys) return [];
    return [...keys]
      .map((k) => this.get<EndpointSlice>('EndpointSlice', k))
      .filter((s): s is EndpointSlice => s !== undefined)
      .sort(byName);
  }

  serviceBackends(namespace: string, serviceName: string): ServiceBackend[] {
    const slices = this.endpointSlicesOf(namespace, serviceName);
    const out: ServiceBackend[] = [];
    const seen = new Set<string>();
    if (slices.length > 0) {
      for (const slice of slices) {
        for (const ep of slice.endpoints ?? []) {
          for (const ip of ep.addresses) {
            if (seen.has(ip)) continue;
            seen.add(ip);
            const ref = ep.targetRef;
            const pod =
              ref?.kind === 'Pod' && ref.name
                ? this.pod(ref.namespace ?? namespace, ref.name)
                : this.podByIP(ip);
            const backend: ServiceBackend = { ip, ready: ep.conditions?.ready !== false };
            if (pod) backend.pod = pod;
            const nodeName = ep.nodeName ?? pod?.spec?.nodeName;
            if (nodeName) backend.nodeName = nodeName;
            out.push(backend);
          }
        }
      }
      return out;
    }
    // No EndpointSlices known (offline manifests): the selector's running pods stand in.
    const svc = this.service(namespace, serviceName);
    for (const pod of this.pods(namespace)) {
      if (!selectorMapMatches(svc?.spec?.selector, pod.metadata.labels) || isFinished(pod))
        continue;
      const ips = podIPs(pod);
      const backend: ServiceBackend = { ip: ips[0] ?? '', ready: true, pod };
      if (pod.spec?.nodeName) backend.nodeName = pod.spec.nodeName;
      out.push(backend);
    }
    return out;
  }

  workloadOf(pod: Pod): WorkloadRef | undefined {
    const ns = pod.metadata.namespace;
    let owner: OwnerReference | undefined = controllerOf(pod);
    if (!owner) return undefined;
    let ref: WorkloadRef = { kind: owner.kind, name: owner.name };
    // Climb at most two levels: ReplicaSet → Deployment, Job → CronJob.
    for (let depth = 0; depth < 2; depth++) {
      if (!isResourceKind(ref.kind)) break;
      const parentObj = this.get<Workload>(ref.kind, key(ns, ref.name));
      owner = parentObj ? controllerOf(parentObj) : undefined;
      if (!owner) {
        // Without the ReplicaSet object, its pod-template-hash suffix still names the Deployment.
        if (!parentObj && ref.kind === 'ReplicaSet') {
          const hash = pod.metadata.labels?.['pod-template-hash'];
          if (hash && ref.name.endsWith(`-${hash}`)) {
            ref = { kind: 'Deployment', name: ref.name.slice(0, -hash.length - 1) };
          }
        }
        break;
      }
      ref = { kind: owner.kind, name: owner.name };
    }
    return ref;
  }

  networkPolicies(namespace?: string): NetworkPolicy[] {
    return this.list<NetworkPolicy>('NetworkPolicy', namespace);
  }

  ciliumNetworkPolicies(namespace?: string): CiliumNetworkPolicy[] {
    return this.list<CiliumNetworkPolicy>('CiliumNetworkPolicy', namespace);
  }

  ciliumClusterwidePolicies(): CiliumNetworkPolicy[] {
    return this.list<CiliumNetworkPolicy>('CiliumClusterwideNetworkPolicy');
  }

  nodes(): Node[] {
    return this.list<Node>('Node');
  }

  node(name: string): Node | undefined {
    return this.get<Node>('Node', name);
  }

  nodeByIP(ip: string): Node | undefined {
    const k = this.nodesByIP.get(ip);
    return k ? this.get<Node>('Node', k) : undefined;
  }

  objects(kind: ResourceKind, namespace?: string): KubeObject[] {
    return this.list(kind, namespace);
  }

  counts(): Partial<Record<ResourceKind, number>> {
    const out: Partial<Record<ResourceKind, number>> = {};
    for (const [kind, objects] of this.store) if (objects.size > 0) out[kind] = objects.size;
    return out;
  }
}

function controllerOf(o: KubeObject) {
  const refs = o.metadata.ownerReferences ?? [];
  return refs.find((r) => r.controller) ?? refs[0];
}

function isFinished(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}
