// How Services pick backends: a ClusterIP spreading connections over its ready endpoints, a
// NodePort reached from outside the cluster, a pod that is not ready and gets nothing, and
// session affinity keeping each client on one backend. A guided tour: the steps change nothing,
// they say where to look.
import type { Lab, LabPod } from '../lab.ts';

const pod = (p: LabPod): LabPod => p;
const web = (name: string, ip: string, node: string, ready = true): LabPod =>
  pod({
    name: `web-5c7d8f9b6d-${name}`,
    namespace: 'shop',
    ip,
    node,
    labels: { app: 'web' },
    workload: { kind: 'Deployment', name: 'web' },
    identity: 40100,
    ready,
  });
const cart = (name: string, ip: string): LabPod =>
  pod({
    name: `cart-0${name}`,
    namespace: 'shop',
    ip,
    node: 'kind-worker',
    labels: { app: 'cart' },
    workload: { kind: 'StatefulSet', name: 'cart' },
    identity: 40200,
  });

export const services: Lab = {
  name: 'services',
  cluster: 'kind-services',
  summary: {
    en: 'How a Service chooses a backend: spreading, NodePort, readiness and session affinity.',
    ko: '서비스가 백엔드를 고르는 방법: 분산, NodePort, 준비 상태(readiness), 세션 어피니티.',
  },
  nodes: [
    { name: 'kind-control-plane', ip: '172.21.0.2' },
    { name: 'kind-worker', ip: '172.21.0.3' },
    { name: 'kind-worker2', ip: '172.21.0.4' },
  ],
  pods: [
    pod({
      name: 'coredns-5d78c9869d-s1v2c',
      namespace: 'kube-system',
      ip: '10.244.0.4',
      node: 'kind-control-plane',
      labels: { 'k8s-app': 'kube-dns' },
      workload: { kind: 'Deployment', name: 'coredns' },
      identity: 10113,
    }),
    web('a1b2c', '10.244.1.21', 'kind-worker'),
    web('d3e4f', '10.244.2.22', 'kind-worker2'),
    web('g5h6i', '10.244.2.23', 'kind-worker2', false),
    cart('', '10.244.1.31'),
    cart('1', '10.244.2.32'),
    pod({
      name: 'client-a',
      namespace: 'shop',
      ip: '10.244.1.41',
      node: 'kind-worker',
      labels: { run: 'client-a' },
      identity: 40301,
    }),
    pod({
      name: 'client-b',
      namespace: 'shop',
      ip: '10.244.2.42',
      node: 'kind-worker2',
      labels: { run: 'client-b' },
      identity: 40302,
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
      name: 'web',
      namespace: 'shop',
      clusterIP: '10.96.60.80',
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30080 }],
      type: 'NodePort',
    },
    {
      name: 'cart',
      namespace: 'shop',
      clusterIP: '10.96.60.90',
      selector: { app: 'cart' },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      sessionAffinity: 'ClientIP',
    },
  ],
  conversations: [
    {
      from: 'shop/client-a',
      to: { service: 'shop/web' },
      port: 80,
      protocol: 'TCP',
      everyMs: 700,
      dns: 'web.shop.svc.cluster.local.',
      http: [{ method: 'GET', path: '/', code: 200 }],
    },
    {
      from: { kind: 'world', ip: '198.51.100.23' },
      to: { service: 'shop/web' },
      port: 30080,
      protocol: 'TCP',
      everyMs: 1500,
      http: [{ method: 'GET', path: '/', code: 200 }],
    },
    {
      from: 'shop/client-a',
      to: { service: 'shop/cart' },
      port: 80,
      protocol: 'TCP',
      everyMs: 1000,
      dns: 'cart.shop.svc.cluster.local.',
      http: [{ method: 'POST', path: '/cart/items', code: 201 }],
    },
    {
      from: 'shop/client-b',
      to: { service: 'shop/cart' },
      port: 80,
      protocol: 'TCP',
      everyMs: 1000,
      dns: 'cart.shop.svc.cluster.local.',
      http: [{ method: 'GET', path: '/cart', code: 200 }],
    },
  ],
  objects: [],
  steps: [
    {
      id: 'spreading',
      title: { en: '0. ClusterIP spreading', ko: '0. ClusterIP 분산' },
      lookFor: {
        en: 'Group the map by pod: client-a’s connections to web land on both ready web pods.',
        ko: '맵을 파드 기준으로 묶어 보세요: client-a의 web 연결이 준비된 두 web 파드에 나뉘어 도착합니다.',
      },
    },
    {
      id: 'nodeport',
      title: { en: '1. NodePort from outside', ko: '1. 외부에서 NodePort로' },
      lookFor: {
        en: 'A client in the world reaches web through node port 30080; the flows arrive at the pods on 8080.',
        ko: '외부 클라이언트가 노드 포트 30080으로 web에 접근하고, 플로우는 파드의 8080 포트에 도착합니다.',
      },
    },
    {
      id: 'not-ready',
      title: { en: '2. A pod that is not ready', ko: '2. 준비되지 않은 파드' },
      lookFor: {
        en: 'web-…-g5h6i is not ready: it is left out of the endpoints and gets no traffic at all.',
        ko: 'web-…-g5h6i는 준비되지 않아 엔드포인트에서 빠지며 트래픽을 전혀 받지 않습니다.',
      },
    },
    {
      id: 'ready',
      title: { en: '3. The pod becomes ready', ko: '3. 파드가 준비됨' },
      lookFor: {
        en: 'web-…-g5h6i passes its readiness probe: it joins the endpoints and client-a’s connections now spread over three pods.',
        ko: 'web-…-g5h6i가 준비 상태 검사를 통과해 엔드포인트에 합류하고, client-a의 연결이 이제 세 파드에 나뉩니다.',
      },
      apply: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: 'web-5c7d8f9b6d-g5h6i',
            namespace: 'shop',
            labels: { app: 'web' },
            ownerReferences: [{ kind: 'ReplicaSet', name: 'web-5c7d8f9b6d', controller: true }],
          },
          spec: { nodeName: 'kind-worker2' },
          status: {
            phase: 'Running',
            podIP: '10.244.2.23',
            podIPs: [{ ip: '10.244.2.23' }],
            conditions: [{ type: 'Ready', status: 'True' }],
          },
        },
      ],
    },
    {
      id: 'affinity',
      title: { en: '4. Session affinity', ko: '4. 세션 어피니티' },
      lookFor: {
        en: 'cart uses ClientIP affinity: each client always talks to the same cart pod.',
        ko: 'cart는 ClientIP 어피니티를 사용합니다: 각 클라이언트는 항상 같은 cart 파드와 통신합니다.',
      },
    },
  ],
};
