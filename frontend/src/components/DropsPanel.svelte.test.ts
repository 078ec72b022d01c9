import { render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { EnrichedFlow } from '../../../backend/src/enrich/types.ts';
import { groupDrops, type Explanation } from '../lib/dashboard.svelte.ts';
import { TEXT } from '../lib/i18n.ts';
import DropsPanel from './DropsPanel.svelte';

const evil = '<img src=x onerror=alert(1)>';

function drop(id: string, explanation?: Explanation): EnrichedFlow {
  return {
    id,
    time: '2026-11-22T10:00:00Z',
    timeNs: '1',
    node: 'n',
    verdict: 'DROPPED',
    dropReason: 'POLICY_DENIED',
    protocol: 'TCP',
    source: { ip: '10.0.0.1', port: 40000, kind: 'pod', namespace: 'web', pod: evil, labels: [] },
    destination: {
      ip: '10.0.0.2',
      port: 5432,
      kind: 'pod',
      namespace: 'data',
      pod: 'db-0',
      labels: [],
    },
    policy: { allowedBy: [], deniedBy: [], ...(explanation ? { explanation } : {}) },
  };
}

const explanation: Explanation = {
  verdict: 'DENIED',
  reason: `data/db-0 is isolated for ingress by data/default-deny; no rule allows ${evil}.`,
  suggestion: 'kind: NetworkPolicy\n',
  egress: { isolated: false, policies: [], allowedBy: [], deniedBy: [] },
  ingress: { isolated: true, policies: ['data/default-deny'], allowedBy: [], deniedBy: [] },
};

describe('DropsPanel', () => {
  it('groups drops, shows the explanation as text, and offers the fix', () => {
    const groups = groupDrops([drop('a', explanation), drop('b', explanation)]);
    const { container } = render(DropsPanel, {
      groups,
      explanations: new Map(),
      t: TEXT.en,
      lang: 'en',
      onExplain: () => {},
    });
    expect(screen.getByText('2×')).toBeTruthy();
    expect(screen.getByTestId('explanation').textContent).toContain(evil);
    expect(container.querySelector('img')).toBeNull();
    expect(screen.getByText('Smallest fix')).toBeTruthy();
    expect(screen.getByText(/isolated by data\/default-deny/)).toBeTruthy();
  });

  it('offers to explain a drop that came without an explanation', () => {
    const onExplain = vi.fn();
    render(DropsPanel, {
      groups: groupDrops([drop('x')]),
      explanations: new Map(),
      t: TEXT.en,
      lang: 'en',
      onExplain,
    });
    screen.getByText('Explain').click();
    expect(onExplain).toHaveBeenCalledWith('x');
  });

  it('asks the server for the Korean explanation', () => {
    const onExplain = vi.fn();
    render(DropsPanel, {
      groups: groupDrops([drop('y', explanation)]),
      explanations: new Map(),
      t: TEXT.ko,
      lang: 'ko',
      onExplain,
    });
    expect(onExplain).toHaveBeenCalledWith('y');
  });
});
