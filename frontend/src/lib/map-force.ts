// d3-force placement of one namespace's nodes, with pinned nodes held exactly where they are,
// and the spiral search that keeps a new node off every placed one. Pure and deterministic
// (d3-force's jiggle comes from a fixed-seed generator); lib/layout composes it per namespace.
import {
  forceCollide,
  forceLink,
  forceManyBody,
  forceSimulation,
  forceX,
  forceY,
  type SimulationNodeDatum,
} from 'd3-force';
import type { LayoutEdge, Point } from './layout.ts';
import type { Rect } from './map-boxes.ts';

/** Room a node needs: the circle and a label under it. */
export const SPACING = 55;
/** Box padding around its nodes: top (the namespace name), bottom (a label). */
export const PAD_TOP = 50;
export const PAD_BOTTOM = 50;

/** Half the width a node takes, by id (its label's, or the circle's margin). */
export type HalfOf = (id: string) => number;

interface SimNode extends SimulationNodeDatum {
  id: string;
}

/**
 * Runs d3-force over one namespace's nodes. Pinned nodes stay exactly where they are; fresh
 * ones start near the nodes they talk to and, when `room` is given, never leave it.
 */
export function simulate(
  pinned: ReadonlyMap<string, Point>,
  fresh: readonly string[],
  edges: readonly LayoutEdge[],
  centre: Point,
  room: Rect | undefined,
  ticks: number,
  half: HalfOf,
): Map<string, Point> {
  const near = new Map<string, Point[]>();
  const addNear = (id: string, p: Point) => {
    const list = near.get(id);
    if (list) list.push(p);
    else near.set(id, [p]);
  };
  for (const e of edges) {
    const a = pinned.get(e.from);
    const b = pinned.get(e.to);
    if (a && !b) addNear(e.to, a);
    if (b && !a) addNear(e.from, b);
  }
  const moving: SimNode[] = fresh.map((id, i) => {
    // Start beside the nodes it talks to (or the box's middle), on a sunflower spiral so no two
    // fresh nodes start on the same spot.
    const ps = near.get(id);
    const base = ps
      ? {
          x: ps.reduce((s, p) => s + p.x, 0) / ps.length,
          y: ps.reduce((s, p) => s + p.y, 0) / ps.length,
        }
      : centre;
    const r = SPACING * Math.sqrt(i + 1);
    const a = i * 2.399963;
    return { id, x: base.x + r * Math.cos(a), y: base.y + r * Math.sin(a) };
  });
  // Only pinned nodes within reach of where the new ones start take part: forces on the rest
  // would be computed and thrown away, and in a big namespace that is nearly all the cost.
  // `legalize` below still keeps new nodes clear of every pinned one.
  const reach = SPACING * 6;
  const nodes: SimNode[] = [];
  for (const [id, p] of pinned) {
    const close =
      pinned.size <= 40 ||
      moving.some((m) => Math.abs((m.x ?? 0) - p.x) < reach && Math.abs((m.y ?? 0) - p.y) < reach);
    if (close) nodes.push({ id, x: p.x, y: p.y, fx: p.x, fy: p.y });
  }
  nodes.push(...moving);
  const inSim = new Set(nodes.map((n) => n.id));
  const links = edges
    .filter((e) => e.from !== e.to && inSim.has(e.from) && inSim.has(e.to))
    .map((e) => ({ source: e.from, target: e.to }));
  const sim = forceSimulation(nodes)
    .stop()
    .force(
      'link',
      forceLink<SimNode, { source: string; target: string }>(links)
        .id((n) => n.id)
        .distance(SPACING * 2)
        .strength(0.2),
    )
    .force(
      'charge',
      forceManyBody()
        .strength(-180)
        .distanceMax(SPACING * 8),
    )
    .force(
      'collide',
      forceCollide<SimNode>((n) => Math.max(SPACING, half(n.id))),
    )
    .force('x', forceX(centre.x).strength(0.06))
    .force('y', forceY(centre.y).strength(0.06));
  // The sunflower start is already free of overlaps, so a big namespace needs fewer steps: this
  // keeps a first layout of a thousand nodes well under a second.
  const steps = Math.max(Math.min(20, ticks), Math.round(ticks * Math.min(1, 200 / nodes.length)));
  for (let i = 0; i < steps; i++) {
    sim.tick();
    if (!room) continue;
    for (const n of nodes) {
      if (n.fx != null) continue;
      const h = half(n.id);
      n.x = Math.min(room.x + room.w - h, Math.max(room.x + h, n.x ?? 0));
      n.y = Math.min(room.y + room.h - PAD_BOTTOM, Math.max(room.y + PAD_TOP, n.y ?? 0));
    }
  }
  // Pinned nodes go back exactly as they came: rounding them would move them.
  const out = new Map<string, Point>(pinned);
  const radius = (id: string) => Math.max(SPACING, half(id));
  for (const m of moving) {
    const at = legalize(m.id, { x: m.x ?? 0, y: m.y ?? 0 }, out, radius, room, half);
    out.set(m.id, { x: Math.round(at.x), y: Math.round(at.y) });
  }
  return out;
}

/**
 * `p`, or the nearest spot on a spiral around it (inside `room`) that keeps `id` clear of every
 * node already in `placed`. The simulation only saw the pinned nodes near the start, and a
 * crowded room can leave two nodes on top of each other; this is the guarantee.
 */
function legalize(
  id: string,
  p: Point,
  placed: ReadonlyMap<string, Point>,
  radius: (id: string) => number,
  room: Rect | undefined,
  half: HalfOf,
): Point {
  const r = radius(id);
  const clear = (q: Point) => {
    for (const [other, o] of placed) {
      const min = 0.9 * (r + radius(other));
      if (
        Math.abs(o.x - q.x) < min &&
        Math.abs(o.y - q.y) < min &&
        Math.hypot(o.x - q.x, o.y - q.y) < min
      ) {
        return false;
      }
    }
    return true;
  };
  const inside = (q: Point) =>
    !room ||
    (q.x >= room.x + half(id) &&
      q.x <= room.x + room.w - half(id) &&
      q.y >= room.y + PAD_TOP &&
      q.y <= room.y + room.h - PAD_BOTTOM);
  if (clear(p)) return p;
  // The spiral reaches past the edge of any namespace this layout builds before it gives up.
  for (let i = 1; i <= 20_000; i++) {
    const d = (SPACING / 2) * Math.sqrt(i);
    const a = i * 2.399963;
    const q = { x: p.x + d * Math.cos(a), y: p.y + d * Math.sin(a) };
    if (inside(q) && clear(q)) return q;
  }
  return p;
}
