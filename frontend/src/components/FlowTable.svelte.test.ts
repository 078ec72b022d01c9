import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EnrichedFlow } from '../../../backend/src/enrich/types.ts';
import { TEXT } from '../lib/i18n.ts';
import { flowRow } from '../lib/test-flows.ts';
import FlowTable from './FlowTable.svelte';

const evil = '<img src=x onerror=alert(1)>';

/** The shared test flow, with markup in a source label. */
const flow = (i: number, over: Partial<EnrichedFlow> = {}): EnrichedFlow => {
  const base = flowRow(i, over);
  return { ...base, source: { ...base.source, labels: [`app=${evil}`] } };
};

const rows = [
  flow(1),
  flow(2, { verdict: 'DROPPED', dropReason: 'POLICY_DENIED' }),
  flow(3, {
    l7: { type: 'REQUEST', http: { method: 'GET', url: `http://api/${evil}`, path: `/${evil}` } },
  }),
];

const ids = (c: HTMLElement) =>
  [...c.querySelectorAll('tbody tr.row td:nth-child(4)')].map((td) => td.textContent);
const ports = (c: HTMLElement) =>
  [...c.querySelectorAll('tbody tr.row td:nth-child(5)')].map((td) => td.textContent);

// jsdom has no layout: bind:clientHeight's observer does nothing, and the table draws the
// first rows of a zero-height viewport plus its margin.
beforeEach(() =>
  vi.stubGlobal(
    'ResizeObserver',
    class {
      observe() {}
      unobserve() {}
      disconnect() {}
    },
  ),
);
afterEach(() => vi.unstubAllGlobals());

describe('FlowTable', () => {
  it('sorts by a column header, with aria-sort saying how', async () => {
    const { container } = render(FlowTable, { rows, version: 1, t: TEXT.en, lang: 'en' });
    expect(ports(container)).toEqual(['TCP/8083', 'TCP/8082', 'TCP/8081']);
    const header = screen.getByTestId('col-port');
    expect(header.getAttribute('aria-sort')).toBe('none');
    await fireEvent.click(within(header).getByRole('button'));
    expect(header.getAttribute('aria-sort')).toBe('ascending');
    expect(ports(container)).toEqual(['TCP/8081', 'TCP/8082', 'TCP/8083']);
    await fireEvent.click(within(header).getByRole('button'));
    expect(header.getAttribute('aria-sort')).toBe('descending');
    expect(ports(container)).toEqual(['TCP/8083', 'TCP/8082', 'TCP/8081']);
    expect(ids(container)).toEqual(['api/backend-0', 'api/backend-0', 'api/backend-0']);
  });

  it('filters by a column and says how many rows match', async () => {
    const { container } = render(FlowTable, { rows, version: 1, t: TEXT.en, lang: 'en' });
    await fireEvent.input(screen.getByTestId('filter-verdict'), { target: { value: 'drop' } });
    expect(ports(container)).toEqual(['TCP/8082']);
    expect(screen.getByTestId('rows-shown').textContent).toBe('1 of 3 flows');
    await fireEvent.input(screen.getByTestId('filter-verdict'), { target: { value: '' } });
    expect(ports(container)).toHaveLength(3);
    expect(container.querySelector('img')).toBeNull();
    expect(container.textContent).toContain(`GET http://api/${evil}`);
  });

  it('draws new rows at most every redrawMs, always ending on the newest', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      vi.advanceTimersByTime(1000);
      const live = [flow(1)];
      const { container, rerender } = render(FlowTable, {
        rows: live,
        version: 1,
        t: TEXT.en,
        lang: 'en',
        redrawMs: 250,
      });
      expect(ports(container)).toEqual(['TCP/8081']);
      // Rows are appended in place and the version says so, as the dashboard does.
      live.push(flow(2));
      await rerender({ version: 2 });
      expect(ports(container)).toEqual(['TCP/8081']);
      live.push(flow(3));
      await rerender({ version: 3 });
      vi.advanceTimersByTime(249);
      await tick();
      expect(ports(container)).toEqual(['TCP/8081']);
      vi.advanceTimersByTime(1);
      await tick();
      expect(ports(container)).toEqual(['TCP/8083', 'TCP/8082', 'TCP/8081']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('opens every field of a row, and its raw Hubble JSON, as text', async () => {
    const hubble = { flow: { uuid: 'u-1', source: { labels: [`k8s:app=${evil}`] } } };
    const fetch = vi.fn(async () => ({
      ok: true,
      status: 200,
      json: async () => ({ seq: 1, flow: rows[0], hubble }),
    }));
    vi.stubGlobal('fetch', fetch);
    const { container } = render(FlowTable, { rows, version: 1, t: TEXT.en, lang: 'en' });
    const last = container.querySelectorAll('tbody tr.row')[2] as HTMLElement;
    await fireEvent.keyDown(last, { key: 'Enter' });
    const detail = screen.getByTestId('flow-detail');
    expect(fetch).toHaveBeenCalledWith('/api/flow?id=f1');
    expect(detail.textContent).toContain('10.0.0.1');
    expect(detail.textContent).toContain(`app=${evil}`);
    expect(within(detail).getAllByTestId('peer')).toHaveLength(2);
    await waitFor(() =>
      expect(screen.getByTestId('raw-json').textContent).toContain('"uuid": "u-1"'),
    );
    expect(container.querySelector('img')).toBeNull();
    await fireEvent.click(screen.getByTestId('close-detail'));
    expect(screen.queryByTestId('flow-detail')).toBeNull();
  });
});
