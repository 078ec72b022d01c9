// Export of the map as SVG and PNG. The drawing's colours come from CSS variables and scoped
// styles that a standalone file does not have, so each element's computed style is copied onto
// it: the file (and the PNG rendered from it) looks like the screen, dark mode included. The
// serializer escapes text, so flow names stay text in the file.
import type { Rect } from './map-boxes.ts';

/** Presentation properties the map's CSS sets; copying all of getComputedStyle would bloat it. */
const PROPS = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'stroke-opacity',
  'stroke-linejoin',
  'paint-order',
  'opacity',
  'font-family',
  'font-size',
  'font-weight',
  'display',
  'visibility',
] as const;
/** Browsers refuse canvases much bigger than this. */
const MAX_PIXELS = 4096;

/** The map as a standalone SVG document showing `area`, styles inlined, on `background`. */
export function serializeMap(svg: SVGSVGElement, area: Rect, background: string): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const from = [svg, ...svg.querySelectorAll('*')];
  const to = [clone, ...clone.querySelectorAll('*')];
  const drop: Element[] = [];
  from.forEach((el, i) => {
    const target = to[i];
    if (!(target instanceof SVGElement) || el === svg) return;
    // Hover targets are invisible on screen and would only bloat the file.
    if (el.classList.contains('hit')) drop.push(target);
    const cs = getComputedStyle(el);
    const style = PROPS.map((p) => [p, cs.getPropertyValue(p)] as const)
      .filter(([, v]) => v !== '')
      .map(([p, v]) => `${p}:${v}`)
      .join(';');
    if (style) target.setAttribute('style', style);
    target.removeAttribute('class');
  });
  for (const el of drop) el.remove();
  // The on-screen pan/zoom is not part of the picture: the file shows the whole map.
  clone.setAttribute('viewBox', `${area.x} ${area.y} ${area.w} ${area.h}`);
  clone.setAttribute('width', String(Math.round(area.w)));
  clone.setAttribute('height', String(Math.round(area.h)));
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.removeAttribute('style');
  clone.removeAttribute('class');
  const bg = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  bg.setAttribute('x', String(area.x));
  bg.setAttribute('y', String(area.y));
  bg.setAttribute('width', String(area.w));
  bg.setAttribute('height', String(area.h));
  bg.setAttribute('fill', background);
  clone.insertBefore(bg, clone.firstChild);
  return new XMLSerializer().serializeToString(clone);
}

function download(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has read the URL by the next task; revoking now would cancel it in some browsers.
  setTimeout(() => URL.revokeObjectURL(a.href), 0);
}

export function downloadSvg(text: string, name = 'flowlens-map.svg'): void {
  download(new Blob([text], { type: 'image/svg+xml' }), name);
}

/** Renders the serialized SVG into a canvas (twice the size, for sharpness) and downloads it. */
export async function downloadPng(
  text: string,
  area: Rect,
  name = 'flowlens-map.png',
): Promise<void> {
  const scale = Math.min(2, MAX_PIXELS / Math.max(area.w, area.h, 1));
  const img = new Image();
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  try {
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(area.w * scale));
    canvas.height = Math.max(1, Math.round(area.h * scale));
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2d canvas');
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (!blob) throw new Error('the browser could not encode the PNG');
    download(blob, name);
  } finally {
    URL.revokeObjectURL(url);
  }
}
