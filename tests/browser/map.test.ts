// The service map in Debian's chromium against `flowlens --demo`: boxes, red dropped edges,
// pan/zoom/fit, search, keyboard focus, a stable layout across a lab step, and SVG/PNG export.
import { readFileSync } from 'node:fs';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, launchChromium, openDashboard } from '../support/browser.ts';
import type { Running } from '../support/process.ts';

let browser: Browser;
const running: Running[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterEach(() => closeAll(browser, running));

afterAll(async () => {
  await closeAll(browser, running);
  await browser?.close();
});

/** The tests' TypeScript has no DOM library; inside the page these globals exist. */
function computed(l: Locator, prop: string): Promise<string> {
  return l.evaluate(
    (el, p) =>
      (
        globalThis as unknown as {
          getComputedStyle(e: unknown): { getPropertyValue(n: string): string };
        }
      )
        .getComputedStyle(el)
        .getPropertyValue(p),
    prop,
  );
}

/**
 * A point three pixels beside the middle of a forwarded edge's line, in page coordinates, where
 * nothing but that edge's hover target is (a node or another edge may cover some middles).
 */
function besideAnEdge(page: Page): Promise<{ x: number; y: number } | undefined> {
  return page.locator('[data-testid=edge][data-verdict=forwarded]').evaluateAll((els) => {
    type Path = {
      getTotalLength(): number;
      getPointAtLength(n: number): { x: number; y: number };
      getScreenCTM(): { a: number; b: number; c: number; d: number; e: number; f: number };
      getAttribute(name: string): string | null;
    };
    const doc = globalThis as unknown as {
      document: { elementFromPoint(x: number, y: number): Path | null };
    };
    for (const el of els as unknown as Path[]) {
      const p = el.getPointAtLength(el.getTotalLength() / 2);
      const m = el.getScreenCTM();
      const at = { x: m.a * p.x + m.c * p.y + m.e, y: m.b * p.x + m.d * p.y + m.f + 3 };
      const hit = doc.document.elementFromPoint(at.x, at.y);
      if (!hit) continue;
      const isHit = (hit.getAttribute('class') ?? '').split(' ').includes('hit');
      if (isHit && hit.getAttribute('data-id') === el.getAttribute('data-id')) return at;
    }
    return undefined;
  });
}

const viewBox = (page: Page) => page.locator('[data-testid=map]').getAttribute('viewBox');

async function mapReady(page: Page): Promise<void> {
  await page.waitForSelector('[data-testid=node]', { timeout: 20_000 });
  await page.waitForSelector('[data-testid=edge][data-dropped=true]', {
    state: 'attached',
    timeout: 30_000,
  });
}

/** Node id → its circle's centre: where the layout put it. */
async function placements(page: Page): Promise<Map<string, string>> {
  const nodes = page.locator('[data-testid=node]');
  const out = new Map<string, string>();
  for (let i = 0; i < (await nodes.count()); i++) {
    const n = nodes.nth(i);
    const circle = n.locator('circle');
    const at = `${await circle.getAttribute('cx')},${await circle.getAttribute('cy')}`;
    out.set((await n.getAttribute('data-id'))!, at);
  }
  return out;
}

describe('the service map in a browser', { timeout: 90_000 }, () => {
  it('draws nodes inside their namespace boxes and dropped edges in red', async () => {
    const { page } = await openDashboard(browser, running, []);
    await mapReady(page);
    const nodes = page.locator('[data-testid=node]');
    expect(await nodes.count()).toBeGreaterThan(3);
    for (let i = 0; i < (await nodes.count()); i++) {
      const n = nodes.nth(i);
      const ns = await n.getAttribute('data-namespace');
      const box = await page
        .locator(`[data-testid=namespace][data-namespace="${ns}"] rect`)
        .boundingBox();
      const circle = await n.locator('circle').boundingBox();
      expect(box, `box of ${ns}`).not.toBeNull();
      expect(circle!.x).toBeGreaterThanOrEqual(box!.x - 0.5);
      expect(circle!.y).toBeGreaterThanOrEqual(box!.y - 0.5);
      expect(circle!.x + circle!.width).toBeLessThanOrEqual(box!.x + box!.width + 0.5);
      expect(circle!.y + circle!.height).toBeLessThanOrEqual(box!.y + box!.height + 0.5);
    }
    const dropped = page.locator('[data-testid=edge][data-dropped=true]').first();
    // --drop in the light theme.
    expect(await computed(dropped, 'stroke')).toBe('rgb(208, 49, 45)');
    // One tooltip element for the map, filled from the edge under the pointer.
    await dropped.dispatchEvent('pointerover');
    expect(await page.getByRole('tooltip').textContent()).toMatch(/\/\d+\n.*\d+ dropped/);
    // A real pointer a few pixels beside an edge's line still finds it.
    const beside = await besideAnEdge(page);
    expect(beside).toBeDefined();
    await page.mouse.move(beside!.x, beside!.y);
    expect(await page.getByRole('tooltip').textContent()).toMatch(/ → .*\n.*\/\d+\n\d+ forwarded/);
    const forwarded = page.locator('[data-testid=edge][data-verdict=forwarded]').first();
    expect(await computed(forwarded, 'stroke')).toBe('rgb(47, 143, 91)');
    // Dark mode is the same drawing on the dark theme's variables.
    await page.getByRole('button', { name: 'Theme' }).click();
    expect(await computed(dropped, 'stroke')).toBe('rgb(255, 107, 102)');
    expect(await computed(page.locator('[data-testid=namespace] rect').first(), 'fill')).toBe(
      'rgb(31, 35, 42)',
    );
  });

  it('zooms with the buttons, the wheel and the keys, pans by dragging, and fits', async () => {
    const { page } = await openDashboard(browser, running, []);
    await mapReady(page);
    const fitted = await viewBox(page);
    await page.click('[data-testid=zoom-in]');
    const zoomed = await viewBox(page);
    expect(Number(zoomed!.split(' ')[2])).toBeLessThan(Number(fitted!.split(' ')[2]));
    const map = page.locator('[data-testid=map]');
    const r = (await map.boundingBox())!;
    await page.mouse.move(r.x + r.width / 2, r.y + r.height / 2);
    await page.mouse.wheel(0, 400);
    const wheeled = await viewBox(page);
    expect(Number(wheeled!.split(' ')[2])).toBeGreaterThan(Number(zoomed!.split(' ')[2]));
    // Drag from an empty corner of the map.
    await page.mouse.move(r.x + 5, r.y + 5);
    await page.mouse.down();
    await page.mouse.move(r.x + 105, r.y + 65, { steps: 5 });
    await page.mouse.up();
    const dragged = (await viewBox(page))!.split(' ').map(Number);
    expect(dragged[0]).toBeLessThan(Number(wheeled!.split(' ')[0]));
    await page.click('[data-testid=fit]');
    expect(await viewBox(page)).toBe(fitted);
    await page.locator('[data-testid=node]').first().focus();
    await page.keyboard.press('+');
    expect(await viewBox(page)).not.toBe(fitted);
    await page.keyboard.press('0');
    expect(await viewBox(page)).toBe(fitted);
  });

  it('finds a node by name, focuses it from the keyboard and clears with Escape', async () => {
    const { page } = await openDashboard(browser, running, []);
    await mapReady(page);
    const first = page.locator('[data-testid=node][data-namespace]').first();
    const label = (await first.getAttribute('aria-label'))!;
    const fitted = await viewBox(page);
    await page.fill('[data-testid=map-search]', label);
    await page.waitForSelector('[data-testid=node].match');
    expect(await page.locator('[data-testid=node].match').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('[data-testid=map-matches]').textContent()).toMatch(/match/);
    expect(await viewBox(page)).not.toBe(fitted);
    const match = page.locator('[data-testid=node].match').first();
    const allEdges = await page.locator('[data-testid=edge]').count();
    await match.focus();
    await page.keyboard.press('Enter');
    expect(await match.getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('[data-testid=edge]').count()).toBeLessThanOrEqual(allEdges);
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=node][aria-pressed=true]', { state: 'detached' });
    expect(await page.locator('[data-testid=node].match').count()).toBe(0);
  });

  it('keeps placed nodes where they are when a lab step brings new traffic', async () => {
    const { page } = await openDashboard(browser, running, []);
    await mapReady(page);
    await page.waitForTimeout(1500);
    const before = await placements(page);
    await page.getByRole('button', { name: 'Next step' }).click();
    await page.waitForTimeout(4000);
    const after = await placements(page);
    let common = 0;
    for (const [id, t] of before) {
      if (!after.has(id)) continue;
      common += 1;
      expect(after.get(id), id).toBe(t);
    }
    expect(common).toBeGreaterThan(3);
  });

  it('exports the map as a PNG and as an SVG with the screen colours inlined', async () => {
    const { page } = await openDashboard(browser, running, []);
    await mapReady(page);
    const [png] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid=export-png]'),
    ]);
    expect(png.suggestedFilename()).toBe('flowlens-map.png');
    const bytes = readFileSync((await png.path())!);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // Width and height from the IHDR chunk: a real picture, not an empty canvas.
    expect(bytes.readUInt32BE(16)).toBeGreaterThan(200);
    expect(bytes.readUInt32BE(20)).toBeGreaterThan(100);
    const [svg] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid=export-svg]'),
    ]);
    const text = readFileSync((await svg.path())!, 'utf8');
    expect(text).toMatch(/^<svg/);
    expect(text).toContain('stroke:rgb(208, 49, 45)');
    expect(text).not.toContain('var(--');
    expect(text).not.toMatch(/<script/i);
  });

  it('fits a narrow window and enlarges labels in presenter mode', async () => {
    const { page } = await openDashboard(browser, running, [], '?presenter=1', {
      width: 420,
      height: 800,
    });
    await mapReady(page);
    const tools = (await page.locator('.map-view').boundingBox())!;
    expect(tools.x + tools.width).toBeLessThanOrEqual(420);
    const map = (await page.locator('[data-testid=map]').boundingBox())!;
    expect(map.width).toBeGreaterThan(200);
    expect(map.height).toBeGreaterThan(200);
    const label = page.locator('[data-testid=node] text').first();
    expect(await computed(label, 'font-size')).toBe('16px');
  });
});
