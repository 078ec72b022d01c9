// A simulated lab cluster as data: who runs where, which Services front them, and who talks to
// whom how often. The generator turns a Lab into Hubble flows; nothing here is code paths, so a
// new scenario is a new data file.

export interface LabPod {
  name: string;
  namespace: string;
  ip: string;
  node: string;
  labels: Record<string, string>;
  /** The owning workload; absent for a bare pod. */
  workload?: { kind: string; name: string };
  /** Cilium security identity; pods with equal labels share one. */
  identity: number;
  /** A pod that is not ready gets no traffic through Services (default ready). */
  ready?: boolean;
}

export interface LabServicePort {
  name?: string;
  port: number;
  targetPort: number;
  protocol: 'TCP' | 'UDP';
  /** For a NodePort Service: the port opened on every node. */
  nodePort?: number;
}

export interface LabService {
  name: string;
  namespace: string;
  clusterIP: string;
  selector: Record<string, string>;
  ports: LabServicePort[];
  type?: 'ClusterIP' | 'NodePort';
  /** ClientIP: a client keeps its backend. */
  sessionAffinity?: 'None' | 'ClientIP';
}

/** A peer outside the pod network. */
export interface LabExternal {
  kind: 'world' | 'host' | 'remote-node' | 'kube-apiserver';
  ip: string;
  names?: string[];
}

export type LabTarget =
  | { service: string } // "namespace/name"
  | { pod: string } // "namespace/name"
  | { external: LabExternal };

export interface LabHTTP {
  method: string;
  path: string;
  code: number;
}

export interface Conversation {
  /** "namespace/pod-name" or an external peer. */
  from: string | LabExternal;
  to: LabTarget;
  port: number;
  protocol: 'TCP' | 'UDP';
  /** Mean time between two connections, in milliseconds. */
  everyMs: number;
  /** Resolve the target's name through kube-dns first, as an application would. */
  dns?: string;
  http?: LabHTTP[];
  /** Where the dataplane drops it, if it does, and why. */
  drop?: { at: 'egress' | 'ingress'; reason: string; policy?: string };
}

/** Text in both UI languages. */
export interface Localized {
  en: string;
  ko: string;
}

/**
 * One step an instructor advances through: it changes the simulated cluster (so the timeline
 * shows it) and says what to look for.
 */
export interface LabStep {
  id: string;
  title: Localized;
  /** What changes on the map and in the drops, in a sentence or two. */
  lookFor: Localized;
  /** Objects to create or replace, as YAML would parse. */
  apply?: Record<string, unknown>[];
  /** Objects to delete. */
  remove?: { kind: string; namespace?: string; name: string }[];
}

export interface Lab {
  name: string;
  cluster: string;
  nodes: { name: string; ip: string }[];
  pods: LabPod[];
  services: LabService[];
  conversations: Conversation[];
  /** Cluster objects for the model and policy engine (NetworkPolicies and friends), as YAML would parse. */
  objects: Record<string, unknown>[];
  /** What the lab is about, shown when it starts. */
  summary?: Localized;
  /** Steps in order; step 0 is the starting state (`objects`). */
  steps?: LabStep[];
}
