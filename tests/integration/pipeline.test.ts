// The whole pipeline in one process: real Hubble lines → our Hubble server → real gRPC →
// client → enrichment with a manifests model → history, map and the HTTP API.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../backend/src/app.ts';
import type { EnrichedFlow } from '../../backend/src/enrich/types.ts';
import type { MapSnapshot } from '../../backend/src/map/service-map.ts';
import { ROOT } from '../support/process.ts';
import { waitFor } from '../support/wait.ts';

const REAL = readFileSync(join(ROOT, 'tests/fixtures/hubble/real-lines.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean);
/** Cilium's exporter docs: xwing → deathstar dropped with POLICY_DENIED. */
const XWING_DROP = REAL[1]!;

/** The same flow as a field-masked exporter writes it: addresses only, no endpoints. */
const IP_ONLY = JSON.stringify({
  flow: {
    time: '2023-08-21T12:12:19.000000001Z',
    verdict: 'FORWARDED',
    IP: { source: '10.244.1.61', destination: '10.244.1.5', ipVersion: 'IPv4' },
    l4: { TCP: { source_port: 51000, destination_port: 80, flags: { SYN: true } } },
    node_name: 'kind-kind/kind-worker',
  },
  node_name: 'kind-kind/kind-worker',
  time: '2023-08-21T12:12:19.000000001Z',
});

/** Written in protojson's canonical form (declaration order, 0/3/6/9 fraction digits). */
const TO_WORLD = JSON.stringify({
  flow: {
    time: '2023-08-21T12:12:20.500Z',
    verdict: 'FORWARDED',
    IP: { source: '10.244.1.61', destination: '140.82.112.3', ipVersion: 'IPv4' },
    l4: { TCP: { source_port: 51001, destination_port: 443 } },
    source: { namespace: 'default', labels: ['k8s:org=empire'], pod_name: 'tiefighter' },
    destination: { identity: 2, labels: ['reserved:world'] },
    Type: 'L3_L4',
    node_name: 'kind-kind/kind-worker',
    destination_names: ['api.github.com'],
    traffic_direction: 'EGRESS',
  },
  node_name: 'kind-kind/kind-worker',
  time: '2023-08-21T12:12:20.500Z',
});

const apps: App[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop();
});

async function replay(lines: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-pipeline-'));
  const file = join(dir, 'lab.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  const app = new App({
    mode: 'replay',
    host: '127.0.0.1',
    port: 0,
    replayFile: file,
    manifests: [join(ROOT, 'tests/fixtures/manifests/starwars')],
    log: () => {},
  });
  apps.push(app);
  await app.start();
  const url = `http://127.0.0.1:${app.address!.port}`;
  await waitFor(() => app.store.stats.flows === lines.length, 'replayed flows enriched');
  return { app, url };
}

async function get<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return (await res.json()) as T;
}

describe('the pipeline from Hubble lines to the HTTP API', () => {
  it('joins flows to pods, workloads and services, by name and by IP alone', async () => {
    const { url } = await replay([XWING_DROP, IP_ONLY, TO_WORLD]);
    const { flows } = await get<{ flows: EnrichedFlow[] }>(`${url}/api/flows`);
    expect(flows.map((f) => f.verdict)).toEqual(['DROPPED', 'FORWARDED', 'FORWARDED']);
    const [drop, ipOnly, world] = flows as [EnrichedFlow, EnrichedFlow, EnrichedFlow];
    expect(drop).toMatchObject({
      dropReason: 'POLICY_DENIED',
      source: {
        kind: 'pod',
        namespace: 'default',
        pod: 'xwing',
        workload: { kind: 'Pod', name: 'xwing' },
      },
      destination: {
        kind: 'pod',
        pod: 'deathstar-7848d6c4d5-th9v2',
        workload: { kind: 'Deployment', name: 'deathstar' },
        service: 'default/deathstar',
        port: 80,
      },
    });
    expect(ipOnly).toMatchObject({
      source: { kind: 'pod', pod: 'tiefighter', labels: expect.arrayContaining(['org=empire']) },
      destination: {
        kind: 'pod',
        workload: { kind: 'Deployment', name: 'deathstar' },
        service: 'default/deathstar',
      },
    });
    expect(world.destination).toMatchObject({ kind: 'world', names: ['api.github.com'] });
  });

  it('explains the policy drop from the manifests: rule1 isolates the deathstar', async () => {
    const { url } = await replay([XWING_DROP]);
    const { flows } = await get<{ flows: EnrichedFlow[] }>(`${url}/api/flows`);
    const e = flows[0]!.policy.explanation as {
      verdict: string;
      reason: string;
      ingress: { policies: string[] };
      suggestion?: string;
    };
    expect(e.verdict).toBe('DENIED');
    expect(e.ingress.policies).toEqual(['default/rule1']);
    expect(e.reason).toContain(
      'no rule allows app.kubernetes.io/name=xwing from namespace default on TCP/80',
    );
    expect(e.suggestion).toContain('kind: NetworkPolicy');
    expect(flows[0]!.policy.disagreement).toBeUndefined();
  });

  it('answers POST /api/explain in both languages, and bad requests with 400', async () => {
    const { url } = await replay([XWING_DROP]);
    const ask = (body: unknown) =>
      fetch(`${url}/api/explain`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ok = await ask({ from: 'default/tiefighter', to: 'default/svc/deathstar', port: 80 });
    expect(await ok.json()).toMatchObject({
      verdict: 'ALLOWED',
      ingress: { allowedBy: ['default/rule1'] },
    });
    const ko = await ask({
      from: 'default/xwing',
      to: 'default/svc/deathstar',
      port: '80',
      lang: 'ko',
    });
    expect(((await ko.json()) as { reason: string }).reason).toMatch(/격리/);
    const bad = await ask({ from: 'default/nobody', to: 'default/xwing', port: 80 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: '--from: no pod default/nobody in the cluster model',
    });
    expect((await ask({ to: 'x' })).status).toBe(400);
  });

  it('filters flows like the UI does', async () => {
    const { url } = await replay([XWING_DROP, IP_ONLY, TO_WORLD]);
    const drops = await get<{ flows: EnrichedFlow[] }>(`${url}/api/flows?verdict=dropped`);
    expect(drops.flows).toHaveLength(1);
    const byPod = await get<{ flows: EnrichedFlow[] }>(`${url}/api/flows?pod=default/tie&limit=1`);
    expect(byPod.flows.map((f) => f.destination.kind)).toEqual(['world']);
    const bad = await fetch(`${url}/api/flows?limit=-3`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'limit must be a positive integer, got -3' });
  });

  it('exports exactly the hubble observe -o json lines it received', async () => {
    const lines = [XWING_DROP, IP_ONLY, TO_WORLD];
    const { url } = await replay(lines);
    const res = await fetch(`${url}/api/export?format=jsonl`);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    expect(await res.text()).toBe(lines.join('\n') + '\n');
  });

  it('exports CSV with formula injection defused', async () => {
    const evil = TO_WORLD.replace('api.github.com', '=HYPERLINK(\\"http://evil\\")');
    const { url } = await replay([evil]);
    const csv = await (await fetch(`${url}/api/export?format=csv`)).text();
    const [header, row] = csv.trim().split('\n');
    expect(header).toMatch(/^time,verdict,drop_reason,/);
    expect(row).toContain(`"'=HYPERLINK(""http://evil"")"`);
  });

  it('draws the map: workloads, the world by name, the drop on its edge', async () => {
    const { url } = await replay([XWING_DROP, IP_ONLY, TO_WORLD]);
    const map = await get<MapSnapshot>(`${url}/api/map`);
    expect(map.nodes.map((n) => n.id).sort()).toEqual([
      'workload:default/Deployment/deathstar',
      'workload:default/Pod/tiefighter',
      'workload:default/Pod/xwing',
      'world:api.github.com',
    ]);
    const edge = map.edges.find((e) => e.from === 'workload:default/Pod/xwing');
    expect(edge).toMatchObject({ dropped: 1, dropReasons: { POLICY_DENIED: 1 }, port: 80 });
    const bySvc = await get<MapSnapshot>(
      `${url}/api/map?grouping=service&since=2023-08-21T00:00:00Z`,
    );
    expect(bySvc.nodes.map((n) => n.id)).toContain('service:default/deathstar');
    // Any other view is folded from history: scoped to namespaces, and to a past window.
    const none = await get<MapSnapshot>(`${url}/api/map?namespace=nowhere`);
    expect(none).toEqual({ nodes: [], edges: [] });
    const byPod = await get<MapSnapshot>(
      `${url}/api/map?grouping=pod&namespace=default&since=2023-08-21T00:00:00Z&until=2100-01-01T00:00:00Z`,
    );
    expect(byPod.edges.find((e) => e.from === 'pod:default/xwing')).toMatchObject({ dropped: 1 });
  });

  it('keeps the model’s changes on the timeline', async () => {
    const { url } = await replay([XWING_DROP]);
    const { events } = await get<{ events: { kind: string; name: string }[] }>(
      `${url}/api/timeline`,
    );
    expect(events).toContainEqual(
      expect.objectContaining({ kind: 'CiliumNetworkPolicy', name: 'rule1' }),
    );
  });
});
