// The Kubernetes objects flowlens reads, typed as the API (and YAML manifests) shape them. Our
// own types, not the client library's: the pure core (policy/, enrich/, map/) must not depend
// on a client library, and manifests loaded offline never pass through one.
//
// Only the fields flowlens reads are typed; objects keep everything else they carry.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion?: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface Namespace extends KubeObject {
  kind?: 'Namespace';
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export interface Pod extends KubeObject {
  kind?: 'Pod';
  spec?: {
    nodeName?: string;
    hostNetwork?: boolean;
    containers?: { name: string; ports?: ContainerPort[] }[];
    initContainers?: { name: string; ports?: ContainerPort[] }[];
  };
  status?: {
    phase?: string;
    podIP?: string;
    podIPs?: { ip: string }[];
    hostIP?: string;
    conditions?: { type: string; status: string }[];
  };
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  nodePort?: number;
}

export interface Service extends KubeObject {
  kind?: 'Service';
  spec?: {
    type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
    selector?: Record<string, string>;
    clusterIP?: string;
    clusterIPs?: string[];
    ports?: ServicePort[];
    externalName?: string;
    sessionAffinity?: string;
  };
}

export interface EndpointSlice extends KubeObject {
  kind?: 'EndpointSlice';
  addressType?: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints?: {
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    nodeName?: string;
    targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string };
  }[];
  ports?: { name?: string; port?: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }[];
}

export interface NetworkPolicyPort {
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface NetworkPolicy extends KubeObject {
  kind?: 'NetworkPolicy';
  spec: {
    podSelector: LabelSelector;
    policyTypes?: ('Ingress' | 'Egress')[];
    ingress?: { from?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
    egress?: { to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
  };
}

/**
 * cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy. Their rule language is
 * large and evolving, so the spec stays loosely typed here; policy/ narrows what it evaluates
 * and says explicitly what it cannot.
 */
export interface CiliumNetworkPolicy extends KubeObject {
  kind?: 'CiliumNetworkPolicy' | 'CiliumClusterwideNetworkPolicy';
  spec?: Record<string, unknown>;
  specs?: Record<string, unknown>[];
}

export interface Node extends KubeObject {
  kind?: 'Node';
  spec?: { podCIDR?: string; podCIDRs?: string[] };
  status?: { addresses?: { type: string; address: string }[] };
}

/** Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs: only ownership matters. */
export interface Workload extends KubeObject {
  kind?: 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'CronJob';
}
