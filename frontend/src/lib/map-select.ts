// What the map shows and how: focus (a node and its neighbours), search matches, edge style and
// geometry, tooltip text. Pure functions over the map's nodes and edges.
import type { Point } from './layout.ts';

export interface SelectNode {
  id: string;
  label: string;
}

export interface SelectEdge {
  from: string;
  to: string;
}

export interface StyledEdge {
  forwarded: number;
  dropped: number;
  rate: number;
}

/** The focused node and every node it has an edge with; undefined when nothing is focused. */
export function neighbourhood(
  focus: string | undefined,
  edges: Iterable<SelectEdge>,
): Set<string> | undefined {
  if (focus === undefined) return undefined;
  const keep = new Set([focus]);
  for (const e of edges) {
    if (e.from === focus) keep.add(e.to);
    if (e.to === focus) keep.add(e.from);
  }
  return keep;
}

/** Ids of the nodes whose label or id contains `query` (case-insensitive), in id order. */
export function searchNodes(nodes: Iterable<SelectNode>, query: string): string[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const out: string[] = [];
  for (const n of nodes) {
    if (n.label.toLowerCase().includes(q) || n.id.toLowerCase().includes(q)) out.push(n.id);
  }
  return out.sort();
}

export type Verdict = 'forwarded' | 'dropped' | 'mixed';

/**
 * Dropped red, mixed (some dropped, some forwarded) dashed red, width by rate. The width moves
 * in whole steps (each a doubling of the rate), so a rate that wobbles from one update to the
 * next does not rewrite thousands of attributes and repaint the map every tick.
 */
export function edgeStyle(e: StyledEdge): { verdict: Verdict; dashed: boolean; width: number } {
  const verdict: Verdict = e.dropped > 0 ? (e.forwarded > 0 ? 'mixed' : 'dropped') : 'forwarded';
  return {
    verdict,
    dashed: verdict === 'mixed',
    width: Math.min(8, 1.5 + Math.floor(Math.log2(1 + Math.max(0, e.rate)))),
  };
}

/** Where the node circle ends, so arrowheads stay visible. */
const NODE_RADIUS = 20;

/**
 * A gentle curve from `a` to `z`, bent to the right of its direction so that A→B and B→A do not
 * draw over each other. Ends are pulled back to the node circles.
 */
export function edgePath(a: Point, z: Point): string {
  const dx = z.x - a.x;
  const dy = z.y - a.y;
  const len = Math.hypot(dx, dy);
  if (len < NODE_RADIUS * 2) return `M ${a.x} ${a.y} L ${z.x} ${z.y}`;
  const ux = dx / len;
  const uy = dy / len;
  const bend = Math.min(40, len * 0.12);
  const cx = (a.x + z.x) / 2 - uy * bend;
  const cy = (a.y + z.y) / 2 + ux * bend;
  const start = toward(a, { x: cx, y: cy }, NODE_RADIUS);
  const end = toward(z, { x: cx, y: cy }, NODE_RADIUS + 2);
  return `M ${r1(start.x)} ${r1(start.y)} Q ${r1(cx)} ${r1(cy)} ${r1(end.x)} ${r1(end.y)}`;
}

function toward(from: Point, to: Point, d: number): Point {
  const len = Math.hypot(to.x - from.x, to.y - from.y) || 1;
  return { x: from.x + ((to.x - from.x) / len) * d, y: from.y + ((to.y - from.y) / len) * d };
}

function r1(v: number): number {
  return Math.round(v * 10) / 10;
}

/** A long name is cut for the drawing; the full name stays in the node's title. */
export function shortLabel(label: string, max = 24): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

export interface TipEdge extends StyledEdge {
  from: string;
  to: string;
  protocol: string;
  port?: number;
  dropReasons: Record<string, number>;
}

export interface TipNode {
  id: string;
  flows: number;
  dropped: number;
  names?: string[];
}

/** The words around the numbers in the hover texts, in the UI's language. */
export interface TipWords {
  forwarded: string;
  dropped: string;
  flows: string;
}

const EN: TipWords = { forwarded: 'forwarded', dropped: 'dropped', flows: 'flows' };

/** A node's hover text: its id, counts, and the DNS names seen for it. */
export function nodeTip(n: TipNode, w: TipWords = EN): string {
  return [
    n.id,
    `${n.flows} ${w.flows} · ${n.dropped} ${w.dropped}`,
    ...(n.names?.length ? [n.names.slice(0, 5).join(', ')] : []),
  ].join('\n');
}

/** The edge's hover text: who, port/protocol, counts, rate and drop reasons. */
export function edgeTip(e: TipEdge, w: TipWords = EN): string {
  const reasons = Object.entries(e.dropReasons)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  return [
    `${e.from} → ${e.to}`,
    `${e.protocol}/${e.port ?? '*'}`,
    `${e.forwarded} ${w.forwarded} · ${e.dropped} ${w.dropped} · ${e.rate.toFixed(1)}/s`,
    ...(reasons ? [reasons] : []),
  ].join('\n');
}
