import { describe, expect, it } from 'vitest';
import {
  halfWidth,
  layout,
  layoutBounds,
  OUTSIDE,
  type LayoutEdge,
  type LayoutNode,
  type MapLayout,
} from './layout.ts';
import { intersects } from './map-boxes.ts';

/** `count` nodes per namespace, named ns/w0, ns/w1, … */
function podsIn(namespaces: Record<string, number>): LayoutNode[] {
  return Object.entries(namespaces).flatMap(([ns, count]) =>
    Array.from({ length: count }, (_, i) => ({ id: `${ns}/w${i}`, namespace: ns })),
  );
}

/** A chain through each namespace, and one edge between consecutive namespaces. */
function chain(nodes: readonly LayoutNode[]): LayoutEdge[] {
  return nodes.slice(1).map((n, i) => ({ from: nodes[i]!.id, to: n.id }));
}

function expectBoxesHoldTheirNodes(l: MapLayout, nodes: readonly LayoutNode[]): void {
  for (const n of nodes) {
    const box = l.boxes.find((b) => b.namespace === (n.namespace ?? OUTSIDE))!;
    const p = l.positions.get(n.id)!;
    expect(p, n.id).toBeDefined();
    // The circle and its label are inside, not just the centre.
    expect(p.x - halfWidth(n.label), n.id).toBeGreaterThanOrEqual(box.x - 1);
    expect(p.x + halfWidth(n.label), n.id).toBeLessThanOrEqual(box.x + box.w + 1);
    expect(p.y - 18, n.id).toBeGreaterThanOrEqual(box.y + 20);
    expect(p.y + 34, n.id).toBeLessThanOrEqual(box.y + box.h);
  }
}

function expectNoBoxesOverlap(l: MapLayout): void {
  for (const a of l.boxes) {
    for (const b of l.boxes) {
      if (a !== b) expect(intersects(a, b), `${a.namespace} / ${b.namespace}`).toBe(false);
    }
  }
}

function expectNodesApart(l: MapLayout, min: number): void {
  const ps = [...l.positions.entries()];
  for (let i = 0; i < ps.length; i++) {
    for (let j = i + 1; j < ps.length; j++) {
      const [a, p] = ps[i]!;
      const [b, q] = ps[j]!;
      expect(Math.hypot(p.x - q.x, p.y - q.y), `${a} / ${b}`).toBeGreaterThanOrEqual(min);
    }
  }
}

describe('layout', () => {
  it('draws one box per namespace, the outside world last, holding its nodes', () => {
    const nodes = [
      ...podsIn({ web: 3, data: 2, api: 4 }),
      { id: 'world', label: 'a-rather-long-world-name.example.com' },
    ];
    const l = layout(nodes, chain(nodes));
    expect(l.boxes.map((b) => b.namespace)).toEqual(['api', 'data', 'web', OUTSIDE]);
    expectBoxesHoldTheirNodes(l, nodes);
    expectNoBoxesOverlap(l);
    expectNodesApart(l, 40);
  });

  it('is deterministic: the same input gives the same picture', () => {
    const nodes = podsIn({ web: 5, data: 3 });
    const a = layout(nodes, chain(nodes));
    const b = layout([...nodes].reverse(), chain(nodes));
    expect([...b.positions].sort()).toEqual([...a.positions].sort());
    expect(b.boxes).toEqual(a.boxes);
  });

  it('keeps every placed node where it was when new nodes arrive in its namespace', () => {
    const before = podsIn({ web: 4, data: 3, api: 2 });
    const first = layout(before, chain(before));
    const after = [
      ...before,
      ...podsIn({ web: 9 }).slice(4),
      { id: 'data/new', namespace: 'data' },
    ];
    const edges = [
      ...chain(before),
      { from: 'web/w0', to: 'web/w7' },
      { from: 'data/w1', to: 'data/new' },
    ];
    const second = layout(after, edges, first);
    for (const [id, p] of first.positions) expect(second.positions.get(id), id).toEqual(p);
    expectBoxesHoldTheirNodes(second, after);
    expectNoBoxesOverlap(second);
    expectNodesApart(second, 40);
  });

  it('keeps every box where it was when a new namespace arrives, and places it clear of them', () => {
    const before = podsIn({ web: 4, data: 3 });
    const first = layout(before, chain(before));
    const after = [...before, ...podsIn({ cache: 5, 'kube-system': 2 })];
    const second = layout(after, chain(after), first);
    for (const b of first.boxes)
      expect(second.boxes.find((x) => x.namespace === b.namespace)).toEqual(b);
    for (const [id, p] of first.positions) expect(second.positions.get(id), id).toEqual(p);
    expectNoBoxesOverlap(second);
    expectBoxesHoldTheirNodes(second, after);
  });

  it('grows a box hemmed in by its neighbours without covering them', () => {
    let nodes = podsIn({ a: 2, b: 2, c: 2, d: 2, e: 2, f: 2 });
    let l = layout(nodes, []);
    // Grow every namespace in turn, a few nodes at a time, as a live cluster does.
    for (let round = 0; round < 4; round++) {
      const prior = l;
      nodes = [
        ...nodes,
        ...['a', 'b', 'c', 'd', 'e', 'f'].map((ns) => ({ id: `${ns}/r${round}`, namespace: ns })),
      ];
      l = layout(nodes, [], prior);
      for (const [id, p] of prior.positions) expect(l.positions.get(id), id).toEqual(p);
      expectNoBoxesOverlap(l);
      expectBoxesHoldTheirNodes(l, nodes);
      expectNodesApart(l, 40);
    }
  });

  it('places new nodes clear of every placed node in a big namespace', () => {
    const nodes = podsIn({ big: 300 });
    const first = layout(nodes, chain(nodes));
    const more = [...nodes, ...podsIn({ big: 330 }).slice(300)];
    const second = layout(more, [...chain(nodes), { from: 'big/w0', to: 'big/w310' }], first);
    for (const [id, p] of first.positions) expect(second.positions.get(id), id).toEqual(p);
    expectNodesApart(second, 40);
    expectBoxesHoldTheirNodes(second, more);
  });

  it('costs nothing but a copy when no node is new, and forgets nodes that left', () => {
    const nodes = podsIn({ web: 3, data: 2 });
    const first = layout(nodes, []);
    const gone = nodes.filter((n) => n.id !== 'web/w1');
    const second = layout(gone, [], first);
    expect(second.positions.has('web/w1')).toBe(false);
    expect(second.boxes).toEqual(first.boxes);
    const third = layout(podsIn({ data: 2 }), [], second);
    expect(third.boxes.map((b) => b.namespace)).toEqual(['data']);
  });

  it('places a thousand nodes in twenty namespaces with every box clear of the others', () => {
    const nodes = podsIn(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`ns${i}`, 50])));
    const l = layout(nodes, chain(nodes));
    expect(l.positions.size).toBe(1000);
    expectNoBoxesOverlap(l);
    expectBoxesHoldTheirNodes(l, nodes);
    // Rows, not one long column: the map is roughly as wide as it is tall.
    const b = layoutBounds(l);
    expect(b.w / b.h).toBeGreaterThan(0.5);
    expect(b.w / b.h).toBeLessThan(3);
  });
});
