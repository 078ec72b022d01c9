// Map layout: pure, deterministic and stable. Each namespace is a box; d3-force places the nodes
// inside it. A node keeps its place once it has one (it is pinned with fx/fy and only new nodes
// move in the simulation), and a box only grows into free space, so new nodes never make the
// map jump. d3-force draws its jiggle from a fixed-seed generator, so the same input always
// gives the same picture.
import {
  forceCollide,
  forceLink,
  forceManyBody,
  forceSimulation,
  forceX,
  forceY,
  type SimulationNodeDatum,
} from 'd3-force';
import { boundsOf, freeRoom, GAP, packBox, union, type Rect } from './map-boxes.ts';

export interface LayoutNode {
  id: string;
  namespace?: string;
  /** The text drawn under the node: its box must be wide enough for it. */
  label?: string;
}

export interface LayoutEdge {
  from: string;
  to: string;
}

export interface Point {
  x: number;
  y: number;
}

export interface Box extends Rect {
  namespace: string;
}

export interface MapLayout {
  positions: Map<string, Point>;
  /** Sorted by namespace, the outside world last. */
  boxes: Box[];
}

export const OUTSIDE = '(outside)';
/** Room a node needs: the circle and a label under it. */
const SPACING = 55;
/** Box padding around its nodes: top (the namespace name), bottom (a label). */
const PAD_TOP = 50;
const PAD_BOTTOM = 50;
/** Narrowest row of boxes; rows are otherwise sized for a map about twice as wide as tall. */
const ROW_WIDTH = 700;
/** Simulation steps for a new namespace, and for new nodes among pinned ones. */
const TICKS_NEW = 150;
const TICKS_ADD = 15;

interface SimNode extends SimulationNodeDatum {
  id: string;
}

function nsOf(n: LayoutNode): string {
  return n.namespace ?? OUTSIDE;
}

function byNamespace(a: string, b: string): number {
  if (a === b) return 0;
  if (a === OUTSIDE) return 1;
  if (b === OUTSIDE) return -1;
  return a < b ? -1 : 1;
}

/** Half the width a node takes: its label (as cut for the drawing) or the circle's margin. */
export function halfWidth(label: string | undefined): number {
  // Sized for the presenter's larger type, so switching modes never needs a new layout.
  return Math.round(Math.max(40, Math.min(24, label?.length ?? 12) * 4.4 + 12));
}

/** Width of a box's title (the namespace name), at the presenter's size. */
function titleWidth(namespace: string): number {
  return Math.round(namespace.length * 10 + 30);
}

type HalfOf = (id: string) => number;

/** The box its nodes need: their bounding box plus room for the labels and the title. */
function needed(placed: ReadonlyMap<string, Point>, half: HalfOf): Rect {
  let l = Infinity;
  let r = -Infinity;
  let t = Infinity;
  let b = -Infinity;
  for (const [id, p] of placed) {
    l = Math.min(l, p.x - half(id));
    r = Math.max(r, p.x + half(id));
    t = Math.min(t, p.y - PAD_TOP);
    b = Math.max(b, p.y + PAD_BOTTOM);
  }
  return { x: l, y: t, w: r - l, h: b - t };
}

/**
 * The order new namespaces are packed in: the busiest first, then always the one with the most
 * edges to those already placed, so namespaces that talk sit side by side. Ties go by name, and
 * the outside world comes last.
 */
function packOrder(
  fresh: readonly string[],
  placed: readonly string[],
  edges: readonly LayoutEdge[],
  nsOfId: ReadonlyMap<string, string>,
): string[] {
  const weight = new Map<string, number>();
  const key = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);
  const total = new Map<string, number>();
  for (const e of edges) {
    const a = nsOfId.get(e.from);
    const b = nsOfId.get(e.to);
    if (!a || !b || a === b) continue;
    weight.set(key(a, b), (weight.get(key(a, b)) ?? 0) + 1);
    total.set(a, (total.get(a) ?? 0) + 1);
    total.set(b, (total.get(b) ?? 0) + 1);
  }
  const done = [...placed];
  const left = fresh.filter((ns) => ns !== OUTSIDE);
  const out: string[] = [];
  while (left.length > 0) {
    const score = (ns: string) =>
      done.length === 0
        ? (total.get(ns) ?? 0)
        : done.reduce((s, d) => s + (weight.get(key(ns, d)) ?? 0), 0);
    let best = 0;
    for (let i = 1; i < left.length; i++) {
      const d = score(left[i]!) - score(left[best]!);
      if (d > 0 || (d === 0 && left[i]! < left[best]!)) best = i;
    }
    const [ns] = left.splice(best, 1);
    out.push(ns!);
    done.push(ns!);
  }
  return fresh.includes(OUTSIDE) ? [...out, OUTSIDE] : out;
}

/**
 * Runs d3-force over one namespace's nodes. Pinned nodes stay exactly where they are; fresh
 * ones start near the nodes they talk to and, when `room` is given, never leave it.
 */
function simulate(
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

/**
 * Positions and namespace boxes for `nodes`. With `previous`, every node it placed keeps its
 * position and every box keeps its place (growing only into free space); only new nodes and new
 * namespaces are laid out. Costs one short simulation per namespace that has new nodes, and
 * nothing but a copy when none are new.
 */
export function layout(
  nodes: readonly LayoutNode[],
  edges: readonly LayoutEdge[] = [],
  previous?: MapLayout,
): MapLayout {
  const groups = new Map<string, string[]>();
  for (const n of nodes) {
    const list = groups.get(nsOf(n)) ?? [];
    list.push(n.id);
    groups.set(nsOf(n), list);
  }
  const nsOfId = new Map(nodes.map((n) => [n.id, nsOf(n)]));
  const halves = new Map(nodes.map((n) => [n.id, halfWidth(n.label)]));
  const half: HalfOf = (id) => halves.get(id) ?? halfWidth(undefined);
  /** Edges inside each namespace, sorted out once rather than once per namespace. */
  const within = new Map<string, LayoutEdge[]>();
  for (const e of edges) {
    const ns = nsOfId.get(e.from);
    if (ns === undefined || ns !== nsOfId.get(e.to)) continue;
    const list = within.get(ns);
    if (list) list.push(e);
    else within.set(ns, [e]);
  }
  const oldBoxes = new Map((previous?.boxes ?? []).map((b) => [b.namespace, b]));
  const positions = new Map<string, Point>();
  const boxes = new Map<string, Rect>();
  const names = [...groups.keys()].sort(byNamespace);
  const fresh: string[] = [];

  // Namespaces already on the map first: their boxes are fixed obstacles for everything else.
  for (const ns of names) {
    const old = oldBoxes.get(ns);
    if (!old) {
      fresh.push(ns);
      continue;
    }
    const ids = groups.get(ns)!.sort();
    const pinned = new Map<string, Point>();
    for (const id of ids) {
      const p = previous?.positions.get(id);
      if (p) pinned.set(id, p);
    }
    const added = ids.filter((id) => !pinned.has(id));
    let placed = pinned;
    if (added.length > 0) {
      // Boxes that already grew in this pass count at their new size, so two neighbours never
      // grow into the same gap.
      const others = [...oldBoxes.values()]
        .filter((b) => b.namespace !== ns && groups.has(b.namespace))
        .map((b) => boxes.get(b.namespace) ?? b);
      const local = within.get(ns) ?? [];
      const centre = { x: old.x + old.w / 2, y: old.y + old.h / 2 };
      placed = simulate(pinned, added, local, centre, freeRoom(old, others), TICKS_ADD, half);
    }
    for (const [id, p] of placed) positions.set(id, p);
    // Boxes never shrink while the namespace is on the map: a shrinking box would invite its
    // neighbours' new nodes into space this namespace may need again.
    boxes.set(ns, union(old, needed(placed, half)));
  }

  // New namespaces: lay each out on its own, then pack the boxes into rows about as wide as the
  // whole map is tall, so a first snapshot of many namespaces does not become one long column.
  const order = packOrder(fresh, [...boxes.keys()], edges, nsOfId);
  const local = order.map((ns) => {
    const ids = groups.get(ns)!.sort();
    const inside = within.get(ns) ?? [];
    const placed = simulate(new Map(), ids, inside, { x: 0, y: 0 }, undefined, TICKS_NEW, half);
    const want = needed(placed, half);
    return { ns, placed, want: { ...want, w: Math.max(want.w, titleWidth(ns)) } };
  });
  const area = [...boxes.values(), ...local.map((l) => l.want)].reduce((s, r) => s + r.w * r.h, 0);
  const rowWidth = Math.max(
    ROW_WIDTH,
    Math.sqrt(area * 2) * 1.3,
    (boundsOf([...boxes.values()])?.w ?? 0) + GAP,
  );
  for (const { ns, placed, want } of local) {
    const spot = packBox(want.w, want.h, [...boxes.values()], rowWidth);
    const dx = Math.round(spot.x - want.x);
    const dy = Math.round(spot.y - want.y);
    for (const [id, p] of placed) positions.set(id, { x: p.x + dx, y: p.y + dy });
    boxes.set(ns, spot);
  }

  return {
    positions,
    boxes: names.map((namespace) => ({ namespace, ...boxes.get(namespace)! })),
  };
}

/** Everything drawn: the boxes' extent, for fit-to-view and export. */
export function layoutBounds(l: MapLayout): Rect {
  return boundsOf(l.boxes) ?? { x: 0, y: 0, w: 600, h: 300 };
}
