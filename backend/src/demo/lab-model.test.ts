import { describe, expect, it } from 'vitest';
import { ClusterModel } from '../k8s/cluster-model.ts';
import { loadLab } from './lab-model.ts';
import { SCENARIOS } from './scenarios/index.ts';

describe.each(Object.entries(SCENARIOS))('the %s lab as a cluster model', (_name, lab) => {
  const model = new ClusterModel();
  loadLab(lab, model);

  it('holds every pod, findable by IP, with its workload', () => {
    for (const p of lab.pods) {
      const pod = model.podByIP(p.ip);
      expect(pod?.metadata.name).toBe(p.name);
      if (p.workload) expect(model.workloadOf(pod!)).toEqual(p.workload);
    }
  });

  it('holds every service, findable by ClusterIP, with its backends', () => {
    for (const s of lab.services) {
      expect(model.serviceByClusterIP(s.clusterIP)?.metadata.name).toBe(s.name);
      const backends = model.serviceBackends(s.namespace, s.name);
      expect(backends.length).toBeGreaterThan(0);
      expect(backends.every((b) => b.pod !== undefined)).toBe(true);
    }
  });

  it('holds the lab nodes and policies', () => {
    for (const n of lab.nodes) expect(model.nodeByIP(n.ip)?.metadata.name).toBe(n.name);
    const policies = lab.objects.filter((o) => o['kind'] === 'NetworkPolicy').length;
    expect(model.networkPolicies()).toHaveLength(policies);
  });
});
