// client-node objects → our own objects.ts shape. Everything that crosses from the client
// library into flowlens goes through `toKubeObject`, so nothing past k8s/ sees a client type.
//
// Two shapes arrive: typed list results (client-node 1.x deserializes them into model classes
// with Date timestamps and a few renamed fields, e.g. NetworkPolicy ingress `from` → `_from`)
// and raw JSON from watch streams and custom-object lists. Both are normalised to the wire JSON
// the API server sent, which is also what YAML manifests contain; without this, a pod listed at
// startup and the same pod modified by a watch event would differ in shape.
import type { KubeObject, Pod } from './objects.ts';
import type { ResourceKind } from './cluster-model.ts';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

interface AttributeInfo {
  name: string;
  baseName: string;
}

interface ModelClass {
  getAttributeTypeMap?: () => AttributeInfo[];
}

/**
 * A deserialized client-node value back to its wire JSON: Dates → RFC 3339 strings, model
 * attributes → their wire names, undefined fields dropped.
 */
export function toWire(value: unknown): Json | undefined {
  if (value === null) return null;
  if (value instanceof Date) return rfc3339(value);
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (const v of value) {
      const w = toWire(v);
      if (w !== undefined) out.push(w);
    }
    return out;
  }
  if (typeof value === 'object') {
    // A generated model class knows its own wire names; plain objects (raw JSON, label maps)
    // keep their keys exactly. Renaming by pattern instead would corrupt label keys.
    const ctor = (value as { constructor?: ModelClass }).constructor;
    const names = new Map<string, string>();
    if (ctor && ctor !== Object && typeof ctor.getAttributeTypeMap === 'function') {
      for (const a of ctor.getAttributeTypeMap()) names.set(a.name, a.baseName);
    }
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const w = toWire(v);
      if (w !== undefined) out[names.get(k) ?? k] = w;
    }
    return out;
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  return undefined;
}

/** The API server writes seconds precision (`2024-05-01T10:00:00Z`); Date adds `.000`. */
function rfc3339(d: Date): string {
  if (Number.isNaN(d.getTime())) return '';
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * One object from the API (typed or raw) as our KubeObject, or an error message when it is not
 * an object with a name. Drops what flowlens never reads and what dominates memory on a big
 * cluster: managedFields and the last-applied annotation (often larger than the object), and
 * for pods everything but the fields the model and enrichment read.
 */
export function toKubeObject(kind: ResourceKind, raw: unknown): KubeObject | string {
  const wire = toWire(raw);
  if (wire === null || typeof wire !== 'object' || Array.isArray(wire)) {
    return `${kind}: not an object`;
  }
  const meta = wire.metadata;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
    return `${kind}: no metadata`;
  }
  if (typeof meta.name !== 'string' || meta.name === '') return `${kind}: no metadata.name`;
  delete meta.managedFields;
  const annotations = meta.annotations;
  if (annotations && typeof annotations === 'object' && !Array.isArray(annotations)) {
    delete annotations[LAST_APPLIED];
  }
  const obj = wire as unknown as KubeObject;
  obj.kind ??= kind;
  return kind === 'Pod' ? slimPod(obj as Pod) : obj;
}

type PodContainer = NonNullable<NonNullable<Pod['spec']>['containers']>[number];

/** A pod with only what flowlens reads; a full pod spec is several KB and there may be 100k. */
function slimPod(pod: Pod): Pod {
  const out: Pod = { kind: 'Pod', metadata: pod.metadata };
  if (pod.apiVersion) out.apiVersion = pod.apiVersion;
  const spec = pod.spec;
  if (spec) {
    const s: NonNullable<Pod['spec']> = {};
    if (spec.nodeName) s.nodeName = spec.nodeName;
    if (spec.hostNetwork !== undefined) s.hostNetwork = spec.hostNetwork;
    if (spec.containers) s.containers = spec.containers.map(slimContainer);
    if (spec.initContainers) s.initContainers = spec.initContainers.map(slimContainer);
    const sa = (spec as { serviceAccountName?: unknown }).serviceAccountName;
    if (typeof sa === 'string') (s as { serviceAccountName?: string }).serviceAccountName = sa;
    out.spec = s;
  }
  const status = pod.status;
  if (status) {
    const s: NonNullable<Pod['status']> = {};
    if (status.phase) s.phase = status.phase;
    if (status.podIP) s.podIP = status.podIP;
    if (status.podIPs) s.podIPs = status.podIPs.map((p) => ({ ip: p.ip }));
    if (status.hostIP) s.hostIP = status.hostIP;
    if (status.conditions) {
      s.conditions = status.conditions.map((c) => ({ type: c.type, status: c.status }));
    }
    out.status = s;
  }
  return out;
}

function slimContainer(c: PodContainer): PodContainer {
  return c.ports ? { name: c.name, ports: c.ports } : { name: c.name };
}
