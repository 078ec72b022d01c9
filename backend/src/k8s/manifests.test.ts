import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ClusterModel } from './cluster-model.ts';
import {
  formatProblem,
  loadManifests,
  parseManifestText,
  SYNTHESIZED_ANNOTATION,
} from './manifests.ts';

const FIXTURES = fileURLToPath(new URL('../../../tests/fixtures/manifests', import.meta.url));

describe('loadManifests on a folder of realistic manifests', () => {
  it('loads namespaces, workloads, services and policies, ignoring kinds it does not model', async () => {
    const model = new ClusterModel();
    const res = await loadManifests([join(FIXTURES, 'shop')], model);
    expect(res.problems).toEqual([]);
    expect(res.files).toBe(3);
    expect(res.ignored).toEqual({ ConfigMap: 1 });
    expect(res.loaded).toMatchObject({
      Namespace: 2,
      Deployment: 2,
      StatefulSet: 1,
      Service: 2,
      NetworkPolicy: 2,
      CiliumNetworkPolicy: 1,
    });
    expect(model.networkPolicies('data').map((p) => p.metadata.name)).toEqual([
      'db-from-api',
      'default-deny',
    ]);
    expect(model.namespaceLabels('shop')).toEqual({
      team: 'storefront',
      'kubernetes.io/metadata.name': 'shop',
    });
  });

  it('stands in a pod for each workload that has none, with its template labels and ports', async () => {
    const model = new ClusterModel();
    const res = await loadManifests([join(FIXTURES, 'shop')], model);
    expect(res.synthesizedPods).toBe(3);
    const api = model.pod('shop', 'api');
    expect(api?.metadata.labels).toEqual({ app: 'api', tier: 'backend' });
    expect(api?.metadata.annotations?.[SYNTHESIZED_ANNOTATION]).toBe('Deployment/api');
    expect(api?.spec?.containers?.[0]?.ports?.[0]).toMatchObject({
      name: 'http-api',
      containerPort: 9000,
    });
    expect(model.workloadOf(api!)).toEqual({ kind: 'Deployment', name: 'api' });
    expect(model.serviceBackends('shop', 'api').map((b) => b.pod?.metadata.name)).toEqual(['api']);
  });

  it('does not stand in a pod when the manifests hold a real one for the workload', async () => {
    const model = new ClusterModel();
    const res = await loadManifests(
      [join(FIXTURES, 'kubectl-get-pods.yaml'), join(FIXTURES, 'shop')],
      model,
    );
    expect(res.synthesizedPods).toBe(2); // api and db, not frontend
    expect(model.pod('shop', 'frontend')).toBeUndefined();
    expect(model.pods('shop').map((p) => p.metadata.name)).toEqual([
      'api',
      'frontend-6f7d9b8c54-x2k4p',
    ]);
  });

  it('reads kubectl get -o yaml output with status, and creates namespaces it implies', async () => {
    const model = new ClusterModel();
    const res = await loadManifests([join(FIXTURES, 'kubectl-get-pods.yaml')], model);
    expect(res.problems).toEqual([]);
    expect(res.loaded).toEqual({ Pod: 2, Namespace: 2 });
    const web = model.podByIP('10.244.1.17');
    expect(web?.metadata.name).toBe('frontend-6f7d9b8c54-x2k4p');
    expect(model.workloadOf(web!)).toEqual({ kind: 'Deployment', name: 'frontend' });
    expect(model.podByIP('172.18.0.3')?.spec?.hostNetwork).toBe(true);
    expect(model.namespaces().map((n) => n.metadata.name)).toEqual(['kube-system', 'shop']);
  });
});

describe('bad manifests', () => {
  it('reports each bad document with file, index and reason, and loads the rest', async () => {
    const model = new ClusterModel();
    const res = await loadManifests([join(FIXTURES, 'broken')], model);
    const mixed = join(FIXTURES, 'broken', 'mixed.yaml');
    expect(res.problems.map((p) => [p.file, p.document])).toEqual([
      [mixed, 2],
      [mixed, 3],
      [mixed, 4],
      [mixed, 5],
    ]);
    expect(res.problems[1]!.reason).toMatch(/expected a Kubernetes object/);
    expect(res.problems[2]!.reason).toBe('missing kind');
    expect(res.problems[3]!.reason).toBe('Service without metadata.name');
    expect(formatProblem(res.problems[0]!)).toMatch(/mixed\.yaml: document 2: .+/);
    expect(model.namespaces().map((n) => n.metadata.name)).toEqual([
      'from-json',
      'ok-one',
      'ok-two',
    ]);
  });

  it('reports a path that does not exist and still loads the others', async () => {
    const model = new ClusterModel();
    const res = await loadManifests(['/nonexistent/flowlens', join(FIXTURES, 'shop')], model);
    expect(res.problems).toEqual([
      { file: '/nonexistent/flowlens', reason: 'no such file or folder' },
    ]);
    expect(model.networkPolicies()).toHaveLength(2);
  });

  it('puts a namespaced object without a namespace in default, as kubectl does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowlens-manifests-'));
    await writeFile(
      join(dir, 'np.yml'),
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\nspec: {podSelector: {}}\n',
    );
    const model = new ClusterModel();
    await loadManifests([dir], model);
    expect(model.networkPolicies('default').map((p) => p.metadata.name)).toEqual(['deny']);
  });

  it('expands typed lists whose items carry no kind', () => {
    const { objects, problems } = parseManifestText(
      'x.yaml',
      'kind: NetworkPolicyList\nitems:\n- metadata: {name: a, namespace: n}\n  spec: {podSelector: {}}\n',
    );
    expect(problems).toEqual([]);
    expect(objects.map((o) => [o.kind, o.metadata.name])).toEqual([['NetworkPolicy', 'a']]);
  });

  it('refuses a billion-laughs alias bomb with a reason instead of hanging', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      bomb.push(
        `${'b'.repeat(i)}: &${'b'.repeat(i)} [${Array(9)
          .fill(i === 1 ? '*a' : `*${'b'.repeat(i - 1)}`)
          .join(', ')}]`,
      );
    const { objects, problems } = parseManifestText('bomb.yaml', bomb.join('\n'));
    expect(objects).toEqual([]);
    expect(problems).toHaveLength(1);
  });
});
