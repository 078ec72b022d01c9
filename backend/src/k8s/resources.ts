// The resources flowlens watches: where each lives in the API, and how client-node lists it.
// One table, so the watch paths, the list calls and the RBAC rules in deploy/ cannot drift
// apart one resource at a time (tests/deploy checks the ClusterRole against RESOURCES).
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  NetworkingV1Api,
} from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ResourceKind } from './cluster-model.ts';

export interface ResourceDef {
  kind: ResourceKind;
  /** API group; '' for the core group. */
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  /** Served by a CRD that may not be installed: a 404 means "absent", not "broken". */
  crd: boolean;
}

export const RESOURCES: readonly ResourceDef[] = [
  {
    kind: 'Namespace',
    group: '',
    version: 'v1',
    plural: 'namespaces',
    namespaced: false,
    crd: false,
  },
  { kind: 'Node', group: '', version: 'v1', plural: 'nodes', namespaced: false, crd: false },
  { kind: 'Pod', group: '', version: 'v1', plural: 'pods', namespaced: true, crd: false },
  { kind: 'Service', group: '', version: 'v1', plural: 'services', namespaced: true, crd: false },
  {
    kind: 'EndpointSlice',
    group: 'discovery.k8s.io',
    version: 'v1',
    plural: 'endpointslices',
    namespaced: true,
    crd: false,
  },
  {
    kind: 'NetworkPolicy',
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'networkpolicies',
    namespaced: true,
    crd: false,
  },
  {
    kind: 'ReplicaSet',
    group: 'apps',
    version: 'v1',
    plural: 'replicasets',
    namespaced: true,
    crd: false,
  },
  {
    kind: 'Deployment',
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    namespaced: true,
    crd: false,
  },
  {
    kind: 'StatefulSet',
    group: 'apps',
    version: 'v1',
    plural: 'statefulsets',
    namespaced: true,
    crd: false,
  },
  {
    kind: 'DaemonSet',
    group: 'apps',
    version: 'v1',
    plural: 'daemonsets',
    namespaced: true,
    crd: false,
  },
  { kind: 'Job', group: 'batch', version: 'v1', plural: 'jobs', namespaced: true, crd: false },
  {
    kind: 'CronJob',
    group: 'batch',
    version: 'v1',
    plural: 'cronjobs',
    namespaced: true,
    crd: false,
  },
  {
    kind: 'CiliumNetworkPolicy',
    group: 'cilium.io',
    version: 'v2',
    plural: 'ciliumnetworkpolicies',
    namespaced: true,
    crd: true,
  },
  {
    kind: 'CiliumClusterwideNetworkPolicy',
    group: 'cilium.io',
    version: 'v2',
    plural: 'ciliumclusterwidenetworkpolicies',
    namespaced: false,
    crd: true,
  },
];

/** The all-namespaces collection path, e.g. /apis/apps/v1/deployments. */
export function collectionPath(def: ResourceDef): string {
  const prefix = def.group === '' ? `/api/${def.version}` : `/apis/${def.group}/${def.version}`;
  return `${prefix}/${def.plural}`;
}

export interface ListParams {
  limit?: number;
  _continue?: string;
}

/** What a list call returned, before conversion: client-node's typed or raw list body. */
export type RawList = { metadata?: unknown; items?: unknown };

export type Lister = (params: ListParams, signal: AbortSignal) => Promise<RawList>;

/**
 * One list function per resource, bound to a KubeConfig. A list still in flight at stop() runs
 * to its end and is ignored (the watch loop checks its generation): client-node 1.4's request
 * middleware cannot carry an AbortSignal through its promise API.
 */
export function makeListers(kc: KubeConfig): Map<ResourceKind, Lister> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const net = kc.makeApiClient(NetworkingV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const cilium = (plural: string, namespaced: boolean): Lister => {
    return async (p) => {
      const req = { group: 'cilium.io', version: 'v2', plural, ...p };
      // The custom-objects API is untyped (`any`); the body is raw JSON, narrowed by the caller.
      const body: unknown = namespaced
        ? await custom.listCustomObjectForAllNamespaces(req)
        : await custom.listClusterCustomObject(req);
      return body as RawList;
    };
  };
  const listers: [ResourceKind, Lister][] = [
    ['Namespace', (p) => core.listNamespace(p)],
    ['Node', (p) => core.listNode(p)],
    ['Pod', (p) => core.listPodForAllNamespaces(p)],
    ['Service', (p) => core.listServiceForAllNamespaces(p)],
    ['EndpointSlice', (p) => discovery.listEndpointSliceForAllNamespaces(p)],
    ['NetworkPolicy', (p) => net.listNetworkPolicyForAllNamespaces(p)],
    ['ReplicaSet', (p) => apps.listReplicaSetForAllNamespaces(p)],
    ['Deployment', (p) => apps.listDeploymentForAllNamespaces(p)],
    ['StatefulSet', (p) => apps.listStatefulSetForAllNamespaces(p)],
    ['DaemonSet', (p) => apps.listDaemonSetForAllNamespaces(p)],
    ['Job', (p) => batch.listJobForAllNamespaces(p)],
    ['CronJob', (p) => batch.listCronJobForAllNamespaces(p)],
    ['CiliumNetworkPolicy', cilium('ciliumnetworkpolicies', true)],
    ['CiliumClusterwideNetworkPolicy', cilium('ciliumclusterwidenetworkpolicies', false)],
  ];
  return new Map(listers);
}
