// Demo verdicts from the policy engine: a simulated connection is dropped exactly when the
// lab's current policies deny it, so advancing a step changes what is dropped, and every drop
// the demo shows has an explanation that agrees with it.
import type { ClusterView } from '../k8s/cluster-model.ts';
import type { PolicyEngine } from '../policy/index.ts';
import type { ConnectionQuery } from '../policy/index.ts';
import type { Endpoint } from '../policy/core/types.ts';
import type { LabExternal, LabPod } from './lab.ts';
import type { LabConnection, LabJudge, LabVerdict } from './generator.ts';

function isPod(p: LabPod | LabExternal): p is LabPod {
  return 'namespace' in p;
}

function endpoint(view: ClusterView, p: LabPod | LabExternal): Endpoint | undefined {
  if (isPod(p)) {
    const pod = view.pod(p.namespace, p.name);
    return pod ? { kind: 'pod', pod } : undefined;
  }
  return p.names
    ? { kind: 'ip', ip: p.ip, entity: p.kind, names: p.names }
    : { kind: 'ip', ip: p.ip, entity: p.kind };
}

export function queryOf(view: ClusterView, c: LabConnection): ConnectionQuery | undefined {
  const from = endpoint(view, c.from);
  const to = endpoint(view, c.to);
  if (!from || !to) return undefined;
  const q: ConnectionQuery = { from, to, port: c.port, protocol: c.protocol };
  if (c.service) {
    const svc = view.service(c.service.namespace, c.service.name);
    if (svc) q.viaService = svc;
  }
  if (!isPod(c.to) && c.to.names) q.destinationNames = c.to.names;
  if (c.http) q.http = { method: c.http.method, path: c.http.path };
  return q;
}

export function policyJudge(view: ClusterView, engine: PolicyEngine): LabJudge {
  return (c): LabVerdict => {
    const q = queryOf(view, c);
    if (!q) return {};
    const e = engine.explain(q);
    if (e.verdict === 'ALLOWED') return {};
    if (e.decidedAt === 'l7') return c.http ? { l7Denied: true } : {};
    const at = e.decidedAt === 'egress' ? 'egress' : 'ingress';
    const denied = (at === 'egress' ? e.egress : e.ingress).deniedBy.length > 0;
    return { drop: { at, reason: denied ? 'POLICY_DENY' : 'POLICY_DENIED' } };
  };
}

/** A pod is ready when the model says so (a pod without conditions counts as ready). */
export function modelReadiness(view: ClusterView): (p: LabPod) => boolean {
  return (p) => {
    const conditions = view.pod(p.namespace, p.name)?.status?.conditions;
    const ready = conditions?.find((c) => c.type === 'Ready');
    return ready ? ready.status === 'True' : p.ready !== false;
  };
}
