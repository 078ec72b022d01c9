// CiliumNetworkPolicy semantics on Cilium's Star Wars demo and a few focused models.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ClusterModel } from '../../k8s/cluster-model.ts';
import { loadManifests } from '../../k8s/manifests.ts';
import { PolicyEngine } from './engine.ts';
import { queryFromRequest } from './refs.ts';
import { applyYaml, e2eModel, judge } from './testing.ts';
import type { ConnectionQuery, Explanation } from './types.ts';

const STARWARS = fileURLToPath(
  new URL('../../../../tests/fixtures/manifests/starwars', import.meta.url),
);

async function starwars(extra?: string): Promise<ClusterModel> {
  const model = new ClusterModel();
  await loadManifests([STARWARS], model);
  if (extra) applyYaml(model, extra);
  return model;
}

const L7_RULE1 = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: rule1, namespace: default}
spec:
  endpointSelector: {matchLabels: {org: empire, class: deathstar}}
  ingress:
  - fromEndpoints: [{matchLabels: {org: empire}}]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules:
        http:
        - {method: POST, path: /v1/request-landing}
`;

function explainHttp(model: ClusterModel, from: string, method: string, path: string): Explanation {
  const q: ConnectionQuery = {
    ...queryFromRequest(model, { from, to: 'default/svc/deathstar', port: '80' }),
    http: { method, path },
  };
  return new PolicyEngine(model).explain(q);
}

describe('the Star Wars demo', () => {
  it('lets every ship land without a policy', async () => {
    const model = new ClusterModel();
    await loadManifests([join(STARWARS, 'app.yaml')], model);
    expect(
      judge(model, { from: 'default/xwing', to: 'default/svc/deathstar', port: '80' }).verdict,
    ).toBe('ALLOWED');
  });

  it('keeps the xwing out with the L3/L4 rule1, and says why', async () => {
    const model = await starwars();
    const x = judge(model, { from: 'default/xwing', to: 'default/svc/deathstar', port: '80' });
    expect(x).toMatchObject({
      verdict: 'DENIED',
      decidedAt: 'ingress',
      ingress: { isolated: true, policies: ['default/rule1'], allowedBy: [] },
    });
    expect(x.reason).toContain(
      'default/deathstar-7848d6c4d5-th9v2 is isolated for ingress by default/rule1',
    );
    expect(x.reason).toContain('opens the port, but only for endpoints {org=empire}');
    const t = judge(model, { from: 'default/tiefighter', to: 'default/svc/deathstar', port: '80' });
    expect(t).toMatchObject({ verdict: 'ALLOWED', ingress: { allowedBy: ['default/rule1'] } });
  });

  it('explains the L7 drop of PUT /v1/exhaust-port and suggests exactly that request', async () => {
    const model = await starwars(L7_RULE1);
    const ok = explainHttp(model, 'default/tiefighter', 'POST', '/v1/request-landing');
    expect(ok.verdict).toBe('ALLOWED');
    const bad = explainHttp(model, 'default/tiefighter', 'PUT', '/v1/exhaust-port');
    expect(bad.verdict).toBe('DENIED');
    expect(bad.decidedAt).toBe('l7');
    expect(bad.reason).toBe(
      'PUT /v1/exhaust-port is not among the allowed requests of default/rule1: POST /v1/request-landing.',
    );
    applyYaml(model, bad.suggestion!);
    expect(explainHttp(model, 'default/tiefighter', 'PUT', '/v1/exhaust-port').verdict).toBe(
      'ALLOWED',
    );
    expect(explainHttp(model, 'default/tiefighter', 'DELETE', '/v1/exhaust-port').verdict).toBe(
      'DENIED',
    );
  });

  it('says which requests pass when it has no request to check', async () => {
    const model = await starwars(L7_RULE1);
    const e = judge(model, { from: 'default/tiefighter', to: 'default/svc/deathstar', port: '80' });
    expect(e.verdict).toBe('ALLOWED');
    expect(e.reason).toContain('only lets these HTTP requests through: POST /v1/request-landing');
  });

  it('explains in Korean', async () => {
    const model = await starwars();
    const e = judge(
      model,
      { from: 'default/xwing', to: 'default/svc/deathstar', port: '80' },
      'ko',
    );
    expect(e.reason).toMatch(/default\/rule1에 의해 인그레스/);
  });
});

const cnp = (ns: string, name: string, spec: string) =>
  `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: ${spec}\n`;

describe('Cilium rules', () => {
  it.each([
    [
      'fromEndpoints is scoped to the policy namespace',
      cnp(
        'x',
        'same-ns',
        '{endpointSelector: {}, ingress: [{fromEndpoints: [{matchLabels: {pod: b}}]}]}',
      ),
      [
        ['x/b', 'x/a', '80', 'ALLOWED'],
        ['y/b', 'x/a', '80', 'DENIED'],
      ],
    ],
    [
      'the k8s:io.kubernetes.pod.namespace label reaches other namespaces',
      cnp(
        'x',
        'from-y',
        "{endpointSelector: {}, ingress: [{fromEndpoints: [{matchLabels: {'k8s:io.kubernetes.pod.namespace': y}}]}]}",
      ),
      [
        ['y/c', 'x/a', '80', 'ALLOWED'],
        ['z/c', 'x/a', '80', 'DENIED'],
      ],
    ],
    [
      'toPorts with protocol ANY and endPort',
      cnp(
        'x',
        'ports',
        '{endpointSelector: {}, ingress: [{fromEntities: [cluster], toPorts: [{ports: [{port: "80", endPort: 81, protocol: ANY}]}]}]}',
      ),
      [
        ['y/a', 'x/a', '81/UDP', 'ALLOWED'],
        ['y/a', 'x/a', '82/UDP', 'DENIED'],
      ],
    ],
    [
      'a deny rule wins over an allow',
      cnp('x', 'allow-all', '{endpointSelector: {}, ingress: [{fromEntities: [all]}]}') +
        '---\n' +
        cnp(
          'x',
          'deny-y',
          "{endpointSelector: {}, ingressDeny: [{fromEndpoints: [{matchLabels: {'k8s:io.kubernetes.pod.namespace': y}}]}]}",
        ),
      [
        ['y/a', 'x/a', '80', 'DENIED'],
        ['z/a', 'x/a', '80', 'ALLOWED'],
      ],
    ],
    [
      'enableDefaultDeny false adds allows without isolating',
      cnp(
        'x',
        'soft',
        '{endpointSelector: {}, enableDefaultDeny: {ingress: false}, ingress: [{fromEndpoints: [{matchLabels: {pod: b}}]}]}',
      ),
      [['y/a', 'x/a', '80', 'ALLOWED']],
    ],
    [
      'egress toEntities world and toCIDRSet with except',
      cnp(
        'x',
        'out',
        '{endpointSelector: {matchLabels: {pod: a}}, egress: [{toCIDRSet: [{cidr: 203.0.113.0/24, except: [203.0.113.128/25]}]}]}',
      ),
      [
        ['x/a', '203.0.113.5', '443', 'ALLOWED'],
        ['x/a', '203.0.113.200', '443', 'DENIED'],
        ['x/a', 'y/a', '80', 'DENIED'],
      ],
    ],
  ] as const)('%s', (_name, policies, probes) => {
    for (const [from, to, port, verdict] of probes) {
      const model = e2eModel();
      applyYaml(model, policies);
      const e = judge(model, { from, to, port });
      expect(e.verdict, `${from} → ${to}:${port}: ${e.reason}`).toBe(verdict);
      if (verdict === 'DENIED' && e.egress.deniedBy.length + e.ingress.deniedBy.length === 0) {
        applyYaml(model, e.suggestion!);
        expect(judge(model, { from, to, port }).verdict, e.suggestion).toBe('ALLOWED');
      }
    }
  });

  it('says a deny rule must go rather than suggesting an allow', () => {
    const model = e2eModel();
    applyYaml(
      model,
      cnp('x', 'deny', '{endpointSelector: {}, ingressDeny: [{fromEntities: [cluster]}]}'),
    );
    const e = judge(model, { from: 'y/a', to: 'x/a', port: '80' });
    expect(e.ingress.deniedBy).toEqual(['x/deny']);
    expect(e.suggestion).toBe(
      '# Nothing can be added to allow this: remove or narrow the deny rule in x/deny.\n',
    );
  });

  it('matches toFQDNs against the destination names', () => {
    const model = e2eModel();
    applyYaml(
      model,
      cnp(
        'x',
        'fqdn',
        "{endpointSelector: {}, egress: [{toFQDNs: [{matchPattern: '*.github.com'}]}]}",
      ),
    );
    const base = queryFromRequest(model, { from: 'x/a', to: '140.82.112.3', port: '443' });
    const engine = new PolicyEngine(model);
    expect(engine.explain({ ...base, destinationNames: ['api.github.com.'] }).verdict).toBe(
      'ALLOWED',
    );
    expect(engine.explain({ ...base, destinationNames: ['evil.com'] }).verdict).toBe('DENIED');
  });

  it('follows a namespace relabelled after a first judgement (same pod objects)', () => {
    const model = e2eModel();
    applyYaml(
      model,
      cnp(
        'x',
        'from-team-red',
        "{endpointSelector: {}, ingress: [{fromEndpoints: [{matchLabels: {'io.cilium.k8s.namespace.labels.team': red, 'k8s:io.kubernetes.pod.namespace': y}}]}]}",
      ),
    );
    const engine = new PolicyEngine(model);
    const q = () => queryFromRequest(model, { from: 'y/b', to: 'x/a', port: '80' });
    expect(engine.explain(q()).verdict).toBe('DENIED');
    model.apply('Namespace', 'MODIFIED', {
      kind: 'Namespace',
      metadata: { name: 'y', labels: { ns: 'y', team: 'red' }, resourceVersion: '2' },
    });
    expect(engine.explain(q()).verdict).toBe('ALLOWED');
    model.apply('Namespace', 'MODIFIED', {
      kind: 'Namespace',
      metadata: { name: 'y', labels: { ns: 'y', team: 'blue' }, resourceVersion: '3' },
    });
    expect(engine.explain(q()).verdict).toBe('DENIED');
  });

  it('matches toServices against the Service the client addressed', () => {
    const model = e2eModel();
    applyYaml(
      model,
      `apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: y}\nspec: {selector: {pod: a}, ports: [{port: 80}]}\n---\n` +
        cnp(
          'x',
          'svc',
          '{endpointSelector: {}, egress: [{toServices: [{k8sService: {serviceName: web, namespace: y}}]}]}',
        ),
    );
    expect(judge(model, { from: 'x/a', to: 'y/svc/web', port: '80' }).verdict).toBe('ALLOWED');
    expect(judge(model, { from: 'x/a', to: 'y/a', port: '80' }).verdict).toBe('DENIED');
  });

  it('says what it could not evaluate instead of guessing', () => {
    const model = e2eModel();
    applyYaml(
      model,
      cnp(
        'x',
        'req',
        '{endpointSelector: {}, ingress: [{fromRequires: [{matchLabels: {env: prod}}], fromEndpoints: [{}]}]}',
      ),
    );
    const e = judge(model, { from: 'x/b', to: 'x/a', port: '80' });
    expect(e.unsupported).toEqual(['x/req: fromRequires is not evaluated']);
    expect(e.reason).toContain('1 construct(s) could not be evaluated');
  });

  it('applies clusterwide policies to every namespace', () => {
    const model = e2eModel();
    applyYaml(
      model,
      `apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: lockdown}\nspec: {endpointSelector: {matchLabels: {pod: c}}, ingress: [{fromEntities: [world]}]}\n`,
    );
    const e = judge(model, { from: 'x/a', to: 'z/c', port: '80' });
    expect(e).toMatchObject({ verdict: 'DENIED', ingress: { policies: ['lockdown'] } });
  });
});
