// Default-deny egress breaks DNS, and the app with it: apply the policy, watch every lookup to
// kube-dns drop (and no connection follow), allow DNS and watch names resolve again (while the
// app's own traffic is still denied), then allow the app's traffic.
import type { Lab, LabPod } from '../lab.ts';

const pod = (p: LabPod): LabPod => p;

const ns = (name: string) => ({ 'kubernetes.io/metadata.name': name });

const defaultDenyEgress = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'default-deny-egress', namespace: 'app' },
  spec: { podSelector: {}, policyTypes: ['Egress'] },
};

const allowDns = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'allow-dns', namespace: 'app' },
  spec: {
    podSelector: {},
    policyTypes: ['Egress'],
    egress: [
      {
        to: [
          {
            namespaceSelector: { matchLabels: ns('kube-system') },
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
};

const allowApp = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'allow-app', namespace: 'app' },
  spec: {
    podSelector: {},
    policyTypes: ['Egress'],
    egress: [
      {
        to: [{ podSelector: { matchLabels: { app: 'api' } } }],
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
      {
        to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }],
        ports: [{ protocol: 'TCP', port: 443 }],
      },
    ],
  },
};

export const dnsDefaultDeny: Lab = {
  name: 'dns-default-deny',
  cluster: 'kind-dns',
  summary: {
    en: 'A default-deny egress policy also blocks DNS. Break it, see why, and fix it the right way.',
    ko: '기본 거부(default-deny) 이그레스 정책은 DNS까지 막습니다. 직접 깨뜨려 보고, 이유를 확인하고, 올바르게 고쳐 봅니다.',
  },
  nodes: [
    { name: 'kind-control-plane', ip: '172.20.0.2' },
    { name: 'kind-worker', ip: '172.20.0.3' },
  ],
  pods: [
    pod({
      name: 'coredns-5d78c9869d-dn4lx',
      namespace: 'kube-system',
      ip: '10.244.0.3',
      node: 'kind-control-plane',
      labels: { 'k8s-app': 'kube-dns' },
      workload: { kind: 'Deployment', name: 'coredns' },
      identity: 10113,
    }),
    pod({
      name: 'web-7d9f8c6b5-2kq8d',
      namespace: 'app',
      ip: '10.244.1.10',
      node: 'kind-worker',
      labels: { app: 'web' },
      workload: { kind: 'Deployment', name: 'web' },
      identity: 30010,
    }),
    pod({
      name: 'api-6c5b7d9f4-m2x7p',
      namespace: 'app',
      ip: '10.244.1.11',
      node: 'kind-worker',
      labels: { app: 'api' },
      workload: { kind: 'Deployment', name: 'api' },
      identity: 30011,
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
      name: 'api',
      namespace: 'app',
      clusterIP: '10.96.50.80',
      selector: { app: 'api' },
      ports: [{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' }],
    },
  ],
  conversations: [
    {
      from: 'app/web-7d9f8c6b5-2kq8d',
      to: { service: 'app/api' },
      port: 8080,
      protocol: 'TCP',
      everyMs: 1500,
      dns: 'api.app.svc.cluster.local.',
      http: [{ method: 'GET', path: '/api/items', code: 200 }],
    },
    {
      from: 'app/api-6c5b7d9f4-m2x7p',
      to: { external: { kind: 'world', ip: '140.82.112.3', names: ['api.github.com'] } },
      port: 443,
      protocol: 'TCP',
      everyMs: 4000,
      dns: 'api.github.com.',
    },
  ],
  objects: [],
  steps: [
    {
      id: 'open',
      title: { en: '0. No policy', ko: '0. 정책 없음' },
      lookFor: {
        en: 'Each connection starts with a DNS lookup to kube-dns (UDP/53), then web → api and api → api.github.com.',
        ko: '모든 연결은 kube-dns로의 DNS 조회(UDP/53)로 시작하고, 이어서 web → api, api → api.github.com 연결이 이루어집니다.',
      },
    },
    {
      id: 'default-deny-egress',
      title: { en: '1. Apply default-deny egress', ko: '1. 기본 거부 이그레스 적용' },
      lookFor: {
        en: 'Every DNS lookup is dropped at egress, and nothing else is even tried: the app breaks because names no longer resolve.',
        ko: '모든 DNS 조회가 이그레스에서 차단되고, 다른 연결은 시도조차 되지 않습니다. 이름을 풀 수 없어 앱이 멈춥니다.',
      },
      apply: [defaultDenyEgress],
    },
    {
      id: 'allow-dns',
      title: { en: '2. Allow DNS to kube-dns', ko: '2. kube-dns로의 DNS 허용' },
      lookFor: {
        en: 'Lookups succeed again; now the app’s own connections are the ones dropped, each explained by default-deny-egress.',
        ko: '조회는 다시 성공합니다. 이제는 앱 자체의 연결이 차단되며, 각각 default-deny-egress 때문이라고 설명됩니다.',
      },
      apply: [allowDns],
    },
    {
      id: 'allow-app',
      title: { en: '3. Allow web → api and HTTPS out', ko: '3. web → api 및 외부 HTTPS 허용' },
      lookFor: {
        en: 'Everything flows again, now with only the egress the app needs.',
        ko: '앱에 필요한 이그레스만 열린 상태로 모든 트래픽이 다시 흐릅니다.',
      },
      apply: [allowApp],
    },
  ],
};
