// Cilium's classic Star Wars demo: the Empire's deathstar lands tiefighters, an Alliance xwing
// tries to. Step by step: no policy (everything lands), an L3/L4 rule that keeps the xwing out,
// then an L7 rule that also stops the tiefighter from calling PUT /v1/exhaust-port.
import type { Lab, LabPod } from '../lab.ts';

const pod = (p: LabPod): LabPod => p;

const rule1L3L4 = {
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumNetworkPolicy',
  metadata: { name: 'rule1', namespace: 'default' },
  spec: {
    description: 'L3-L4 policy to restrict deathstar access to empire ships only',
    endpointSelector: { matchLabels: { org: 'empire', class: 'deathstar' } },
    ingress: [
      {
        fromEndpoints: [{ matchLabels: { org: 'empire' } }],
        toPorts: [{ ports: [{ port: '80', protocol: 'TCP' }] }],
      },
    ],
  },
};

const rule1L7 = {
  ...rule1L3L4,
  spec: {
    description: 'L7 policy to restrict access to specific HTTP call',
    endpointSelector: { matchLabels: { org: 'empire', class: 'deathstar' } },
    ingress: [
      {
        fromEndpoints: [{ matchLabels: { org: 'empire' } }],
        toPorts: [
          {
            ports: [{ port: '80', protocol: 'TCP' }],
            rules: { http: [{ method: 'POST', path: '/v1/request-landing' }] },
          },
        ],
      },
    ],
  },
};

export const starwars: Lab = {
  name: 'starwars',
  cluster: 'kind-starwars',
  summary: {
    en: 'Cilium’s Star Wars demo: who may land on the deathstar, first by identity (L3/L4), then by HTTP request (L7).',
    ko: 'Cilium의 Star Wars 데모: 누가 데스스타에 착륙할 수 있는지 — 먼저 신원(L3/L4)으로, 다음에는 HTTP 요청(L7)으로 제한합니다.',
  },
  nodes: [
    { name: 'kind-control-plane', ip: '172.19.0.2' },
    { name: 'kind-worker', ip: '172.19.0.3' },
  ],
  pods: [
    pod({
      name: 'coredns-5d78c9869d-q8w2x',
      namespace: 'kube-system',
      ip: '10.244.0.7',
      node: 'kind-control-plane',
      labels: { 'k8s-app': 'kube-dns' },
      workload: { kind: 'Deployment', name: 'coredns' },
      identity: 10113,
    }),
    pod({
      name: 'deathstar-7848d6c4d5-th9v2',
      namespace: 'default',
      ip: '10.244.1.5',
      node: 'kind-worker',
      labels: { org: 'empire', class: 'deathstar', 'app.kubernetes.io/name': 'deathstar' },
      workload: { kind: 'Deployment', name: 'deathstar' },
      identity: 21840,
    }),
    pod({
      name: 'deathstar-7848d6c4d5-vj6pk',
      namespace: 'default',
      ip: '10.244.1.6',
      node: 'kind-worker',
      labels: { org: 'empire', class: 'deathstar', 'app.kubernetes.io/name': 'deathstar' },
      workload: { kind: 'Deployment', name: 'deathstar' },
      identity: 21840,
    }),
    pod({
      name: 'tiefighter',
      namespace: 'default',
      ip: '10.244.1.61',
      node: 'kind-worker',
      labels: { org: 'empire', class: 'tiefighter', 'app.kubernetes.io/name': 'tiefighter' },
      identity: 47651,
    }),
    pod({
      name: 'xwing',
      namespace: 'default',
      ip: '10.244.1.60',
      node: 'kind-worker',
      labels: { org: 'alliance', class: 'xwing', 'app.kubernetes.io/name': 'xwing' },
      identity: 19222,
    }),
  ],
  services: [
    {
      name: 'kube-dns',
      namespace: 'kube-system',
      clusterIP: '10.96.0.10',
      selector: { 'k8s-app': 'kube-dns' },
      ports: [{ name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' }],
    },
    {
      name: 'deathstar',
      namespace: 'default',
      clusterIP: '10.96.41.11',
      selector: { org: 'empire', class: 'deathstar' },
      ports: [{ name: 'http', port: 80, targetPort: 80, protocol: 'TCP' }],
    },
  ],
  conversations: [
    {
      from: 'default/tiefighter',
      to: { service: 'default/deathstar' },
      port: 80,
      protocol: 'TCP',
      everyMs: 2000,
      dns: 'deathstar.default.svc.cluster.local.',
      http: [{ method: 'POST', path: '/v1/request-landing', code: 200 }],
    },
    {
      from: 'default/tiefighter',
      to: { service: 'default/deathstar' },
      port: 80,
      protocol: 'TCP',
      everyMs: 6000,
      http: [{ method: 'PUT', path: '/v1/exhaust-port', code: 503 }],
    },
    {
      from: 'default/xwing',
      to: { service: 'default/deathstar' },
      port: 80,
      protocol: 'TCP',
      everyMs: 3000,
      dns: 'deathstar.default.svc.cluster.local.',
      http: [{ method: 'POST', path: '/v1/request-landing', code: 200 }],
    },
  ],
  objects: [],
  steps: [
    {
      id: 'no-policy',
      title: { en: '0. No policy', ko: '0. 정책 없음' },
      lookFor: {
        en: 'Every ship lands: tiefighter and xwing both reach the deathstar on TCP/80.',
        ko: '모든 우주선이 착륙합니다: tiefighter와 xwing 모두 TCP/80으로 deathstar에 도달합니다.',
      },
    },
    {
      id: 'l3-l4',
      title: { en: '1. Apply rule1 (L3/L4)', ko: '1. rule1 적용 (L3/L4)' },
      lookFor: {
        en: 'The xwing (org=alliance) is now dropped at the deathstar’s ingress; empire ships still land.',
        ko: 'xwing(org=alliance)은 이제 deathstar의 ingress에서 차단되고, empire 우주선은 계속 착륙합니다.',
      },
      apply: [rule1L3L4],
    },
    {
      id: 'l7',
      title: {
        en: '2. Limit rule1 to POST /v1/request-landing (L7)',
        ko: '2. rule1을 POST /v1/request-landing으로 제한 (L7)',
      },
      lookFor: {
        en: 'The tiefighter’s PUT /v1/exhaust-port is refused by the proxy (HTTP 403); landing requests still pass.',
        ko: 'tiefighter의 PUT /v1/exhaust-port는 프록시가 거부합니다(HTTP 403). 착륙 요청은 계속 통과합니다.',
      },
      apply: [rule1L7],
    },
  ],
};
