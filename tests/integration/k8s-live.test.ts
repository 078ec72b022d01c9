// The real @kubernetes/client-node, through flowlens' KubernetesSource, against a
// protocol-faithful fake API server on loopback.
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterModel } from '../../backend/src/k8s/cluster-model.ts';
import { kubeConfigForServer } from '../../backend/src/k8s/kubeconfig.ts';
import {
  KubernetesSource,
  type KubernetesSourceOptions,
} from '../../backend/src/k8s/live-source.ts';
import { RESOURCES } from '../../backend/src/k8s/resources.ts';
import { FakeApiServer, K8S_RESOURCES } from '../support/fake-apiserver.ts';
import { waitFor } from '../support/wait.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const ns = (name: string) => ({ kind: 'Namespace', metadata: { name, labels: { team: 'a' } } });
const pod = (
  namespace: string,
  name: string,
  ip: string,
  labels: Record<string, string> = { app: name },
) => ({
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name, namespace, labels, managedFields: [{ manager: 'kubectl' }] },
  spec: {
    nodeName: 'worker',
    containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 80 }] }],
  },
  status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
});
const netpol = (namespace: string, name: string) => ({
  kind: 'NetworkPolicy',
  apiVersion: 'networking.k8s.io/v1',
  metadata: { name, namespace },
  spec: { podSelector: {}, policyTypes: ['Ingress'] },
});

async function setup(
  over: Partial<KubernetesSourceOptions> = {},
  prepare?: (f: FakeApiServer) => void,
) {
  const fake = new FakeApiServer(K8S_RESOURCES);
  const url = await fake.start();
  cleanup.push(() => fake.stop());
  fake.upsert('namespaces', ns('shop'));
  fake.upsert('pods', pod('shop', 'web', '10.0.0.5'));
  fake.upsert('networkpolicies', netpol('shop', 'deny'));
  fake.upsert('ciliumnetworkpolicies', {
    kind: 'CiliumNetworkPolicy',
    metadata: { name: 'rule1', namespace: 'shop' },
    spec: { endpointSelector: {} },
  });
  prepare?.(fake);
  const model = new ClusterModel();
  const source = new KubernetesSource({
    kubeConfig: kubeConfigForServer(url),
    model,
    backoff: { initialMs: 20, maxMs: 100 },
    watchTimeoutSeconds: 30,
    minHealthyWatchMs: 10,
    ...over,
  });
  source.start();
  cleanup.push(() => source.stop());
  return { fake, model, source };
}

describe('live watches against a fake API server', () => {
  it('syncs every kind, then applies adds, modifies and deletes with rising revisions', async () => {
    const { fake, model, source } = await setup();
    await source.whenSynced();
    expect(source.status()).toMatchObject({ state: 'synced', synced: true });
    expect(model.pod('shop', 'web')?.status?.podIP).toBe('10.0.0.5');
    expect(model.pod('shop', 'web')?.metadata).not.toHaveProperty('managedFields');
    expect(model.ciliumNetworkPolicies('shop')).toHaveLength(1);
    const rev = model.revision;

    fake.upsert('pods', pod('shop', 'api', '10.0.0.6'));
    fake.upsert('pods', pod('shop', 'web', '10.0.0.9'));
    fake.remove('networkpolicies', 'deny', 'shop');
    fake.upsert('services', {
      kind: 'Service',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { clusterIP: '10.96.0.5', selector: { app: 'web' } },
    });
    await waitFor(
      () =>
        model.serviceByClusterIP('10.96.0.5') !== undefined && model.networkPolicies().length === 0,
      'watch events',
    );
    expect(model.podByIP('10.0.0.9')?.metadata.name).toBe('web');
    expect(model.podByIP('10.0.0.5')).toBeUndefined();
    expect(model.pod('shop', 'api')).toBeDefined();
    expect(model.revision).toBeGreaterThan(rev);
  });

  it.each(RESOURCES.map((r) => [r.kind, r] as const))('watches %s', async (_kind, def) => {
    const { fake, model, source } = await setup({ kinds: [def.kind] });
    await source.whenSynced();
    const before = model.counts()[def.kind] ?? 0;
    const obj = {
      kind: def.kind,
      metadata: def.namespaced ? { name: 'x1', namespace: 'shop' } : { name: 'x1' },
      spec: {},
    };
    fake.upsert(def.plural, obj);
    await waitFor(() => (model.counts()[def.kind] ?? 0) === before + 1, `${def.kind} added`);
    const find = () => model.objects(def.kind).find((o) => o.metadata.name === 'x1');
    fake.upsert(def.plural, { ...obj, metadata: { ...obj.metadata, labels: { changed: 'yes' } } });
    await waitFor(() => find()?.metadata.labels?.['changed'] === 'yes', `${def.kind} modified`);
    fake.remove(def.plural, 'x1', def.namespaced ? 'shop' : undefined);
    await waitFor(() => (model.counts()[def.kind] ?? 0) === before, `${def.kind} deleted`);
  });

  it('relists after 410 Gone and converges, dropping what was deleted meanwhile', async () => {
    const { fake, model, source } = await setup({ kinds: ['Pod'] });
    await source.whenSynced();
    fake.upsert('pods', pod('shop', 'old', '10.0.0.7'));
    await waitFor(() => model.pod('shop', 'old') !== undefined, 'old pod');
    const lists = fake.requests.filter(
      (r) => r.startsWith('GET /api/v1/pods?') && !r.includes('watch'),
    ).length;
    fake.dropWatches();
    fake.remove('pods', 'old', 'shop');
    fake.upsert('pods', pod('shop', 'new', '10.0.0.8'));
    fake.compact(); // the resumed watch asks from before the compaction: 410
    await waitFor(
      () => model.pod('shop', 'new') !== undefined && model.pod('shop', 'old') === undefined,
      'converged',
    );
    const relists = fake.requests.filter(
      (r) => r.startsWith('GET /api/v1/pods?') && !r.includes('watch'),
    ).length;
    expect(relists).toBeGreaterThan(lists);
    expect(source.status().resources[0]).toMatchObject({ kind: 'Pod', state: 'synced' });
  });

  it('handles a 410 ERROR event on an open watch', async () => {
    const { fake, model, source } = await setup({ kinds: ['Pod'] });
    await source.whenSynced();
    await waitFor(() => fake.openWatches === 1, 'the watch open');
    fake.expireWatches();
    fake.upsert('pods', pod('shop', 'after', '10.0.0.11'));
    await waitFor(() => model.pod('shop', 'after') !== undefined, 'the pod after the 410');
    expect(source.status().resources[0]!.lists).toBeGreaterThanOrEqual(2);
  });

  it('resumes a dropped watch without losing events', async () => {
    const { fake, model, source } = await setup({ kinds: ['Pod'] });
    await source.whenSynced();
    await waitFor(() => fake.openWatches === 1, 'the watch open');
    fake.dropWatches();
    fake.upsert('pods', pod('shop', 'while-down', '10.0.0.12'));
    await waitFor(
      () => model.pod('shop', 'while-down') !== undefined,
      'the event sent while the watch was down',
    );
  });

  it('restarts after a failed list with backoff, and says why meanwhile', async () => {
    // Every status the source reports, not a poll of it: the retries are a few tens of ms
    // apart, and a poll on a busy machine can miss them all.
    const seen: { state: string; lastError?: string | undefined }[] = [];
    const { fake, source, model } = await setup(
      { kinds: ['Pod'], onStatus: (s) => seen.push({ ...s.resources[0]! }) },
      (f) => f.failLists.set('pods', 3),
    );
    await waitFor(() => seen.some((s) => s.state === 'retrying'), 'retrying');
    expect(seen.find((s) => s.state === 'retrying')?.lastError).toMatch(/500/);
    await source.whenSynced();
    expect(model.pod('shop', 'web')).toBeDefined();
    expect(fake.failLists.get('pods')).toBe(0);
  });

  it('treats an absent CRD as absent, and the rest as synced', async () => {
    const { model, source } = await setup({}, (f) => {
      f.absent.add('ciliumnetworkpolicies');
      f.absent.add('ciliumclusterwidenetworkpolicies');
    });
    await source.whenSynced();
    const s = source.status();
    expect(s.state).toBe('synced');
    expect(s.resources.find((r) => r.kind === 'CiliumNetworkPolicy')?.state).toBe('absent');
    expect(model.pod('shop', 'web')).toBeDefined();
  });

  it('degrades only an RBAC-forbidden resource, with the reason', async () => {
    const { model, source } = await setup({}, (f) => f.forbidden.add('networkpolicies'));
    await source.whenSynced();
    const s = source.status();
    expect(s.state).toBe('degraded');
    const np = s.resources.find((r) => r.kind === 'NetworkPolicy')!;
    expect(np.state).toBe('forbidden');
    expect(np.lastError).toMatch(/forbidden/);
    expect(model.pod('shop', 'web')).toBeDefined();
  });

  it('accepts bookmarks and resumes from their resourceVersion', async () => {
    const { fake, source } = await setup({ kinds: ['Pod'] });
    await source.whenSynced();
    await waitFor(() => fake.openWatches === 1, 'the watch open');
    fake.upsert('namespaces', ns('moves-the-rv'));
    fake.bookmark();
    await waitFor(() => source.status().resources[0]!.events >= 1, 'the bookmark');
    fake.dropWatches();
    await waitFor(
      () =>
        fake.requests.some(
          (r) => r.includes('watch=true') && r.includes(`resourceVersion=${fake.resourceVersion}`),
        ),
      'a watch from the bookmark',
    );
  });

  it('is patient with a slow API server', async () => {
    const { source, model } = await setup(
      { kinds: ['Pod', 'Namespace'] },
      (f) => (f.delayMs = 300),
    );
    expect(source.status().state).toBe('connecting');
    await source.whenSynced();
    expect(model.pod('shop', 'web')).toBeDefined();
  });

  it('loads and indexes 5,000 pods and 500 policies', async () => {
    const { source, model } = await setup({ kinds: ['Pod', 'NetworkPolicy'] }, (f) => {
      for (let i = 0; i < 5000; i++)
        f.upsert('pods', pod(`ns-${i % 20}`, `p-${i}`, `10.1.${i >> 8}.${i & 255}`));
      for (let i = 0; i < 500; i++) f.upsert('networkpolicies', netpol(`ns-${i % 20}`, `np-${i}`));
    });
    await source.whenSynced();
    expect(model.counts()).toMatchObject({ Pod: 5001, NetworkPolicy: 501 });
    expect(model.podByIP('10.1.19.135')?.metadata.name).toBe('p-4999');
  });
});

describe('the dashboard with a live cluster model', () => {
  it('reports per-resource sync state and joins flows to pods from the watches', async () => {
    const { App } = await import('../../backend/src/app.ts');
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const fake = new FakeApiServer(K8S_RESOURCES);
    const url = await fake.start();
    cleanup.push(() => fake.stop());
    fake.upsert('pods', pod('shop', 'web', '10.244.1.60'));
    fake.absent.add('ciliumnetworkpolicies');
    fake.absent.add('ciliumclusterwidenetworkpolicies');
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-live-'));
    const kc = join(dir, 'config');
    writeFileSync(
      kc,
      `apiVersion: v1\nkind: Config\nclusters: [{name: f, cluster: {server: "${url}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: f, context: {cluster: f, user: u}}]\ncurrent-context: f\n`,
    );
    const rec = join(dir, 'flows.jsonl');
    writeFileSync(
      rec,
      '{"flow":{"time":"2023-08-21T12:12:18.510175415Z","verdict":"FORWARDED","IP":{"source":"10.244.1.60","destination":"10.244.1.5","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":44916,"destination_port":80}}},"node_name":"n","time":"2023-08-21T12:12:18.510175415Z"}\n',
    );
    const app = new App({
      mode: 'replay',
      replayFile: rec,
      host: '127.0.0.1',
      port: 0,
      log: () => {},
      kubernetes: { kubeconfig: kc, inCluster: false, explicit: true },
    });
    cleanup.push(() => app.stop());
    await app.start();
    const base = `http://127.0.0.1:${app.address!.port}`;
    await waitFor(
      () => app.store.stats.flows === 1 && app.kubernetesStatus().synced === true,
      'flows and the model',
    );
    const status = (await (await fetch(`${base}/api/status`)).json()) as {
      kubernetes: { state: string; source: string; resources: { kind: string; state: string }[] };
    };
    expect(status.kubernetes.source).toBe('live');
    expect(status.kubernetes.state).toBe('synced');
    expect(status.kubernetes.resources.find((r) => r.kind === 'CiliumNetworkPolicy')?.state).toBe(
      'absent',
    );
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    // The flow arrived before or after the pod; either way a later flow is joined by IP.
    const flows = app.store.query();
    expect(flows.length).toBe(1);
    expect(app.model.podByIP('10.244.1.60')?.metadata.name).toBe('web');
  });
});
