import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
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

  it("opens an involved policy's YAML with the deciding rule highlighted", async () => {
    const yaml = [
      'apiVersion: networking.k8s.io/v1',
      'kind: NetworkPolicy',
      'metadata:',
      `  name: db-from-${evil}`,
      'spec:',
      '  podSelector: {}',
      '  ingress:',
      '    - from: [{podSelector: {matchLabels: {app: api}}}]',
      '      ports: [{port: 5432}]',
      '',
    ].join('\n');
    const policy = {
      kind: 'NetworkPolicy',
      namespace: 'data',
      name: `db-from-${evil}`,
      yaml,
      rules: [
        { section: 'selector', index: 0, startLine: 6, endLine: 6 },
        { section: 'ingress', index: 0, startLine: 8, endLine: 9 },
      ],
    };
    const fetch = vi.fn(async () => ({ ok: true, status: 200, json: async () => policy }));
    vi.stubGlobal('fetch', fetch);
    const e: Explanation = {
      ...explanation,
      ingress: { ...explanation.ingress, policies: ['data/db-from-api'] },
      rules: [
        {
          kind: 'NetworkPolicy',
          policy: 'data/db-from-api',
          direction: 'ingress',
          section: 'ingress',
          index: 0,
          effect: 'near-peer',
        },
      ],
    };
    const { container } = render(DropsPanel, {
      groups: groupDrops([drop('p', e)]),
      explanations: new Map(),
      t: TEXT.en,
      lang: 'en',
      onExplain: () => {},
    });
    await fireEvent.click(screen.getByTestId('policy-ref'));
    expect(fetch).toHaveBeenCalledWith('/api/policy?name=data%2Fdb-from-api&kind=NetworkPolicy');
    await waitFor(() => screen.getByTestId('policy-yaml'));
    const hit = screen.getAllByTestId('rule-line').map((l) => l.textContent);
    expect(hit).toHaveLength(2);
    expect(hit[0]).toContain('- from:');
    expect(hit[1]).toContain('5432');
    expect(screen.getByText(/ingress rule 1: came closest/)).toBeTruthy();
    expect(screen.getByTestId('policy-yaml').textContent).toContain(`name: db-from-${evil}`);
    expect(container.querySelector('img')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(screen.queryByTestId('policy-view')).toBeNull();
  });

  it('draws the biggest groups a page at a time and counts the rest', async () => {
    // Seven groups of 7, 6, … 1 drops: different destination ports, so different groups.
    const flows: EnrichedFlow[] = [];
    for (let g = 0; g < 7; g++) {
      for (let i = 0; i <= 6 - g; i++) {
        const f = drop(`g${g}-${i}`);
        flows.push({ ...f, destination: { ...f.destination, port: 5000 + g } });
      }
    }
    render(DropsPanel, {
      groups: groupDrops(flows),
      explanations: new Map(),
      t: TEXT.en,
      lang: 'en',
      onExplain: () => {},
      pageSize: 3,
    });
    const counts = () =>
      screen.getAllByTestId('drop').map((a) => a.querySelector('.count')?.textContent);
    expect(counts()).toEqual(['7×', '6×', '5×']);
    expect(screen.getByTestId('drops-more').textContent).toContain(
      '4 smaller groups not shown (10 drops).',
    );
    await fireEvent.click(screen.getByRole('button', { name: 'Show more' }));
    expect(counts()).toEqual(['7×', '6×', '5×', '4×', '3×', '2×']);
    expect(screen.getByTestId('drops-more').textContent).toContain(
      '1 smaller group not shown (1 drop).',
    );
    await fireEvent.click(screen.getByRole('button', { name: 'Show more' }));
    expect(counts()).toHaveLength(7);
    expect(screen.queryByTestId('drops-more')).toBeNull();
  });

  it('copies the fix, by the clipboard API or the fallback when there is none', async () => {
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(DropsPanel, {
      groups: groupDrops([drop('c', explanation)]),
      explanations: new Map(),
      t: TEXT.en,
      lang: 'en',
      onExplain: () => {},
    });
    await fireEvent.click(screen.getByTestId('copy-fix'));
    expect(writeText).toHaveBeenCalledWith('kind: NetworkPolicy\n');
    await waitFor(() => expect(screen.getByTestId('copy-fix').textContent).toContain('Copied'));

    Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
    const exec = vi.fn(() => true);
    Object.defineProperty(document, 'execCommand', { value: exec, configurable: true });
    render(DropsPanel, {
      groups: groupDrops([drop('d', explanation)]),
      explanations: new Map(),
      t: TEXT.en,
      lang: 'en',
      onExplain: () => {},
    });
    await fireEvent.click(screen.getAllByTestId('copy-fix')[1]!);
    await waitFor(() => expect(exec).toHaveBeenCalledWith('copy'));
  });
});

afterEach(() => vi.unstubAllGlobals());
