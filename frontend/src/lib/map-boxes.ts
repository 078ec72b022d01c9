// Rectangle geometry for the namespace boxes: where a new box goes, and how far an existing box
// may grow without covering another. Pure; the layout composes these.
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Space kept between two boxes. */
export const GAP = 40;
/** How far a box may grow into open space (no box in that direction) in one layout pass. */
const OPEN = 4000;

export function intersects(a: Rect, b: Rect, gap = 0): boolean {
  return (
    a.x < b.x + b.w + gap && b.x < a.x + a.w + gap && a.y < b.y + b.h + gap && b.y < a.y + a.h + gap
  );
}

export function union(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}

export function boundsOf(rects: readonly Rect[]): Rect | undefined {
  let out: Rect | undefined;
  for (const r of rects) out = out ? union(out, r) : { ...r };
  return out;
}

/**
 * The largest rectangle (found greedily: right, down, left, up) around `box` that touches no
 * other box. New nodes of a namespace are kept inside it, so a growing box never covers its
 * neighbours and the neighbours never have to move.
 */
export function freeRoom(box: Rect, others: readonly Rect[]): Rect {
  let l = box.x;
  let t = box.y;
  let r = box.x + box.w;
  let b = box.y + box.h;
  const overlapsY = (o: Rect) => o.y < b + GAP && t - GAP < o.y + o.h;
  const overlapsX = (o: Rect) => o.x < r + GAP && l - GAP < o.x + o.w;
  r = Math.min(r + OPEN, ...others.filter((o) => overlapsY(o) && o.x >= r).map((o) => o.x - GAP));
  b = Math.min(b + OPEN, ...others.filter((o) => overlapsX(o) && o.y >= b).map((o) => o.y - GAP));
  l = Math.max(
    l - OPEN,
    ...others.filter((o) => overlapsY(o) && o.x + o.w <= l).map((o) => o.x + o.w + GAP),
  );
  t = Math.max(
    t - OPEN,
    ...others.filter((o) => overlapsX(o) && o.y + o.h <= t).map((o) => o.y + o.h + GAP),
  );
  return { x: l, y: t, w: Math.max(box.w, r - l), h: Math.max(box.h, b - t) };
}

/**
 * A place for a new box of size w×h that touches none of `placed`: the first free spot, top to
 * bottom then left to right, among the corners of the boxes already there, keeping rows within
 * `rowWidth` (a box wider than that starts a row of its own).
 */
export function packBox(w: number, h: number, placed: readonly Rect[], rowWidth: number): Rect {
  const candidates: { x: number; y: number }[] = [{ x: 0, y: 0 }];
  for (const p of placed) {
    candidates.push({ x: p.x + p.w + GAP, y: p.y }, { x: 0, y: p.y + p.h + GAP });
    candidates.push({ x: p.x, y: p.y + p.h + GAP });
  }
  candidates.sort((a, b) => a.y - b.y || a.x - b.x);
  for (const c of candidates) {
    const r = { x: c.x, y: c.y, w, h };
    if (c.x > 0 && c.x + w > rowWidth) continue;
    if (!placed.some((p) => intersects(r, p, GAP - 1))) return r;
  }
  // Below everything always fits.
  const bottom = Math.max(0, ...placed.map((p) => p.y + p.h + GAP));
  return { x: 0, y: bottom, w, h };
}
