import { describe, expect, it } from 'vitest';
import type { Explanation } from './dashboard.svelte.ts';
import { policiesInvolved } from './policies.ts';

const side = { isolated: false, policies: [], allowedBy: [], deniedBy: [] };

describe('policiesInvolved', () => {
  it('lists deciding rules first and marks isolate-only policies by their selector', () => {
    const e: Explanation = {
      verdict: 'DENIED',
      reason: '',
      egress: side,
      ingress: { ...side, isolated: true, policies: ['data/default-deny', 'data/db-from-api'] },
      rules: [
        {
          kind: 'NetworkPolicy',
          policy: 'data/db-from-api',
          direction: 'ingress',
          section: 'ingress',
          index: 1,
          effect: 'near-peer',
        },
        {
          kind: 'CiliumNetworkPolicy',
          policy: 'data/deny',
          direction: 'ingress',
          section: 'ingressDeny',
          index: 0,
          spec: 2,
          effect: 'denies',
        },
      ],
    };
    expect(policiesInvolved(e)).toEqual([
      {
        name: 'data/deny',
        kind: 'CiliumNetworkPolicy',
        highlights: [{ section: 'ingressDeny', index: 0, spec: 2, effect: 'denies' }],
      },
      {
        name: 'data/db-from-api',
        kind: 'NetworkPolicy',
        highlights: [{ section: 'ingress', index: 1, effect: 'near-peer' }],
      },
      {
        name: 'data/default-deny',
        highlights: [{ section: 'selector', index: 0, effect: 'selector' }],
      },
    ]);
  });
});
