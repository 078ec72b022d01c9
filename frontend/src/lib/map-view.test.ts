import { describe, expect, it } from 'vitest';
import { freeRoom, intersects, packBox } from './map-boxes.ts';
import {
  edgePath,
  edgeStyle,
  edgeTip,
  neighbourhood,
  searchNodes,
  shortLabel,
} from './map-select.ts';
import {
  centreOn,
  clientToMap,
  fitView,
  panBy,
  pointsBounds,
  showPoints,
  unitsPerPixel,
  zoomAt,
} from './map-view.ts';

describe('viewport', () => {
  it('fits the content with a margin at the element aspect ratio', () => {
    const v = fitView({ x: 0, y: 0, w: 1000, h: 200 }, 2);
    expect(v.w / v.h).toBeCloseTo(2);
    expect(v.x).toBeLessThan(0);
    expect(v.x + v.w).toBeGreaterThan(1000);
    expect(v.y + v.h / 2).toBeCloseTo(100);
  });

  it('zooms about a point, which stays where it is on screen', () => {
    const v = { x: 0, y: 0, w: 1000, h: 500 };
    const at = { x: 250, y: 100 };
    const z = zoomAt(v, 2, at);
    expect(z.w).toBe(500);
    expect(z.h).toBe(250);
    // The point's fraction across the view is unchanged.
    expect((at.x - z.x) / z.w).toBeCloseTo((at.x - v.x) / v.w);
    expect((at.y - z.y) / z.h).toBeCloseTo((at.y - v.y) / v.h);
  });

  it('never zooms closer than a couple of nodes nor farther than a few fitted views', () => {
    const v = { x: 0, y: 0, w: 1000, h: 500 };
    expect(zoomAt(v, 1000, { x: 0, y: 0 }).w).toBe(120);
    expect(zoomAt(v, 0.001, { x: 0, y: 0 }, v).w).toBe(4000);
  });

  it('pans, centres, and shows search matches without zooming in', () => {
    const v = { x: 0, y: 0, w: 400, h: 200 };
    expect(panBy(v, 10, -5)).toEqual({ x: 10, y: -5, w: 400, h: 200 });
    expect(centreOn(v, { x: 1000, y: 1000 })).toEqual({ x: 800, y: 900, w: 400, h: 200 });
    expect(showPoints(v, [{ x: 500, y: 500 }], 2)).toEqual({ x: 300, y: 400, w: 400, h: 200 });
    const wide = showPoints(
      v,
      [
        { x: 0, y: 0 },
        { x: 2000, y: 0 },
      ],
      2,
    );
    expect(wide.w).toBeGreaterThan(2000);
    expect(unitsPerPixel(v, 200, 100)).toBe(2);
  });
});

describe('pointer and bounds', () => {
  it('maps a client point to the map, with the letterbox of a "meet" drawing', () => {
    // A 2:1 view in a 400×400 element: drawn 400×200, centred, 100 px bands above and below.
    const v = { x: 0, y: 0, w: 800, h: 400 };
    const el = { left: 10, top: 20, width: 400, height: 400 };
    expect(clientToMap(v, el, 10, 120)).toEqual({ x: 0, y: 0 });
    expect(clientToMap(v, el, 410, 320)).toEqual({ x: 800, y: 400 });
    expect(clientToMap(v, { ...el, width: 0 }, 0, 0)).toEqual({ x: 400, y: 200 });
  });

  it('bounds points with padding, and nothing for no points', () => {
    expect(
      pointsBounds(
        [
          { x: 0, y: 0 },
          { x: 10, y: 20 },
        ],
        5,
        1,
      ),
    ).toEqual({ x: -5, y: -1, w: 20, h: 22 });
    expect(pointsBounds([], 5, 5)).toBeUndefined();
  });
});

describe('boxes', () => {
  it('packs new boxes clear of the ones placed, in rows', () => {
    const placed = [{ x: 0, y: 0, w: 300, h: 200 }];
    const next = packBox(300, 100, placed, 1000);
    expect(next.y).toBe(0);
    expect(intersects(next, placed[0]!)).toBe(false);
    const wrapped = packBox(800, 100, [...placed, next], 1000);
    expect(wrapped.x).toBe(0);
    expect(wrapped.y).toBeGreaterThanOrEqual(200);
  });

  it('gives a box room to grow that touches no neighbour', () => {
    const box = { x: 400, y: 400, w: 200, h: 200 };
    const others = [
      { x: 0, y: 400, w: 300, h: 200 },
      { x: 700, y: 300, w: 200, h: 400 },
      { x: 400, y: 0, w: 200, h: 300 },
      { x: 650, y: 650, w: 100, h: 100 },
    ];
    const room = freeRoom(box, others);
    expect(room.x).toBeLessThanOrEqual(box.x);
    expect(room.x + room.w).toBeGreaterThanOrEqual(box.x + box.w);
    for (const o of others) expect(intersects(room, o)).toBe(false);
  });
});

describe('selection and style', () => {
  const edges = [
    { from: 'a', to: 'b' },
    { from: 'c', to: 'a' },
    { from: 'b', to: 'd' },
  ];

  it('focus keeps the node and its neighbours both ways', () => {
    expect(neighbourhood(undefined, edges)).toBeUndefined();
    expect([...neighbourhood('a', edges)!].sort()).toEqual(['a', 'b', 'c']);
  });

  it('search matches labels and ids, case-insensitively, and nothing for a blank query', () => {
    const nodes = [
      { id: 'shop/frontend', label: 'frontend' },
      { id: 'data/db', label: 'Database' },
    ];
    expect(searchNodes(nodes, 'DATA')).toEqual(['data/db']);
    expect(searchNodes(nodes, 'shop/')).toEqual(['shop/frontend']);
    expect(searchNodes(nodes, '  ')).toEqual([]);
  });

  it.each([
    { name: 'forwarded only', forwarded: 5, dropped: 0, verdict: 'forwarded', dashed: false },
    { name: 'dropped only', forwarded: 0, dropped: 5, verdict: 'dropped', dashed: false },
    {
      name: 'some of each is mixed and dashed',
      forwarded: 3,
      dropped: 2,
      verdict: 'mixed',
      dashed: true,
    },
  ])('edge style: $name', ({ forwarded, dropped, verdict, dashed }) => {
    expect(edgeStyle({ forwarded, dropped, rate: 1 })).toMatchObject({ verdict, dashed });
  });

  it('edges get thicker with rate, up to a limit', () => {
    const w = (rate: number) => edgeStyle({ forwarded: 1, dropped: 0, rate }).width;
    expect(w(10)).toBeGreaterThan(w(0));
    expect(w(1e9)).toBe(8);
  });

  it('edge paths end short of the node circles, and A→B bends away from B→A', () => {
    const ab = edgePath({ x: 0, y: 0 }, { x: 200, y: 0 });
    const ba = edgePath({ x: 200, y: 0 }, { x: 0, y: 0 });
    const [, x1, y1] = ab.split(' ');
    expect(Math.hypot(Number(x1), Number(y1))).toBeCloseTo(20, 0);
    const controlY = (d: string) => Number(d.split(' ')[5]);
    expect(Math.sign(controlY(ab))).toBe(-Math.sign(controlY(ba)));
  });

  it('tooltip text names the port, protocol, counts and reasons', () => {
    const tip = edgeTip({
      from: 'shop/frontend',
      to: 'data/db',
      protocol: 'TCP',
      port: 5432,
      forwarded: 2,
      dropped: 3,
      rate: 0.5,
      dropReasons: { POLICY_DENIED: 3 },
    });
    expect(tip).toBe(
      'shop/frontend → data/db\nTCP/5432\n2 forwarded · 3 dropped · 0.5/s\nPOLICY_DENIED 3',
    );
  });

  it('cuts long labels', () => {
    expect(shortLabel('x'.repeat(30))).toHaveLength(24);
    expect(shortLabel('short')).toBe('short');
  });
});
