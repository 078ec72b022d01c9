// One EnrichedFlow builder for the UI's tests: flow i from web/frontend-i to api/backend-0 on
// port 8080+i, allowed by api/allow. Tests override what they look at.
import type { EnrichedFlow } from '../../../backend/src/enrich/types.ts';

export function flowRow(i: number, over: Partial<EnrichedFlow> = {}): EnrichedFlow {
  return {
    id: `f${i}`,
    time: `2026-11-22T10:00:0${i}.000000000Z`,
    timeNs: String(1_000_000_000 + i),
    node: 'kind-worker',
    verdict: 'FORWARDED',
    protocol: 'TCP',
    source: {
      ip: `10.0.0.${i}`,
      kind: 'pod',
      namespace: 'web',
      pod: `frontend-${i}`,
      workload: { kind: 'Deployment', name: 'frontend' },
      labels: [],
    },
    destination: {
      ip: '10.0.1.1',
      port: 8080 + i,
      kind: 'pod',
      namespace: 'api',
      pod: 'backend-0',
      service: 'api/backend',
      labels: [],
    },
    policy: {
      allowedBy: [{ kind: 'NetworkPolicy', namespace: 'api', name: 'allow' }],
      deniedBy: [],
    },
    ...over,
  };
}
