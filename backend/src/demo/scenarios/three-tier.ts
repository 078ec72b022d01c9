// The default demo: a three-tier shop behind an ingress controller, with the policies a
// Kubernetes networking course would have students write, a stray debug pod and a misconfigured
// report job whose traffic is dropped, so there is always a drop to explain.
import type { Lab, LabPod } from '../lab.ts';

const pod = (p: LabPod): LabPod => p;

const rs = (name: string) => ({ kind: 'Deployment', name });
const sts = (name: string) => ({ kind: 'StatefulSet', name });

export const threeTier: Lab = {
  name: 'three-tier',
  cluster: 'kind-flowlens',
  nodes: [
    { name: 'kind-control-plane', ip: '172.18.0.2' },
    { name: 'kind-worker', ip: '172.18.0.3' },
    { name: 'kind-worker2', ip: '172.18.0.4' },
  ],
  pods: [
    pod({
      name: 'coredns-5d78c9869d-7xkq2',
      namespace: 'kube-system',
      ip: '10.244.0.5',
      node: 'kind-control-plane',
      labels: { 'k8s-app': 'kube-dns' },
      workload: rs('coredns'),
      identity: 10113,
    }),
    pod({
      name: 'coredns-5d78c9869d-b9z4m',
      namespace: 'kube-system',
      ip: '10.244.0.6',
      node: 'kind-control-plane',
      labels: { 'k8s-app': 'kube-dns' },
      workload: rs('coredns'),
      identity: 10113,
    }),
    pod({
      name: 'ingress-nginx-controller-7b9d8c5f6-qw2lp',
      namespace: 'ingress-nginx',
      ip: '10.244.1.10',
      node: 'kind-worker',
      labels: { 'app.kubernetes.io/name': 'ingress-nginx' },
      workload: rs('ingress-nginx-controller'),
      identity: 21001,
    }),
    pod({
      name: 'frontend-6f7d9b8c54-x2k4p',
      namespace: 'web',
      ip: '10.244.1.21',
      node: 'kind-worker',
      labels: { app: 'frontend', tier: 'web' },
      workload: rs('frontend'),
      identity: 31001,
    }),
    pod({
      name: 'frontend-6f7d9b8c54-9qwrt',
      namespace: 'web',
      ip: '10.244.2.22',
      node: 'kind-worker2',
      labels: { app: 'frontend', tier: 'web' },
      workload: rs('frontend'),
      identity: 31001,
    }),
    pod({
      name: 'debug',
      namespace: 'web',
      ip: '10.244.2.60',
      node: 'kind-worker2',
      labels: { run: 'debug' },
      identity: 31099,
    }),
    pod({
      name: 'backend-api-58c6d7b9f-h7j2k',
      namespace: 'api',
      ip: '10.244.2.31',
      node: 'kind-worker2',
      labels: { app: 'backend-api', tier: 'api' },
      workload: rs('backend-api'),
      identity: 41001,
    }),
    pod({
      name: 'backend-api-58c6d7b9f-m4n8z',
      namespace: 'api',
      ip: '10.244.1.32',
      node: 'kind-worker',
      labels: { app: 'backend-api', tier: 'api' },
      workload: rs('backend-api'),
      identity: 41001,
    }),
    pod({
      name: 'report-job-7c8d9f6b5-t5v6w',
      namespace: 'api',
      ip: '10.244.1.35',
      node: 'kind-worker',
      labels: { app: 'report-job' },
      workload: rs('report-job'),
      identity: 41050,
    }),
    pod({
      name: 'postgres-0',
      namespace: 'data',
      ip: '10.244.1.41',
      node: 'kind-worker',
      labels: { app: 'database' },
      workload: sts('postgres'),
      identity: 51001,
    }),
    pod({
      name: 'redis-0',
      namespace: 'cache',
      ip: '10.244.2.51',
      node: 'kind-worker2',
      labels: { app: 'cache' },
      workload: sts('redis'),
      identity: 61001,
    }),
  ],
  services: [
    {
      name: 'kube-dns',
      namespace: 'kube-system',
      clusterIP: '10.96.0.10',
      selector: { 'k8s-app': 'kube-dns' },
      ports: [
        { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' },
      ],
    },
    {
      name: 'frontend',
      namespace: 'web',
      clusterIP: '10.96.10.80',
      selector: { app: 'frontend' },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
    },
    {
      name: 'backend-api',
      namespace: 'api',
      clusterIP: '10.96.20.80',
      selector: { app: 'backend-api' },
      ports: [{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' }],
    },
    {
      name: 'database',
      namespace: 'data',
      clusterIP: '10.96.30.54',
      selector: { app: 'database' },
      ports: [{ name: 'postgres', port: 5432, targetPort: 5432, protocol: 'TCP' }],
    },
    {
      name: 'cache',
      namespace: 'cache',
      clusterIP: '10.96.40.63',
      selector: { app: 'cache' },
      ports: [{ name: 'redis', port: 6379, targetPort: 6379, protocol: 'TCP' }],
    },
  ],
  conversations: [
    {
      from: { kind: 'world', ip: '203.0.113.7' },
      to: { pod: 'ingress-nginx/ingress-nginx-controller-7b9d8c5f6-qw2lp' },
      port: 443,
      protocol: 'TCP',
      everyMs: 900,
    },
    {
      from: 'ingress-nginx/ingress-nginx-controller-7b9d8c5f6-qw2lp',
      to: { service: 'web/frontend' },
      port: 80,
      protocol: 'TCP',
      everyMs: 900,
      http: [
        { method: 'GET', path: '/', code: 200 },
        { method: 'GET', path: '/cart', code: 200 },
        { method: 'POST', path: '/checkout', code: 201 },
      ],
    },
    {
      from: 'web/frontend-6f7d9b8c54-x2k4p',
      to: { service: 'api/backend-api' },
      port: 8080,
      protocol: 'TCP',
      everyMs: 1200,
      dns: 'backend-api.api.svc.cluster.local.',
      http: [
        { method: 'GET', path: '/api/orders', code: 200 },
        { method: 'GET', path: '/api/products?page=2', code: 200 },
        { method: 'POST', path: '/api/orders', code: 500 },
      ],
    },
    {
      from: 'web/frontend-6f7d9b8c54-9qwrt',
      to: { service: 'api/backend-api' },
      port: 8080,
      protocol: 'TCP',
      everyMs: 1500,
      dns: 'backend-api.api.svc.cluster.local.',
      http: [{ method: 'GET', path: '/api/orders', code: 200 }],
    },
    {
      from: 'api/backend-api-58c6d7b9f-h7j2k',
      to: { service: 'data/database' },
      port: 5432,
      protocol: 'TCP',
      everyMs: 1300,
      dns: 'database.data.svc.cluster.local.',
    },
    {
      from: 'api/backend-api-58c6d7b9f-m4n8z',
      to: { service: 'cache/cache' },
      port: 6379,
      protocol: 'TCP',
      everyMs: 2000,
      dns: 'cache.cache.svc.cluster.local.',
      drop: { at: 'egress', reason: 'POLICY_DENIED' },
    },
    {
      from: 'web/debug',
      to: { service: 'data/database' },
      port: 5432,
      protocol: 'TCP',
      everyMs: 4000,
      dns: 'database.data.svc.cluster.local.',
      drop: { at: 'ingress', reason: 'POLICY_DENIED' },
    },
    {
      from: 'api/report-job-7c8d9f6b5-t5v6w',
      to: { service: 'api/backend-api' },
      port: 8080,
      protocol: 'TCP',
      everyMs: 3000,
      dns: 'backend-api.api.svc.cluster.local.',
      drop: { at: 'ingress', reason: 'POLICY_DENIED' },
    },
    {
      from: 'web/frontend-6f7d9b8c54-x2k4p',
      to: { external: { kind: 'world', ip: '142.250.196.106', names: ['fonts.googleapis.com'] } },
      port: 443,
      protocol: 'TCP',
      everyMs: 5000,
      dns: 'fonts.googleapis.com.',
    },
    {
      from: { kind: 'host', ip: '172.18.0.4' },
      to: { pod: 'api/backend-api-58c6d7b9f-h7j2k' },
      port: 8080,
      protocol: 'TCP',
      everyMs: 5000,
      http: [{ method: 'GET', path: '/healthz', code: 200 }],
    },
  ],
  objects: [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', namespace: 'data' },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-backend', namespace: 'data' },
      spec: {
        podSelector: { matchLabels: { app: 'database' } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'api' } },
                podSelector: { matchLabels: { app: 'backend-api' } },
              },
            ],
            ports: [{ protocol: 'TCP', port: 5432 }],
          },
        ],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'backend-api', namespace: 'api' },
      spec: {
        podSelector: { matchLabels: { app: 'backend-api' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } },
                podSelector: { matchLabels: { app: 'frontend' } },
              },
            ],
            ports: [{ protocol: 'TCP', port: 8080 }],
          },
        ],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'data' } },
                podSelector: { matchLabels: { app: 'database' } },
              },
            ],
            ports: [{ protocol: 'TCP', port: 5432 }],
          },
          {
            to: [
              {
                namespaceSelector: {
                  matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
                },
                podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
              },
            ],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      },
    },
  ],
  summary: {
    en: 'A three-tier shop with the policies a course would write. Three drops to explain: the API cannot reach its cache, a debug pod probes the database, and a report job is not let in.',
    ko: '수업에서 작성할 법한 정책이 적용된 3계층 쇼핑몰입니다. 설명할 차단이 세 가지 있습니다: API가 캐시에 접근하지 못하고, 디버그 파드가 데이터베이스를 두드리며, 리포트 잡은 들어가지 못합니다.',
  },
  steps: [
    {
      id: 'as-deployed',
      title: { en: '0. As deployed', ko: '0. 배포된 그대로' },
      lookFor: {
        en: 'Three red edges: backend-api → cache (egress), debug → database and report-job → backend-api (ingress). Open each drop to see which policy isolates the pod.',
        ko: '빨간 간선 세 개: backend-api → cache(이그레스), debug → database와 report-job → backend-api(인그레스). 각 차단을 열어 어떤 정책이 파드를 격리하는지 확인하세요.',
      },
    },
    {
      id: 'allow-cache',
      title: {
        en: '1. Let backend-api reach the cache',
        ko: '1. backend-api가 캐시에 접근하도록 허용',
      },
      lookFor: {
        en: 'The suggested fix for the cache drop, applied: an egress rule to app=cache on TCP/6379. That edge turns green; the other two drops remain.',
        ko: '캐시 차단에 대해 제안된 수정을 적용합니다: TCP/6379로 app=cache에 대한 이그레스 규칙. 해당 간선은 초록색이 되고 나머지 두 차단은 남습니다.',
      },
      apply: [
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: 'backend-api-to-cache', namespace: 'api' },
          spec: {
            podSelector: { matchLabels: { app: 'backend-api' } },
            policyTypes: ['Egress'],
            egress: [
              {
                to: [
                  {
                    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'cache' } },
                    podSelector: { matchLabels: { app: 'cache' } },
                  },
                ],
                ports: [{ protocol: 'TCP', port: 6379 }],
              },
            ],
          },
        },
      ],
    },
    {
      id: 'allow-report-job',
      title: {
        en: '2. Let the report job call the API',
        ko: '2. 리포트 잡이 API를 호출하도록 허용',
      },
      lookFor: {
        en: 'An ingress rule for app=report-job on TCP/8080: its edge turns green. Only the debug pod is still dropped — on purpose.',
        ko: 'TCP/8080으로 app=report-job에 대한 인그레스 규칙: 해당 간선이 초록색이 됩니다. 이제 디버그 파드만 의도적으로 차단된 채 남습니다.',
      },
      apply: [
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: 'backend-api-from-report-job', namespace: 'api' },
          spec: {
            podSelector: { matchLabels: { app: 'backend-api' } },
            policyTypes: ['Ingress'],
            ingress: [
              {
                from: [{ podSelector: { matchLabels: { app: 'report-job' } } }],
                ports: [{ protocol: 'TCP', port: 8080 }],
              },
            ],
          },
        },
      ],
    },
  ],
};
