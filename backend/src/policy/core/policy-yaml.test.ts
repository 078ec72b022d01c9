// The rules an Explanation names must point at the right lines of the policy's YAML.
import { describe, expect, it } from 'vitest';
import { policyText } from './policy-yaml.ts';
import { applyYaml, e2eModel, judge } from './testing.ts';

const NETPOL = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-from-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
    - from: [{podSelector: {matchLabels: {pod: c}}}]
      ports: [{port: 80}]
    - from: [{podSelector: {matchLabels: {pod: b}}}]
      ports: [{port: 81}]
`;

const CNP = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny-b, namespace: x}
specs:
  - endpointSelector: {matchLabels: {pod: c}}
    ingress: [{fromEntities: [world]}]
  - endpointSelector: {matchLabels: {pod: a}}
    ingressDeny:
      - fromEndpoints: [{matchLabels: {pod: b}}]
`;

/** The text of the lines a range covers. */
function linesOf(yaml: string, r: { startLine: number; endLine: number }): string {
  return yaml
    .split('\n')
    .slice(r.startLine - 1, r.endLine)
    .join('\n');
}

describe('policy YAML with rule ranges', () => {
  it('names the NetworkPolicy rule that allows a connection and the one that came close', () => {
    const model = e2eModel();
    applyYaml(model, NETPOL);
    const ok = judge(model, { from: 'x/b', to: 'x/a', port: '81' });
    expect(ok.rules).toContainEqual({
      kind: 'NetworkPolicy',
      policy: 'x/a-from-b',
      direction: 'ingress',
      section: 'ingress',
      index: 1,
      effect: 'allows',
    });
    const denied = judge(model, { from: 'x/b', to: 'x/a', port: '80' });
    expect(denied.rules?.find((r) => r.index === 1)?.effect).toBe('near-port');

    const np = model.networkPolicies('x')[0]!;
    const text = policyText('NetworkPolicy', np);
    const rule = text.rules.find((r) => r.section === 'ingress' && r.index === 1)!;
    expect(linesOf(text.yaml, rule)).toMatch(/pod: b[\s\S]*81/);
    expect(linesOf(text.yaml, rule)).not.toMatch(/pod: c/);
    const selector = text.rules.find((r) => r.section === 'selector')!;
    expect(linesOf(text.yaml, selector)).toMatch(/podSelector[\s\S]*pod: a/);
    expect(text.yaml).toMatch(/^apiVersion: networking\.k8s\.io\/v1\nkind: NetworkPolicy/);
  });

  it('points into the right entry of a Cilium policy with several specs', () => {
    const model = e2eModel();
    applyYaml(model, CNP);
    const e = judge(model, { from: 'x/b', to: 'x/a', port: '80' });
    const deny = e.rules?.find((r) => r.effect === 'denies');
    expect(deny).toMatchObject({ section: 'ingressDeny', index: 0, spec: 1 });
    const text = policyText('CiliumNetworkPolicy', model.ciliumNetworkPolicies('x')[0]!);
    const range = text.rules.find(
      (r) => r.section === deny!.section && r.index === deny!.index && r.spec === deny!.spec,
    )!;
    expect(linesOf(text.yaml, range)).toMatch(/fromEndpoints[\s\S]*pod: b/);
    expect(text.rules.filter((r) => r.section === 'selector').map((r) => r.spec)).toEqual([0, 1]);
  });
});
