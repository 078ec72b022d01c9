import { fireEvent, render, screen } from '@testing-library/svelte';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MapEdge, MapNode } from '../../../backend/src/map/service-map.ts';
import { TEXT } from '../lib/i18n.ts';
import MapView from './MapView.svelte';

const evil = '<img src=x onerror=alert(1)>';

beforeAll(() => {
  // jsdom has no ResizeObserver, which Svelte's size bindings use; the map then keeps its
  // default aspect ratio.
  globalThis.ResizeObserver ??= class {
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
  };
});

function makeNode(id: string, over: Partial<MapNode> = {}): MapNode {
  const [ns, name] = id.includes('/') ? id.split('/') : [undefined, id];
  return {
    id,
    kind: ns ? 'workload' : 'world',
    label: name ?? id,
    ...(ns ? { namespace: ns } : {}),
    flows: 1,
    dropped: 0,
    lastSeenMs: 0,
    ...over,
  };
}

function makeEdge(from: string, to: string, over: Partial<MapEdge> = {}): MapEdge {
  return {
    id: `${from}>${to}`,
    from,
    to,
    port: 80,
    protocol: 'TCP',
    forwarded: 1,
    dropped: 0,
    dropReasons: {},
    rate: 1,
    lastVerdict: 'FORWARDED',
    lastSeenMs: 0,
    ...over,
  };
}

function mapOf<T extends { id: string }>(items: T[]): Map<string, T> {
  return new Map(items.map((i) => [i.id, i]));
}

/** A shop: frontend → api → db, a debug pod dropped at db, a mixed edge to the world. */
function shop() {
  const nodes = mapOf([
    makeNode('shop/frontend'),
    makeNode('shop/api'),
    makeNode('data/db', { dropped: 3 }),
    makeNode('debug/toolbox'),
    makeNode('world', { label: evil }),
  ]);
  const edges = mapOf([
    makeEdge('shop/frontend', 'shop/api', { port: 8080 }),
    makeEdge('shop/api', 'data/db', { port: 5432 }),
    makeEdge('debug/toolbox', 'data/db', {
      port: 5432,
      forwarded: 0,
      dropped: 3,
      dropReasons: { POLICY_DENIED: 3 },
    }),
    makeEdge('shop/api', 'world', { port: 443, forwarded: 2, dropped: 1 }),
  ]);
  return { nodes, edges };
}

const edgeOf = (c: HTMLElement, from: string, to: string) =>
  c.querySelector<SVGPathElement>(`[data-testid=edge][data-id="${from}>${to}"]`)!;
const viewBox = () => screen.getByTestId('map').getAttribute('viewBox');
const nodeEl = (c: HTMLElement, id: string) =>
  c.querySelector<SVGGElement>(`[data-testid=node][data-id="${id}"]`)!;

describe('MapView', () => {
  it('draws nodes inside namespace boxes and edges, names as text only', async () => {
    const { container } = render(MapView, shop());
    expect(container.querySelectorAll('[data-testid=node]')).toHaveLength(5);
    expect(container.querySelectorAll('[data-testid=edge]')).toHaveLength(4);
    const boxes = [...container.querySelectorAll('[data-testid=namespace]')];
    expect(boxes.map((b) => b.getAttribute('data-namespace'))).toEqual([
      'data',
      'debug',
      'shop',
      '(outside)',
    ]);
    expect(container.textContent).toContain(evil.slice(0, 23));
    await fireEvent.pointerOver(nodeEl(container, 'world'));
    expect(screen.getByRole('tooltip').textContent).toContain('1 flows · 0 dropped');
    expect(container.querySelector('img')).toBeNull();
  });

  it('draws a dropped edge red and a mixed edge dashed, with port and counts on hover', async () => {
    const { container } = render(MapView, shop());
    const dropped = edgeOf(container, 'debug/toolbox', 'data/db');
    expect(dropped.getAttribute('data-dropped')).toBe('true');
    expect(dropped.getAttribute('class')).toContain('dropped');
    expect(dropped.getAttribute('marker-end')).toMatch(/arrow-drop/);
    expect(dropped.getAttribute('stroke-dasharray')).toBeNull();
    await fireEvent.pointerOver(dropped);
    const tip = screen.getByRole('tooltip');
    expect(tip.textContent).toContain('debug/toolbox → data/db');
    expect(tip.textContent).toContain('TCP/5432');
    expect(tip.textContent).toContain('0 forwarded · 3 dropped');
    expect(tip.textContent).toContain('POLICY_DENIED 3');
    await fireEvent.pointerLeave(screen.getByTestId('map'));
    expect(screen.queryByRole('tooltip')).toBeNull();
    const mixed = edgeOf(container, 'shop/api', 'world');
    expect(mixed.getAttribute('class')).toContain('mixed');
    expect(mixed.getAttribute('stroke-dasharray')).toBeTruthy();
    const ok = edgeOf(container, 'shop/frontend', 'shop/api');
    expect(ok.getAttribute('data-dropped')).toBe('false');
    expect(ok.getAttribute('class')).toContain('forwarded');
  });

  it('speaks the UI language in its controls and tooltips', async () => {
    const { container } = render(MapView, { ...shop(), t: TEXT.ko });
    expect(screen.getByTestId('fit').textContent).toBe('전체 보기');
    await fireEvent.pointerOver(edgeOf(container, 'debug/toolbox', 'data/db'));
    expect(screen.getByRole('tooltip').textContent).toContain('0 전달 · 3 차단');
  });

  it('search highlights the matching nodes, dims the rest and moves the view to them', async () => {
    const { container } = render(MapView, shop());
    const before = viewBox();
    await fireEvent.input(screen.getByTestId('map-search'), { target: { value: 'toolbox' } });
    expect(nodeEl(container, 'debug/toolbox').getAttribute('class')).toContain('match');
    expect(nodeEl(container, 'shop/api').getAttribute('class')).toContain('dim');
    expect(screen.getByTestId('map-matches').textContent).toBe('1 match');
    expect(viewBox()).not.toBe(before);
    await fireEvent.keyDown(screen.getByTestId('map-search'), { key: 'Escape' });
    expect(container.querySelectorAll('.match')).toHaveLength(0);
  });

  it('focus on a node shows only it and its neighbours; Escape shows everything again', async () => {
    const { container } = render(MapView, shop());
    const whole = viewBox();
    await fireEvent.click(nodeEl(container, 'shop/frontend'));
    // Fit-to-view follows the focus: the node and its neighbours fill the map.
    expect(viewBox()).not.toBe(whole);
    const shown = [...container.querySelectorAll('[data-testid=node]')].map((n) =>
      n.getAttribute('data-id'),
    );
    expect(shown.sort()).toEqual(['shop/api', 'shop/frontend']);
    expect(container.querySelectorAll('[data-testid=edge]')).toHaveLength(1);
    expect(nodeEl(container, 'shop/frontend').getAttribute('aria-pressed')).toBe('true');
    await fireEvent.keyDown(nodeEl(container, 'shop/frontend'), { key: 'Escape' });
    expect(container.querySelectorAll('[data-testid=edge]')).toHaveLength(4);
    expect(viewBox()).toBe(whole);
  });

  it('is driven from the keyboard: Enter focuses a node, +/- zoom, 0 fits', async () => {
    const { container } = render(MapView, shop());
    const db = nodeEl(container, 'data/db');
    expect(db.getAttribute('tabindex')).toBe('0');
    await fireEvent.keyDown(db, { key: 'Enter' });
    expect(container.querySelectorAll('[data-testid=edge]')).toHaveLength(2);
    const fitted = viewBox();
    await fireEvent.keyDown(db, { key: '+' });
    const zoomed = viewBox()!.split(' ').map(Number);
    expect(zoomed[2]).toBeLessThan(fitted!.split(' ').map(Number)[2]!);
    await fireEvent.keyDown(db, { key: '-' });
    await fireEvent.keyDown(db, { key: '-' });
    expect(viewBox()!.split(' ').map(Number)[2]).toBeGreaterThan(zoomed[2]!);
    await fireEvent.keyDown(db, { key: '0' });
    expect(viewBox()).toBe(fitted);
    await fireEvent.click(screen.getByTestId('zoom-in'));
    expect(viewBox()).not.toBe(fitted);
    await fireEvent.click(screen.getByTestId('fit'));
    expect(viewBox()).toBe(fitted);
  });

  it("makes a focused node's edges Tab stops that name their ends and walk to the other end", async () => {
    const { container } = render(MapView, shop());
    const api = edgeOf(container, 'shop/frontend', 'shop/api');
    // With no node focused, thousands of edges must not become Tab stops.
    expect(api.getAttribute('tabindex')).toBeNull();
    await fireEvent.keyDown(nodeEl(container, 'shop/api'), { key: 'Enter' });
    const edges = [...container.querySelectorAll('[data-testid=edge]')];
    expect(edges).toHaveLength(3);
    expect(edges.every((e) => e.getAttribute('tabindex') === '0')).toBe(true);
    const db = edgeOf(container, 'shop/api', 'data/db');
    expect(db.getAttribute('aria-label')).toBe('api → db, TCP/5432');
    await fireEvent.focus(db);
    expect(screen.getByRole('tooltip').textContent).toContain('shop/api → data/db');
    await fireEvent.keyDown(db, { key: 'Enter' });
    expect(nodeEl(container, 'data/db').getAttribute('aria-pressed')).toBe('true');
    expect(document.activeElement).toBe(nodeEl(container, 'data/db'));
  });

  it('keeps nodes where they were when new nodes arrive', async () => {
    const { nodes, edges } = shop();
    const { container, rerender } = render(MapView, { nodes, edges, redrawMs: 0 });
    const where = () =>
      new Map(
        [...container.querySelectorAll('[data-testid=node]')].map((n) => [
          n.getAttribute('data-id'),
          `${n.querySelector('circle')?.getAttribute('cx')},${n.querySelector('circle')?.getAttribute('cy')}`,
        ]),
      );
    const before = where();
    const more = new Map(nodes);
    for (const id of ['shop/cart', 'shop/search', 'data/cache', 'ops/prometheus']) {
      more.set(id, makeNode(id));
    }
    const moreEdges = new Map(edges);
    moreEdges.set('x', { ...makeEdge('shop/api', 'shop/cart'), id: 'x' });
    await rerender({ nodes: more, edges: moreEdges });
    const after = where();
    expect(after.size).toBe(9);
    for (const [id, t] of before) expect(after.get(id), id ?? '').toBe(t);
  });
});
