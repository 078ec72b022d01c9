// The demo lab as Kubernetes objects, so demo mode fills the same cluster model a live cluster
// or a folder of manifests does: namespaces, nodes, pods with IPs and owners, services with
// EndpointSlices, workloads, and the lab's policies.
import type { ClusterModel, ResourceKind } from '../k8s/cluster-model.ts';
import { isResourceKind } from '../k8s/cluster-model.ts';
import type { EndpointSlice, KubeObject, Node, Pod, Service } from '../k8s/objects.ts';
import type { Lab, LabPod } from './lab.ts';

function owner(p: LabPod): { kind: string; name: string } | undefined {
  if (!p.workload) return undefined;
  // Deployments own pods through a ReplicaSet named after the pod's hash.
  if (p.workload.kind === 'Deployment') {
    const rs = p.name.split('-').slice(0, -1).join('-');
    return { kind: 'ReplicaSet', name: rs };
  }
  return p.workload;
}

export function labObjects(lab: Lab): { kind: ResourceKind; object: KubeObject }[] {
  const out: { kind: ResourceKind; object: KubeObject }[] = [];
  const namespaces = new Set<string>();
  for (const p of lab.pods) namespaces.add(p.namespace);
  for (const s of lab.services) namespaces.add(s.namespace);
  for (const ns of [...namespaces].sort()) {
    out.push({ kind: 'Namespace', object: { kind: 'Namespace', metadata: { name: ns } } });
  }
  for (const n of lab.nodes) {
    const node: Node = {
      kind: 'Node',
      metadata: { name: n.name },
      status: { addresses: [{ type: 'InternalIP', address: n.ip }] },
    };
    out.push({ kind: 'Node', object: node });
  }
  const workloads = new Map<string, KubeObject & { kind: string }>();
  for (const p of lab.pods) {
    const own = owner(p);
    const pod: Pod = {
      kind: 'Pod',
      metadata: {
        name: p.name,
        namespace: p.namespace,
        labels: { ...p.labels },
        ...(own ? { ownerReferences: [{ ...own, controller: true }] } : {}),
      },
      spec: { nodeName: p.node },
      status: {
        phase: 'Running',
        podIP: p.ip,
        podIPs: [{ ip: p.ip }],
        conditions: [{ type: 'Ready', status: p.ready === false ? 'False' : 'True' }],
      },
    };
    out.push({ kind: 'Pod', object: pod });
    if (own && p.workload) {
      const wk = `${p.namespace}/${own.kind}/${own.name}`;
      if (!workloads.has(wk)) {
        const parent =
          own.kind === 'ReplicaSet' ? [{ ...p.workload, controller: true }] : undefined;
        workloads.set(wk, {
          kind: own.kind,
          metadata: {
            name: own.name,
            namespace: p.namespace,
            ...(parent ? { ownerReferences: parent } : {}),
          },
        });
        if (parent) {
          workloads.set(`${p.namespace}/${p.workload.kind}/${p.workload.name}`, {
            kind: p.workload.kind,
            metadata: { name: p.workload.name, namespace: p.namespace },
          });
        }
      }
    }
  }
  for (const w of workloads.values()) {
    if (isResourceKind(w.kind)) out.push({ kind: w.kind, object: w });
  }
  for (const s of lab.services) {
    const svc: Service = {
      kind: 'Service',
      metadata: { name: s.name, namespace: s.namespace },
      spec: {
        type: s.type ?? 'ClusterIP',
        ...(s.sessionAffinity ? { sessionAffinity: s.sessionAffinity } : {}),
        clusterIP: s.clusterIP,
        clusterIPs: [s.clusterIP],
        selector: { ...s.selector },
        ports: s.ports.map((p) => ({ ...p })),
      },
    };
    out.push({ kind: 'Service', object: svc });
    const backends = lab.pods.filter(
      (p) =>
        p.namespace === s.namespace &&
        Object.entries(s.selector).every(([k, v]) => p.labels[k] === v),
    );
    const slice: EndpointSlice = {
      kind: 'EndpointSlice',
      metadata: {
        name: `${s.name}-lab`,
        namespace: s.namespace,
        labels: { 'kubernetes.io/service-name': s.name },
      },
      addressType: 'IPv4',
      endpoints: backends.map((p) => ({
        addresses: [p.ip],
        conditions: { ready: p.ready !== false },
        nodeName: p.node,
        targetRef: { kind: 'Pod', name: p.name, namespace: p.namespace },
      })),
      ports: s.ports.map((p) => ({ name: p.name, port: p.targetPort, protocol: p.protocol })),
    };
    out.push({ kind: 'EndpointSlice', object: slice });
  }
  for (const o of lab.objects) {
    const kind = o['kind'];
    if (isResourceKind(kind)) out.push({ kind, object: o as unknown as KubeObject });
  }
  return out;
}

export function loadLab(lab: Lab, model: ClusterModel): void {
  for (const { kind, object } of labObjects(lab)) model.apply(kind, 'ADDED', object);
}
