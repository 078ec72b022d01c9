import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { ClusterModel } from '../k8s/cluster-model.ts';
import { loadLab } from '../demo/lab-model.ts';
import { LabGenerator } from '../demo/generator.ts';
import { threeTier } from '../demo/scenarios/three-tier.ts';
import { parseLine, recordFromResponse } from '../hubble/json-codec.ts';
import type { FlowRecord, HubbleFlow } from '../hubble/types.ts';
import { parseTimeNs } from '../hubble/time.ts';
import { Enricher, type ExplainResult } from './enrich.ts';
import { displayLabels } from './peers.ts';

const FIXTURE = new URL('../../../tests/fixtures/hubble/real-lines.jsonl', import.meta.url);
const realLines = readFileSync(FIXTURE, 'utf8').split('\n').filter(Boolean);
function realRecord(n: number): FlowRecord {
  const res = parseLine(realLines[n - 1]!)!;
  return recordFromResponse({ ...res, flow: res.flow! });
}

function labModel(): ClusterModel {
  const model = new ClusterModel();
  loadLab(threeTier, model);
  return model;
}

function rec(flow: HubbleFlow, node = 'kind-flowlens/kind-worker'): FlowRecord {
  return { flow, nodeName: node, timeNs: parseTimeNs(flow.time ?? '') ?? 0n };
}

const T = '2026-11-22T10:00:00.000000001Z';

describe('Enricher on real Hubble lines', () => {
  const enricher = new Enricher({ model: new ClusterModel() });

  it('keeps Hubble’s endpoint data, workload and the policy that denied the flow', () => {
    const f = enricher.enrich(realRecord(5));
    expect(f).toMatchObject({
      id: 'cd75b2ac-8dd3-486b-beca-3d17d9d56cff',
      time: '2026-07-31T10:41:02.202450754Z',
      timeNs: '1785494462202450754',
      node: 'topgun/cilium-w1',
      verdict: 'DROPPED',
      dropReason: 'POLICY_DENY',
      direction: 'EGRESS',
      type: 'L3_L4',
      protocol: 'TCP',
      summary: 'TCP Flags: SYN',
      source: {
        ip: '10.0.1.235',
        port: 60524,
        kind: 'pod',
        namespace: 'net-lab',
        pod: 'traffic-generator-9b649846d-bxqfc',
        workload: { kind: 'Deployment', name: 'traffic-generator' },
        labels: ['app=traffic-generator'],
        identity: 24753,
      },
      destination: { ip: '10.0.0.21', port: 80, kind: 'pod', pod: 'echo-server-65887564dc-jjw7k' },
      policy: {
        allowedBy: [],
        deniedBy: [{ kind: 'CiliumNetworkPolicy', namespace: 'net-lab', name: 'deny-tg-to-echo' }],
      },
    });
  });

  it('reads a field-masked export line with empty endpoints and an IPv6 drop', () => {
    const f = enricher.enrich(realRecord(1));
    expect(f.verdict).toBe('DROPPED');
    expect(f.dropReason).toBe('INVALID_SOURCE_IP');
    expect(f.protocol).toBe('ICMPv6');
    expect(f.source).toEqual({ ip: 'fe80::64d8:8aff:fe72:fc14', kind: 'unknown', labels: [] });
  });

  it('reads is_reply false and true', () => {
    expect(enricher.enrich(realRecord(6)).isReply).toBe(false);
    expect(enricher.enrich(realRecord(7)).isReply).toBe(true);
  });
});

describe('Enricher with a cluster model', () => {
  it('joins a flow that carries only IPs to pods, workloads and services', () => {
    const e = new Enricher({ model: labModel() });
    const f = e.enrich(
      rec({
        time: T,
        verdict: 'FORWARDED',
        IP: { source: '10.244.1.21', destination: '10.244.2.31' },
        l4: { TCP: { source_port: 40000, destination_port: 8080 } },
      }),
    );
    expect(f.source).toMatchObject({
      kind: 'pod',
      namespace: 'web',
      pod: 'frontend-6f7d9b8c54-x2k4p',
      workload: { kind: 'Deployment', name: 'frontend' },
      service: 'web/frontend',
      node: 'kind-worker',
    });
    expect(f.source.labels).toContain('app=frontend');
    expect(f.destination).toMatchObject({
      kind: 'pod',
      namespace: 'api',
      service: 'api/backend-api',
    });
  });

  it('links a flow to a ClusterIP to its Service', () => {
    const model = labModel();
    const svc = model.service('api', 'backend-api')!;
    const e = new Enricher({ model });
    const f = e.enrich(
      rec({
        time: T,
        IP: { source: '10.244.1.21', destination: svc.spec!.clusterIP! },
        l4: { TCP: { destination_port: 8080 } },
      }),
    );
    expect(f.destination).toMatchObject({
      kind: 'service',
      namespace: 'api',
      service: 'api/backend-api',
    });
  });

  it('tells host from remote-node by the observing node, and world from unknown by address', () => {
    const e = new Enricher({ model: labModel() });
    const f = e.enrich(
      rec({ time: T, IP: { source: '172.18.0.3', destination: '172.18.0.4' }, l4: { UDP: {} } }),
    );
    expect(f.source).toMatchObject({ kind: 'host', node: 'kind-worker' });
    expect(f.destination).toMatchObject({ kind: 'remote-node', node: 'kind-worker2' });
    const g = e.enrich(rec({ time: T, IP: { source: '10.9.9.9', destination: '93.184.216.34' } }));
    expect(g.source.kind).toBe('unknown');
    expect(g.destination.kind).toBe('world');
  });

  it('classifies reserved identities and carries DNS names for world peers', () => {
    const e = new Enricher({ model: labModel() });
    const f = e.enrich(
      rec({
        time: T,
        IP: { source: '10.244.1.21', destination: '140.82.112.3' },
        destination: { identity: 2, labels: ['reserved:world', 'fqdn:api.github.com'] },
        destination_names: ['api.github.com'],
      }),
    );
    expect(f.destination).toMatchObject({
      kind: 'world',
      names: ['api.github.com'],
      labels: ['reserved:world', 'fqdn:api.github.com'],
    });
    const a = e.enrich(
      rec({
        time: T,
        destination: { identity: 7, labels: ['reserved:kube-apiserver', 'reserved:host'] },
      }),
    );
    expect(a.destination.kind).toBe('kube-apiserver');
  });

  it('gives an HTTP flow the path of its URL, the same for URLs seen before and after many others', () => {
    const e = new Enricher({ model: labModel() });
    const http = (url: string) =>
      e.enrich(rec({ time: T, l7: { type: 'REQUEST', http: { method: 'GET', url } } })).l7?.http
        ?.path;
    expect(http('http://api.shop.svc/cart/items?id=7#top')).toBe('/cart/items');
    expect(http('/relative/only')).toBe('/relative/only');
    expect(http('http://[::1')).toBe('http://[::1');
    // Past the cache's bound (a scanner's random paths) answers stay right, for old URLs too.
    for (let i = 0; i < 3000; i++) expect(http(`http://x.svc/p${i}?q`)).toBe(`/p${i}`);
    expect(http('http://api.shop.svc/cart/items?id=7#top')).toBe('/cart/items');
    const long = `http://x.svc/${'a'.repeat(2000)}?q=1`;
    expect(http(long)).toBe(`/${'a'.repeat(2000)}`);
    expect(http(long)).toBe(`/${'a'.repeat(2000)}`);
  });

  it('enriches every flow of a demo minute: pods known to the model are never unknown', () => {
    const model = labModel();
    const e = new Enricher({ model });
    const S = 1_000_000_000n;
    const flows = new LabGenerator(threeTier, 3, 1_795_341_600n * S).generate(1_795_341_660n * S);
    for (const r of flows) {
      const f = e.enrich(r);
      for (const p of [f.source, f.destination]) {
        if (model.podByIP(p.ip) && !model.podByIP(p.ip)?.spec?.hostNetwork) {
          expect(p.kind, `${p.ip} in ${f.id}`).toBe('pod');
          expect(p.workload).toBeDefined();
        }
      }
    }
  });
});

describe('Enricher and the policy engine', () => {
  const drop: HubbleFlow = {
    time: T,
    verdict: 'DROPPED',
    drop_reason_desc: 'POLICY_DENIED',
    IP: { source: '10.244.1.21', destination: '10.244.2.31' },
    l4: { TCP: { destination_port: 8080 } },
  };

  it('explains policy drops only, unless asked to explain everything', () => {
    const explain = vi.fn((): ExplainResult => ({ verdict: 'DENIED' }));
    const e = new Enricher({ model: labModel(), explain });
    expect(e.enrich(rec(drop)).policy.explanation).toEqual({ verdict: 'DENIED' });
    expect(
      e.enrich(rec({ ...drop, verdict: 'FORWARDED', drop_reason_desc: undefined })).policy
        .explanation,
    ).toBeUndefined();
    expect(explain).toHaveBeenCalledTimes(1);
  });

  it('marks a disagreement between the dataplane and the policies', () => {
    const e = new Enricher({
      model: labModel(),
      explain: (): ExplainResult => ({ verdict: 'ALLOWED' }),
    });
    expect(e.enrich(rec(drop)).policy.disagreement).toMatch(/dropped this flow by policy, but/);
    const all = new Enricher({
      model: labModel(),
      explainAll: true,
      explain: (): ExplainResult => ({ verdict: 'DENIED' }),
    });
    const fwd = all.enrich(rec({ ...drop, verdict: 'FORWARDED', drop_reason_desc: undefined }));
    expect(fwd.policy.disagreement).toMatch(/forwarded this flow, but/);
    const reply = all.enrich(
      rec({ ...drop, verdict: 'FORWARDED', drop_reason_desc: undefined, is_reply: true }),
    );
    expect(reply.policy.disagreement).toBeUndefined();
  });
});

describe('displayLabels', () => {
  it('drops the source prefix and Cilium’s bookkeeping labels, keeps reserved ones', () => {
    expect(
      displayLabels([
        'k8s:app=web',
        'k8s:io.kubernetes.pod.namespace=default',
        'k8s:io.cilium.k8s.policy.serviceaccount=default',
        'k8s:io.cilium.k8s.namespace.labels.team=a',
        'reserved:host',
        'cidr:1.2.3.0/24',
      ]),
    ).toEqual(['app=web', 'reserved:host', 'cidr:1.2.3.0/24']);
  });
});
