// Map layout: pure, deterministic and stable. Each namespace is a box; d3-force places the nodes
// inside it. A node keeps its place once it has one (it is pinned with fx/fy and only new nodes
// move in the simulation), and a box only grows into free space, so new nodes never make the
// map jump. d3-force draws its jiggle from a fixed-seed generator, so the same input always
// gives the same picture.
import { boundsOf, freeRoom, GAP, packBox, union, type Rect } from './map-boxes.ts';
import { PAD_BOTTOM, PAD_TOP, simulate, type HalfOf } from './map-force.ts';

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
/** Narrowest row of boxes; rows are otherwise sized for a map about twice as wide as tall. */
const ROW_WIDTH = 700;
/** Simulation steps for a new namespace, and for new nodes among pinned ones. */
const TICKS_NEW = 150;
const TICKS_ADD = 15;

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
