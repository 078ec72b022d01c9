// The live cluster model under API-server faults it must ride out: RBAC that refuses and then
// allows, watches refused while lists work, storms of 410 Gone, watches cut mid-event or sent
// garbage, and lists slow enough that flows arrive first. Each case ends with the model equal
// to what the server holds, and the dashboard serving flows throughout.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../backend/src/app.ts';
import { ClusterModel } from '../../backend/src/k8s/cluster-model.ts';
import { kubeConfigForServer } from '../../backend/src/k8s/kubeconfig.ts';
import {
  KubernetesSource,
  type KubernetesSourceOptions,
} from '../../backend/src/k8s/live-source.ts';
import { FlowHistory } from '../../backend/src/hubble/flow-history.ts';
import { FakeApiServer, K8S_RESOURCES } from '../support/fake-apiserver.ts';
import { flowAt } from '../support/builders.ts';
import { startServer } from '../support/hubble.ts';
import { waitFor } from '../support/wait.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const pod = (name: string, ip: string) => ({
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name, namespace: 'shop', labels: { app: name } },
  spec: { nodeName: 'worker', containers: [{ name: 'c', image: 'nginx' }] },
  status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
});
const netpol = (name: string) => ({
  kind: 'NetworkPolicy',
  apiVersion: 'networking.k8s.io/v1',
  metadata: { name, namespace: 'shop' },
  spec: { podSelector: {}, policyTypes: ['Ingress'] },
});

async function setup(
  kinds: KubernetesSourceOptions['kinds'],
  prepare?: (f: FakeApiServer) => void,
) {
  const fake = new FakeApiServer(K8S_RESOURCES);
  const url = await fake.start();
  cleanup.push(() => fake.stop());
  fake.upsert('namespaces', { kind: 'Namespace', metadata: { name: 'shop' } });
  fake.upsert('pods', pod('web', '10.0.0.5'));
  fake.upsert('networkpolicies', netpol('deny'));
  prepare?.(fake);
  const model = new ClusterModel();
  const source = new KubernetesSource({
    kubeConfig: kubeConfigForServer(url),
    model,
    kinds,
    backoff: { initialMs: 20, maxMs: 100 },
    watchTimeoutSeconds: 30,
    minHealthyWatchMs: 10,
  });
  source.start();
  cleanup.push(() => source.stop());
  return { fake, model, source, url };
}

const podNames = (m: ClusterModel) =>
  m
    .objects('Pod')
    .map((o) => o.metadata.name)
    .sort();
const resource = (s: KubernetesSource, kind: string) =>
  s.status().resources.find((r) => r.kind === kind)!;

describe('RBAC that changes under a running flowlens', () => {
  it('recovers a resource that was forbidden once the permission is granted', async () => {
    const { fake, model, source } = await setup(['Pod', 'NetworkPolicy'], (f) =>
      f.forbidden.add('networkpolicies'),
    );
    await source.whenSynced();
    expect(resource(source, 'NetworkPolicy').state).toBe('forbidden');
    expect(source.status().state).toBe('degraded');
    fake.upsert('networkpolicies', netpol('granted-later'));
    fake.forbidden.delete('networkpolicies');
    await waitFor(() => model.networkPolicies().length === 2, 'the policies after the grant');
    await waitFor(() => source.status().state === 'synced', 'synced again');
    expect(resource(source, 'NetworkPolicy').lastError).toBeUndefined();
  });

  it('keeps what it had when watch permission is revoked, and catches up when restored', async () => {
    const { fake, model, source } = await setup(['Pod']);
    await source.whenSynced();
    await waitFor(() => fake.openWatches === 1, 'the watch open');
    fake.forbiddenWatch.add('pods');
    fake.dropWatches();
    await waitFor(() => resource(source, 'Pod').state === 'forbidden', 'forbidden reported');
    expect(resource(source, 'Pod').lastError).toMatch(/403|forbidden/);
    // The last known pods stay: flows keep being joined to them meanwhile.
    expect(podNames(model)).toEqual(['web']);
    fake.upsert('pods', pod('while-forbidden', '10.0.0.6'));
    fake.forbiddenWatch.delete('pods');
    await waitFor(
      () => podNames(model).join() === 'web,while-forbidden',
      'the pod created while forbidden',
    );
    await waitFor(() => resource(source, 'Pod').state === 'synced', 'synced again');
  });
});

describe('watch faults', () => {
  it('converges through a storm of 410 Gone, relisting for each', async () => {
    const { fake, model, source } = await setup(['Pod']);
    await source.whenSynced();
    const lists = resource(source, 'Pod').lists;
    fake.expireNextWatches = 25;
    fake.dropWatches();
    for (let i = 0; i < 10; i++) fake.upsert('pods', pod(`storm-${i}`, `10.0.1.${i}`));
    fake.remove('pods', 'web', 'shop');
    await waitFor(() => fake.expireNextWatches === 0, 'the storm to pass', 20_000);
    fake.upsert('pods', pod('after', '10.0.2.1'));
    await waitFor(
      () => podNames(model).length === 11 && model.pod('shop', 'after') !== undefined,
      'the model equal to the server',
    );
    expect(model.pod('shop', 'web')).toBeUndefined();
    const st = resource(source, 'Pod');
    // A 410 means the resourceVersion is gone: only a fresh list is correct, every time.
    expect(st.lists).toBeGreaterThanOrEqual(lists + 25);
    expect(st.errors).toBeGreaterThanOrEqual(25);
    await waitFor(() => resource(source, 'Pod').state === 'synced', 'synced after the storm');
  }, 60_000);

  it('survives a watch cut in the middle of an event, missing nothing', async () => {
    const { fake, model, source } = await setup(['Pod']);
    await source.whenSynced();
    for (let round = 0; round < 5; round++) {
      await waitFor(() => fake.openWatches === 1, `watch ${round} open`);
      fake.truncateWatches();
      fake.upsert('pods', pod(`cut-${round}`, `10.0.3.${round}`));
    }
    await waitFor(() => podNames(model).length === 6, 'every pod created between cuts');
    expect(source.status().state).toBe('synced');
  });

  it('skips a line that is not JSON on an open watch and keeps applying events', async () => {
    const { fake, model, source } = await setup(['Pod']);
    await source.whenSynced();
    await waitFor(() => fake.openWatches === 1, 'the watch open');
    fake.garbleWatches();
    fake.upsert('pods', pod('after-garbage', '10.0.4.1'));
    await waitFor(() => model.pod('shop', 'after-garbage') !== undefined, 'the next event');
    expect(source.status().state).toBe('synced');
  });
});

describe('a slow API server beside a live flow stream', () => {
  it('serves flows before the model syncs, then joins new flows to the pods', async () => {
    const history = new FlowHistory(10_000);
    const relay = await startServer(history);
    cleanup.push(() => relay.server.close());
    const fake = new FakeApiServer(K8S_RESOURCES);
    const url = await fake.start();
    cleanup.push(() => fake.stop());
    fake.upsert('pods', pod('web', '10.244.9.9'));
    fake.absent.add('ciliumnetworkpolicies');
    fake.absent.add('ciliumclusterwidenetworkpolicies');
    fake.listDelayMs.set('pods', 3000);
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-slow-k8s-'));
    const kc = join(dir, 'config');
    writeFileSync(
      kc,
      `apiVersion: v1\nkind: Config\nclusters: [{name: f, cluster: {server: "${url}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: f, context: {cluster: f, user: u}}]\ncurrent-context: f\n`,
    );
    const app = new App({
      mode: 'live',
      hubbleAddress: relay.address,
      host: '127.0.0.1',
      port: 0,
      log: () => {},
      kubernetes: { kubeconfig: kc, inCluster: false, explicit: true },
    });
    cleanup.push(() => app.stop());
    await app.start();
    const base = `http://127.0.0.1:${app.address!.port}`;
    const unnamed = { source: { labels: [] } };
    for (let i = 0; i < 5; i++)
      history.push(
        flowAt(i, {
          IP: { source: '10.244.9.9', destination: '10.0.0.1', ipVersion: 'IPv4' },
          ...unnamed,
        }),
      );
    await waitFor(() => app.store.stats.flows === 5, 'flows while the pods list is pending');
    const early = (await (await fetch(`${base}/api/flows`)).json()) as { flows: unknown[] };
    expect(early.flows).toHaveLength(5);
    const st = (await (await fetch(`${base}/api/status`)).json()) as {
      kubernetes: { state: string; synced: boolean };
    };
    expect(st.kubernetes).toMatchObject({ state: 'connecting', synced: false });
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    await waitFor(() => app.kubernetesStatus().synced === true, 'the slow list', 15_000);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    history.push(
      flowAt(5, {
        IP: { source: '10.244.9.9', destination: '10.0.0.1', ipVersion: 'IPv4' },
        ...unnamed,
      }),
    );
    await waitFor(() => app.store.stats.flows === 6, 'a flow after the sync');
    const last = app.store.query().at(-1)!.flow;
    expect(last.source).toMatchObject({ kind: 'pod', namespace: 'shop', pod: 'web' });
  }, 60_000);
});
