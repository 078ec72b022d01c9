// Map layout: pure and stable. Namespaces are laid out as boxes on a grid, nodes inside their
// box on a small grid; a node keeps its place once it has one, so new nodes never make the map
// jump.
export interface LayoutNode {
  id: string;
  namespace?: string;
}

export interface Point {
  x: number;
  y: number;
}

export interface Box {
  namespace: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

export const CELL = 150;
const PER_ROW = 3;
const BOX_COLUMNS = 3;

/** Positions for every node, keeping `previous` positions of nodes still present. */
export function layout(
  nodes: readonly LayoutNode[],
  previous: ReadonlyMap<string, Point> = new Map(),
): { positions: Map<string, Point>; boxes: Box[] } {
  const groups = new Map<string, LayoutNode[]>();
  for (const n of nodes) {
    const g = n.namespace ?? '(outside)';
    const list = groups.get(g) ?? [];
    list.push(n);
    groups.set(g, list);
  }
  const names = [...groups.keys()].sort((a, b) =>
    a === '(outside)' ? 1 : b === '(outside)' ? -1 : a.localeCompare(b),
  );
  const positions = new Map<string, Point>();
  const boxes: Box[] = [];
  let bx = 0;
  let by = 0;
  let rowHeight = 0;
  names.forEach((ns, i) => {
    const members = groups.get(ns)!.sort((a, b) => a.id.localeCompare(b.id));
    const cols = Math.min(PER_ROW, members.length);
    const rows = Math.ceil(members.length / PER_ROW);
    const w = cols * CELL + 40;
    const h = rows * CELL + 50;
    if (i > 0 && i % BOX_COLUMNS === 0) {
      bx = 0;
      by += rowHeight + 40;
      rowHeight = 0;
    }
    boxes.push({ namespace: ns, x: bx, y: by, w, h });
    const taken = new Set<string>();
    for (const m of members) {
      const p = previous.get(m.id);
      if (p) {
        positions.set(m.id, p);
        taken.add(`${Math.round(p.x)},${Math.round(p.y)}`);
      }
    }
    let slot = 0;
    for (const m of members) {
      if (positions.has(m.id)) continue;
      let p: Point;
      do {
        p = {
          x: bx + 20 + (slot % PER_ROW) * CELL + CELL / 2,
          y: by + 40 + Math.floor(slot / PER_ROW) * CELL + CELL / 2,
        };
        slot += 1;
      } while (taken.has(`${Math.round(p.x)},${Math.round(p.y)}`));
      taken.add(`${Math.round(p.x)},${Math.round(p.y)}`);
      positions.set(m.id, p);
    }
    bx += w + 40;
    rowHeight = Math.max(rowHeight, h);
  });
  return { positions, boxes };
}

/** Edge style from its counts: dropped red, mixed dashed, width by rate. */
export function edgeStyle(e: { forwarded: number; dropped: number; rate: number }): {
  color: string;
  dashed: boolean;
  width: number;
} {
  const color = e.dropped > 0 ? 'var(--drop)' : 'var(--ok)';
  return {
    color,
    dashed: e.dropped > 0 && e.forwarded > 0,
    width: Math.min(8, 1.5 + Math.log2(1 + e.rate)),
  };
}
