// The rows a virtualised list draws: those in view plus a margin, from the scroll position.
// Pure, so the arithmetic is tested without a browser.
export interface RowWindow {
  start: number;
  end: number;
  /** Space above the first drawn row, in px. */
  top: number;
  /** Space below the last drawn row, in px. */
  bottom: number;
}

export function rowWindow(
  total: number,
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  overscan = 10,
): RowWindow {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, top: 0, bottom: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const start = Math.max(0, Math.min(total - 1, first - overscan));
  const end = Math.min(total, first + Math.ceil(Math.max(0, viewport) / rowHeight) + overscan);
  return { start, end, top: start * rowHeight, bottom: (total - end) * rowHeight };
}
