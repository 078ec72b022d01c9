// Cluster model at lab-to-production scale: load and index 5,000 pods, 1,000 services and 500
// policies, then the lookups enrichment does for every flow.
import type { NetworkPolicy, Pod, Service } from '../backend/src/k8s/objects.ts';
import { backendModule } from './harness.ts';
import { heapMiB, measure, report, time } from './support.ts';

// As `npm run build` ships it; the source under FLOWLENS_BENCH_TSX=1.
const { ClusterModel } =
  await backendModule<typeof import('../backend/src/k8s/cluster-model.ts')>('k8s/cluster-model');

const PODS = 5000;
const SERVICES = 1000;
const POLICIES = 500;

const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

function pod(i: number): Pod {
  const app = `app-${i % SERVICES}`;
  return {
    kind: 'Pod',
    metadata: {
      name: `${app}-${i}`,
      namespace: `ns-${i % 50}`,
      resourceVersion: '1',
      labels: { app, tier: i % 3 ? 'web' : 'db' },
      ownerReferences: [{ kind: 'ReplicaSet', name: `${app}-5d9c`, controller: true }],
    },
    spec: { nodeName: `node-${i % 20}` },
    status: { phase: 'Running', podIP: ip(i), podIPs: [{ ip: ip(i) }] },
  };
}

const before = heapMiB();
const model = new ClusterModel();
const load = time(() => {
  for (let i = 0; i < PODS; i++) model.apply('Pod', 'ADDED', pod(i));
  for (let i = 0; i < SERVICES; i++) {
    const svc: Service = {
      kind: 'Service',
      metadata: { name: `app-${i}`, namespace: `ns-${i % 50}`, resourceVersion: '1' },
      spec: { clusterIP: `10.96.${i >> 8}.${i & 255}`, selector: { app: `app-${i}` } },
    };
    model.apply('Service', 'ADDED', svc);
  }
  for (let i = 0; i < POLICIES; i++) {
    const np: NetworkPolicy = {
      kind: 'NetworkPolicy',
      metadata: { name: `np-${i}`, namespace: `ns-${i % 50}`, resourceVersion: '1' },
      spec: { podSelector: { matchLabels: { app: `app-${i}` } }, ingress: [{}] },
    };
    model.apply('NetworkPolicy', 'ADDED', np);
  }
});
report(`load ${PODS} pods, ${SERVICES} services, ${POLICIES} policies`, load.ms);
console.log(`${'heap used by the model'.padEnd(60)} ${(heapMiB() - before).toFixed(1)} MiB`);

measure('podByIP', 100_000, (i) => model.podByIP(ip(i % PODS)));
measure('serviceByClusterIP', 100_000, (i) =>
  model.serviceByClusterIP(`10.96.${(i % SERVICES) >> 8}.${i & 255}`),
);
measure('workloadOf', 100_000, (i) => model.workloadOf(pod(i % PODS)));
measure('servicesSelecting (a pod the model does not hold: scans its namespace)', 1000, (i) =>
  model.servicesSelecting(pod(i % PODS)),
);
const relist = time(() =>
  model.replace(
    'Pod',
    Array.from({ length: PODS }, (_, i) => pod(i)),
  ),
);
report('relist of unchanged pods (410 recovery)', relist.ms);
