// The map's viewport as an SVG viewBox: fit, zoom about a point, pan, centre. Pure, so pan and
// zoom are tested without a browser; the component only turns pointer/wheel/keys into calls.
import type { Rect } from './map-boxes.ts';
import type { Point } from './layout.ts';

export type ViewBox = Rect;

/** Closest zoom: a viewBox this wide shows a couple of nodes. */
const MIN_WIDTH = 120;
const MARGIN = 20;

/** The whole of `content` with a margin, at the aspect ratio of the element (width/height). */
export function fitView(content: Rect, aspect: number): ViewBox {
  const a = aspect > 0 && Number.isFinite(aspect) ? aspect : 16 / 9;
  let w = content.w + 2 * MARGIN;
  let h = content.h + 2 * MARGIN;
  if (w / h < a) w = h * a;
  else h = w / a;
  return { x: content.x + content.w / 2 - w / 2, y: content.y + content.h / 2 - h / 2, w, h };
}

/**
 * Zooms by `factor` (above 1 zooms in) keeping `at` (in map coordinates) where it is on screen,
 * as a map under the mouse wheel should. Never closer than a couple of nodes, never farther out
 * than `limit` (the fitted view times a few).
 */
export function zoomAt(v: ViewBox, factor: number, at: Point, limit?: ViewBox): ViewBox {
  const maxW = limit ? limit.w * 4 : Infinity;
  const w = Math.min(maxW, Math.max(MIN_WIDTH, v.w / factor));
  const k = w / v.w;
  const h = v.h * k;
  return { x: at.x - (at.x - v.x) * k, y: at.y - (at.y - v.y) * k, w, h };
}

/** Moves the view by (dx, dy) in map coordinates. */
export function panBy(v: ViewBox, dx: number, dy: number): ViewBox {
  return { ...v, x: v.x + dx, y: v.y + dy };
}

/** Same zoom, `p` in the middle. */
export function centreOn(v: ViewBox, p: Point): ViewBox {
  return { ...v, x: p.x - v.w / 2, y: p.y - v.h / 2 };
}

/** Centre of `points`, zoomed out just enough to show them all (never zoomed in). */
export function showPoints(v: ViewBox, points: readonly Point[], aspect: number): ViewBox {
  if (points.length === 0) return v;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const box = { x: Math.min(...xs), y: Math.min(...ys), w: 0, h: 0 };
  box.w = Math.max(...xs) - box.x;
  box.h = Math.max(...ys) - box.y;
  const centre = { x: box.x + box.w / 2, y: box.y + box.h / 2 };
  const need = fitView({ x: box.x - 60, y: box.y - 60, w: box.w + 120, h: box.h + 120 }, aspect);
  return need.w > v.w ? need : centreOn(v, centre);
}

/** Map units per screen pixel, for an element of size width×height showing `v` ("meet"). */
export function unitsPerPixel(v: ViewBox, width: number, height: number): number {
  if (width <= 0 || height <= 0) return 1;
  return Math.max(v.w / width, v.h / height);
}

export function viewBoxAttr(v: ViewBox): string {
  const r = (n: number) => Math.round(n * 10) / 10;
  return `${r(v.x)} ${r(v.y)} ${r(v.w)} ${r(v.h)}`;
}

/** The box around `points`, padded by `padX`/`padY`; undefined for no points. */
export function pointsBounds(
  points: readonly Point[],
  padX: number,
  padY: number,
): Rect | undefined {
  if (points.length === 0) return undefined;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const x = Math.min(...xs) - padX;
  const y = Math.min(...ys) - padY;
  return { x, y, w: Math.max(...xs) + padX - x, h: Math.max(...ys) + padY - y };
}

/**
 * A point on the element (client coordinates; `el` is its client rect) in map coordinates. The
 * SVG is drawn "meet", centred, so the view may not fill the element on one axis.
 */
export function clientToMap(
  v: ViewBox,
  el: { left: number; top: number; width: number; height: number },
  clientX: number,
  clientY: number,
): Point {
  if (el.width <= 0 || el.height <= 0) return { x: v.x + v.w / 2, y: v.y + v.h / 2 };
  const u = unitsPerPixel(v, el.width, el.height);
  const offX = (el.width - v.w / u) / 2;
  const offY = (el.height - v.h / u) / 2;
  return { x: v.x + (clientX - el.left - offX) * u, y: v.y + (clientY - el.top - offY) * u };
}
