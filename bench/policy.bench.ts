// Policy engine at scale: 5,000 pods in 50 namespaces, 1,000 NetworkPolicies and CNPs; new
// connections judged cold (between workloads not yet explained, then between replicas of
// workloads already explained) and one connection judged again from the cache.
import type { CiliumNetworkPolicy, NetworkPolicy, Pod } from '../backend/src/k8s/objects.ts';
import type { ConnectionQuery } from '../backend/src/policy/index.ts';
import { backendModule } from './harness.ts';
import { measure, report, time } from './support.ts';

// As `npm run build` ships them; the sources under FLOWLENS_BENCH_TSX=1.
const { ClusterModel } =
  await backendModule<typeof import('../backend/src/k8s/cluster-model.ts')>('k8s/cluster-model');
const { PolicyEngine } =
  await backendModule<typeof import('../backend/src/policy/index.ts')>('policy/index');

const PODS = 5000;
const POLICIES = 1000;
const NS = 50;

const model = new ClusterModel();
for (let n = 0; n < NS; n++) {
  model.apply('Namespace', 'ADDED', {
    kind: 'Namespace',
    metadata: { name: `ns-${n}`, labels: { team: `t${n % 5}` } },
  });
}
const pods: Pod[] = [];
for (let i = 0; i < PODS; i++) {
  const pod: Pod = {
    kind: 'Pod',
    metadata: {
      name: `p-${i}`,
      namespace: `ns-${i % NS}`,
      labels: { app: `app-${i % 200}`, tier: i % 2 ? 'web' : 'db' },
    },
    spec: { containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] },
    status: { podIP: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` },
  };
  pods.push(pod);
  model.apply('Pod', 'ADDED', pod);
}
for (let i = 0; i < POLICIES; i++) {
  const ns = `ns-${i % NS}`;
  if (i % 4 === 3) {
    const cnp: CiliumNetworkPolicy = {
      kind: 'CiliumNetworkPolicy',
      metadata: { name: `cnp-${i}`, namespace: ns },
      spec: {
        endpointSelector: { matchLabels: { app: `app-${i % 200}` } },
        ingress: [
          {
            fromEndpoints: [{ matchLabels: { tier: 'web' } }],
            toPorts: [{ ports: [{ port: '8080', protocol: 'TCP' }] }],
          },
        ],
      },
    };
    model.apply('CiliumNetworkPolicy', 'ADDED', cnp);
    continue;
  }
  const np: NetworkPolicy = {
    kind: 'NetworkPolicy',
    metadata: { name: `np-${i}`, namespace: ns },
    spec: {
      podSelector: { matchLabels: { tier: i % 2 ? 'web' : 'db' } },
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { team: `t${i % 5}` } },
              podSelector: {
                matchExpressions: [
                  {
                    key: 'app',
                    operator: 'In',
                    values: [`app-${i % 200}`, `app-${(i + 1) % 200}`],
                  },
                ],
              },
            },
          ],
          ports: [{ port: 'http' }, { port: 5432 }],
        },
      ],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16'] } }] }],
    },
  };
  model.apply('NetworkPolicy', 'ADDED', np);
}
console.log(
  `${PODS} pods, ${POLICIES} policies (${POLICIES / NS} per namespace), ${NS} namespaces`,
);

const engine = new PolicyEngine(model);
// Pod i runs workload i % 200: its app label, tier and namespace follow from that, so pods i and
// i + 200·r are replicas of one workload, and a suggested fix (by workload labels) fits them all.
const W = 200;
const podOf = (workload: number, replica: number) => pods[(workload + W * replica) % PODS]!;
/** The k-th pair of workloads: no two k below 40,000 give the same pair. */
const query = (k: number, replicas: [number, number]): ConnectionQuery => ({
  from: { kind: 'pod', pod: podOf(k % W, replicas[0]) },
  to: { kind: 'pod', pod: podOf((k * 7 + 3 + Math.floor(k / W)) % W, replicas[1]) },
  port: 8080,
  protocol: 'TCP',
});
const first = time(() => engine.explain(query(0, [0, 0])));
report('first explanation (cold, includes JIT warm-up)', first.ms);
let j = 1;
const cold = measure(
  'explanation, cold (a new connection, between workloads not yet explained)',
  200,
  () => engine.explain(query(j++, [1, 2])),
);
// The same pairs of workloads again, from and to other replicas: new connections, whose fix is
// the one already written for the pair.
j = 1;
const replica = measure(
  'explanation, a new connection between replicas of workloads already explained',
  200,
  () => engine.explain(query(j++, [3, 4])),
);
const cached = measure('explanation, cached (same connection, same model revision)', 100_000, () =>
  engine.explain(query(1, [1, 2])),
);
// Every policy drop in the stream is explained; the cache is what lets a drop storm of repeated
// connections keep pace with the 20,000 flows/s the stream benches run at.
const perSecond = (ms: number) => Math.round(1000 / ms).toLocaleString('en');
console.log(
  `${'explanations/s, cold'.padEnd(60)} ${perSecond(cold).padEnd(24)} (target > 1,000: new connections in 5% of 20,000 flows/s)`,
);
console.log(
  `${'explanations/s, new connections between known workloads'.padEnd(60)} ${perSecond(replica)}`,
);
console.log(
  `${'explanations/s, cached'.padEnd(60)} ${perSecond(cached).padEnd(24)} (target > 20,000: every flow of the stream benches)`,
);
