// One identity module for the whole product: the ids of service-map nodes and edges, and of the
// workloads and services flows are grouped by. The backend builds the map with these ids and
// the frontend (which imports this very file) looks them up, so a rule never exists twice.
// Pure: no Node or browser APIs.

export type MapNodeKind =
  'workload' | 'service' | 'pod' | 'world' | 'host' | 'remote-node' | 'kube-apiserver' | 'unknown';

/** `workload:ns/Kind/name` — a Deployment, StatefulSet, DaemonSet, Job, CronJob or bare pod. */
export function workloadId(namespace: string, kind: string, name: string): string {
  return `workload:${namespace}/${kind}/${name}`;
}

export function serviceId(namespace: string, name: string): string {
  return `service:${namespace}/${name}`;
}

export function podId(namespace: string, name: string): string {
  return `pod:${namespace}/${name}`;
}

/** Outside the cluster, grouped by DNS name when one is known, else by address or CIDR. */
export function worldId(nameOrCidr: string): string {
  return `world:${nameOrCidr}`;
}

export function hostId(node: string): string {
  return `host:${node}`;
}

export function remoteNodeId(node: string): string {
  return `remote-node:${node}`;
}

export const KUBE_APISERVER_ID = 'kube-apiserver';

export function unknownId(ip: string): string {
  return `unknown:${ip}`;
}

/** An edge: who talked to whom on which port and protocol (replies fold into the request). */
export function edgeId(
  from: string,
  to: string,
  port: number | undefined,
  protocol: string,
): string {
  return `${from}→${to}:${port ?? '*'}/${protocol}`;
}

export function kindOfId(id: string): MapNodeKind {
  if (id === KUBE_APISERVER_ID) return 'kube-apiserver';
  const i = id.indexOf(':');
  const prefix = i < 0 ? id : id.slice(0, i);
  switch (prefix) {
    case 'workload':
    case 'service':
    case 'pod':
    case 'world':
    case 'host':
    case 'remote-node':
      return prefix;
    default:
      return 'unknown';
  }
}

/** `ns/name` for a namespaced thing, as shown to users and in PolicyRef-like strings. */
export function qualified(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
