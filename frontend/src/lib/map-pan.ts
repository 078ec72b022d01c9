// Drag-to-pan as a small state machine over pointer events, kept out of the component so the
// rules are tested without a browser: a press becomes a pan only once it has moved a few
// pixels, and a press that panned is not also a click on the node under it.

export interface PointerLike {
  pointerId: number;
  clientX: number;
  clientY: number;
  button?: number;
}

/** Below this many pixels a press is still a click. */
const SLOP = 4;

export class PanGesture {
  #drag: { id: number; x: number; y: number; moved: boolean } | undefined;
  #swallowClick = false;

  /** True while a press is panning the map. */
  get panning(): boolean {
    return this.#drag?.moved ?? false;
  }

  down(ev: PointerLike): void {
    if ((ev.button ?? 0) !== 0) return;
    this.#drag = { id: ev.pointerId, x: ev.clientX, y: ev.clientY, moved: false };
    this.#swallowClick = false;
  }

  /** The pixels to pan by since the last call, or undefined while the press is still a click. */
  move(ev: PointerLike): { dx: number; dy: number; started: boolean } | undefined {
    const d = this.#drag;
    if (!d || ev.pointerId !== d.id) return undefined;
    const dx = ev.clientX - d.x;
    const dy = ev.clientY - d.y;
    if (!d.moved && Math.hypot(dx, dy) < SLOP) return undefined;
    const started = !d.moved;
    d.moved = true;
    d.x = ev.clientX;
    d.y = ev.clientY;
    return { dx, dy, started };
  }

  up(ev: PointerLike): void {
    if (!this.#drag || ev.pointerId !== this.#drag.id) return;
    this.#swallowClick = this.#drag.moved;
    this.#drag = undefined;
  }

  /** Whether the click that ends a press should act; a pan's click is swallowed, once. */
  takeClick(): boolean {
    if (!this.#swallowClick) return true;
    this.#swallowClick = false;
    return false;
  }
}
