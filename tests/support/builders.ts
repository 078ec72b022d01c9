// Test builders: a realistic flow with every field a test does not care about filled in.
import type { FlowRecord, HubbleFlow } from '../../backend/src/hubble/types.ts';
import { formatTimeNs, parseTimeNs } from '../../backend/src/hubble/time.ts';

let counter = 0;

export function makeFlow(over: Partial<HubbleFlow> = {}): HubbleFlow {
  counter += 1;
  return {
    time: '2026-11-22T10:00:00.000000001Z',
    uuid: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    verdict: 'FORWARDED',
    IP: { source: '10.244.1.21', destination: '10.244.2.31', ipVersion: 'IPv4' },
    l4: { TCP: { source_port: 43512, destination_port: 8080, flags: { SYN: true } } },
    source: {
      ID: 1234,
      identity: 31001,
      namespace: 'web',
      labels: ['k8s:app=frontend', 'k8s:io.kubernetes.pod.namespace=web'],
      pod_name: 'frontend-6f7d9b8c54-x2k4p',
      workloads: [{ name: 'frontend', kind: 'Deployment' }],
    },
    destination: {
      ID: 2345,
      identity: 41001,
      namespace: 'api',
      labels: ['k8s:app=backend-api', 'k8s:io.kubernetes.pod.namespace=api'],
      pod_name: 'backend-api-58c6d7b9f-h7j2k',
      workloads: [{ name: 'backend-api', kind: 'Deployment' }],
    },
    Type: 'L3_L4',
    node_name: 'kind-flowlens/kind-worker',
    is_reply: false,
    event_type: { type: 4 },
    traffic_direction: 'INGRESS',
    trace_observation_point: 'TO_ENDPOINT',
    Summary: 'TCP Flags: SYN',
    ...over,
  };
}

export function makeRecord(over: Partial<HubbleFlow> = {}): FlowRecord {
  const flow = makeFlow(over);
  return { flow, nodeName: flow.node_name ?? '', timeNs: parseTimeNs(flow.time ?? '') ?? 0n };
}

/** A flow at `base + i` milliseconds, for sequences. */
export function flowAt(i: number, over: Partial<HubbleFlow> = {}): FlowRecord {
  const ns = parseTimeNs('2026-11-22T10:00:00Z')! + BigInt(i) * 1_000_000n;
  return makeRecord({ time: formatTimeNs(ns), uuid: `flow-${i}`, ...over });
}
