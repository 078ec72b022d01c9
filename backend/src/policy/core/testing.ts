// Builders for policy tests: the upstream netpol e2e model (namespaces x, y, z; pods a, b, c
// serving 80 and 81 on TCP, UDP and SCTP) and a few helpers to judge connections in it.
import { parseAllDocuments } from 'yaml';
import { ClusterModel, isResourceKind } from '../../k8s/cluster-model.ts';
import type { KubeObject, Pod } from '../../k8s/objects.ts';
import { PolicyEngine } from './engine.ts';
import { queryFromRequest, type ExplainRequest } from './refs.ts';
import type { Explanation, Lang } from './types.ts';

const PROTOS = ['TCP', 'UDP', 'SCTP'] as const;

export function e2ePod(ns: string, name: string, ip: string): Pod {
  return {
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { pod: name } },
    spec: {
      nodeName: 'node-1',
      containers: [80, 81].flatMap((port) =>
        PROTOS.map((protocol) => ({
          name: `cont-${port}-${protocol.toLowerCase()}`,
          ports: [
            { name: `serve-${port}-${protocol.toLowerCase()}`, containerPort: port, protocol },
          ],
        })),
      ),
    },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  };
}

/** Namespaces x, y, z with pods a, b, c; pod IPs 10.0.<ns>.<pod>. */
export function e2eModel(): ClusterModel {
  const model = new ClusterModel();
  ['x', 'y', 'z'].forEach((ns, i) => {
    model.apply('Namespace', 'ADDED', {
      kind: 'Namespace',
      metadata: { name: ns, labels: { ns } },
    });
    ['a', 'b', 'c'].forEach((pod, j) =>
      model.apply('Pod', 'ADDED', e2ePod(ns, pod, `10.0.${i + 1}.${j + 1}`)),
    );
  });
  return model;
}

/** Applies YAML (one or more documents) to the model. */
export function applyYaml(model: ClusterModel, yaml: string): void {
  const docs = parseAllDocuments(yaml);
  for (const d of Array.isArray(docs) ? docs : [docs]) {
    const o = d.toJS() as KubeObject | null;
    if (!o) continue;
    if (!isResourceKind(o.kind)) throw new Error(`not a kind the model holds: ${String(o.kind)}`);
    if (!o.metadata.namespace && o.kind !== 'CiliumClusterwideNetworkPolicy')
      o.metadata.namespace = 'default';
    model.apply(o.kind, 'ADDED', {
      ...o,
      metadata: { ...o.metadata, resourceVersion: String(Math.random()) },
    });
  }
}

export function judge(model: ClusterModel, req: ExplainRequest, lang: Lang = 'en'): Explanation {
  return new PolicyEngine(model).explain(queryFromRequest(model, req), lang);
}
