// The built UI in Debian's chromium (playwright-core) against `flowlens --demo` and a crafted
// replay. Screenshots for the README are taken here.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, launchChromium, openDashboard, type OpenPage } from '../support/browser.ts';
import { getJson, ROOT, type Running } from '../support/process.ts';

let browser: Browser;
const running: Running[] = [];

// Screenshots go to a scratch folder, so a test run leaves the tree as it was;
// `FLOWLENS_SCREENSHOTS=docs/screenshots npm test` refreshes the README's.
const SHOTS = process.env['FLOWLENS_SCREENSHOTS']
  ? join(ROOT, process.env['FLOWLENS_SCREENSHOTS'])
  : mkdtempSync(join(tmpdir(), 'flowlens-shots-'));
const shot = (name: string) => join(SHOTS, name);

beforeAll(async () => {
  browser = await launchChromium();
});

afterEach(() => closeAll(browser, running));

afterAll(async () => {
  await closeAll(browser, running);
  await browser?.close();
});

function open(args: string[], query = ''): Promise<OpenPage> {
  return openDashboard(browser, running, args, query);
}

describe('the dashboard in a browser', { timeout: 60_000 }, () => {
  it('draws the map with red dropped edges and explains a drop', async () => {
    const { page } = await open([]);
    await page.waitForSelector('[data-testid=node]', { timeout: 20_000 });
    // A horizontal line has no height, so "visible" would never hold: attached is enough.
    await page.waitForSelector('[data-testid=edge][data-dropped=true]', {
      state: 'attached',
      timeout: 30_000,
    });
    expect(await page.locator('[data-testid=node]').count()).toBeGreaterThan(3);
    const explanation = page.locator('[data-testid=explanation]').first();
    await explanation.waitFor({ timeout: 20_000 });
    expect(await explanation.textContent()).toMatch(/is isolated for (ingress|egress) by/);
    // The flow table draws only the rows in view; the rest is one spacer.
    const drawn = await page.locator('[data-testid=flows] tbody tr.row').count();
    const below = await page
      .locator('[data-testid=flows] tbody tr.spacer')
      .last()
      .evaluate((e) => (e as unknown as { offsetHeight: number }).offsetHeight);
    expect(drawn).toBeGreaterThan(0);
    expect(drawn).toBeLessThanOrEqual(60);
    expect(below).toBeGreaterThan(0);
    await page.screenshot({ path: shot('map.png') });
    await page.locator('[data-testid=drops]').screenshot({ path: shot('drops.png') });
  });

  it('applies a filter and keeps it in the URL', async () => {
    const { page } = await open([]);
    await page.waitForSelector('[data-testid=node]');
    await page.fill('[data-testid=filter]', 'namespace=api verdict=DROPPED');
    await page.press('[data-testid=filter]', 'Enter');
    await page.waitForURL(/filter=/);
    expect(new URL(page.url()).searchParams.get('filter')).toBe('namespace=api verdict=DROPPED');
    // The new view's map is folded from history first; the status bar says so until it comes.
    await page.waitForSelector('[data-testid=loading-view]', { state: 'detached' });
    await page.waitForTimeout(1500);
    const verdicts = await page
      .locator('[data-testid=flows] tbody tr.row td:nth-child(2)')
      .allTextContents();
    expect(verdicts.every((v) => v.startsWith('DROPPED'))).toBe(true);
    await page.click('[data-testid=toggle-hideReplies]');
    await page.waitForURL(/reply%3Dfalse|reply=false/);
    expect(new URL(page.url()).searchParams.get('filter')).toBe(
      'namespace=api verdict=DROPPED reply=false',
    );
    // Host traffic and the verdict are ordinary terms too; a picked verdict replaces the old one.
    await page.click('[data-testid=toggle-hideHost]');
    await page.selectOption('[data-testid=verdict-filter]', 'FORWARDED');
    await page.waitForURL(/FORWARDED/);
    expect(new URL(page.url()).searchParams.get('filter')).toBe(
      'namespace=api reply=false !label=reserved:host verdict=FORWARDED',
    );
    await page.waitForTimeout(1500);
    const rows = await page.locator('[data-testid=flows] tbody tr.row').allTextContents();
    expect(rows.every((r) => r.includes('FORWARDED') && !r.includes('host '))).toBe(true);
    await page.fill('[data-testid=filter]', 'colour=red');
    await page.press('[data-testid=filter]', 'Enter');
    await expect(page.locator('[role=alert]').textContent()).resolves.toMatch(
      /unknown filter key colour/,
    );
  });

  it('switches to Korean, explanations included, and to presenter mode', async () => {
    const { page } = await open([]);
    await page.waitForSelector('[data-testid=explanation]', { timeout: 20_000 });
    await page.click('[data-testid=lang-ko]');
    await page.waitForSelector('html[lang=ko]', { state: 'attached' });
    await expect(page.locator('h2').first().textContent()).resolves.toContain('서비스 맵');
    await page
      .locator('[data-testid=explanation]', { hasText: '격리' })
      .first()
      .waitFor({ timeout: 20_000 });
    await page.click('[data-testid=presenter]');
    await expect(page.locator('[data-testid=app]').getAttribute('class')).resolves.toContain(
      'presenter',
    );
    expect(new URL(page.url()).searchParams.get('presenter')).toBe('1');
    // A drop glows as it happens, unless the reader asked for less motion.
    // Looked up and read in one step: the glow is re-created on each new drop, and a replaced
    // element has no computed style.
    const animation = () =>
      page.evaluate(() => {
        const w = globalThis as unknown as {
          document: { querySelector: (s: string) => unknown };
          getComputedStyle: (el: unknown) => { animationName: string };
        };
        return w.getComputedStyle(w.document.querySelector('[data-testid=drop] .flash'))
          .animationName;
      });
    expect(await animation()).toMatch(/flash/);
    await page.emulateMedia({ reducedMotion: 'reduce' });
    expect(await animation()).toBe('none');
    await page.emulateMedia({ reducedMotion: 'no-preference' });
    await page.screenshot({ path: shot('presenter.png') });
  });

  it('steps a lab, marks the policy change on the timeline, and scrubs back', async () => {
    const { page } = await open([]);
    await page.waitForSelector('[data-testid=node]', { timeout: 20_000 });
    await page.getByRole('button', { name: 'Next step' }).click();
    await page.waitForSelector('[data-testid=marker]', { state: 'attached', timeout: 10_000 });
    await page.waitForTimeout(2500); // a status message brings the history's time range
    // As a keyboard user scrubs: focus the slider and jump to the oldest flow held.
    await page.focus('[data-testid=scrub]');
    await page.keyboard.press('Home');
    for (let i = 0; i < 25; i++) await page.keyboard.press('ArrowRight');
    await page.waitForSelector('[data-testid=go-live]');
    expect(await page.locator('[data-testid=scrub-time]').textContent()).toMatch(/paused/);
    await page.waitForSelector('[data-testid=node]');
    await page.click('[data-testid=go-live]');
    await page.waitForSelector('[data-testid=go-live]', { state: 'detached' });
  });

  it("opens a drop's policy YAML with the deciding rule highlighted", async () => {
    const { page } = await open([]);
    // report-job → backend-api: api/backend-api's ingress rule opens the port to other pods.
    const drop = page.locator('[data-testid=drop]', { hasText: 'report-job' }).first();
    await drop.waitFor({ timeout: 30_000 });
    await drop.locator('[data-testid=policy-ref]', { hasText: 'api/backend-api' }).click();
    const yaml = drop.locator('[data-testid=policy-yaml]');
    await yaml.waitFor();
    expect(await yaml.textContent()).toContain('kind: NetworkPolicy');
    const hit = await drop.locator('[data-testid=rule-line]').allTextContents();
    expect(hit.length).toBeGreaterThan(1);
    expect(hit.join('\n')).toMatch(/from:/);
    expect(await drop.locator('[data-testid=policy-view] li').first().textContent()).toMatch(
      /ingress rule 1: came closest/,
    );
    // Tall enough for the drops pane to hold the whole drop, policy and all.
    await page.setViewportSize({ width: 1280, height: 1400 });
    await drop.scrollIntoViewIfNeeded();
    await drop.screenshot({ path: shot('policy.png') });
  });

  it('sorts and filters the flow table by column, and opens a row with its raw JSON', async () => {
    const { page } = await open([]);
    // The lab's first drops come a few seconds in; the verdict filter below needs one.
    await page.waitForSelector('[data-testid=drop]', { timeout: 30_000 });
    const port = page.locator('[data-testid=col-port]');
    await port.locator('button').click();
    expect(await port.getAttribute('aria-sort')).toBe('ascending');
    const ports = await page
      .locator('[data-testid=flows] tbody tr.row td:nth-child(5)')
      .allTextContents();
    const numbers = ports.map((p) => Number(p.split('/')[1] || -1));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    await page.fill('[data-testid=filter-verdict]', 'dropped');
    await page.waitForSelector('[data-testid=rows-shown]');
    const verdicts = await page
      .locator('[data-testid=flows] tbody tr.row td:nth-child(2)')
      .allTextContents();
    expect(verdicts.length).toBeGreaterThan(0);
    expect(verdicts.every((v) => v.startsWith('DROPPED'))).toBe(true);
    await page.locator('[data-testid=flows] tbody tr.row').first().focus();
    await page.keyboard.press('Enter');
    const raw = page.locator('[data-testid=raw-json]');
    await raw.waitFor();
    expect(JSON.parse((await raw.textContent()) ?? '')).toMatchObject({
      flow: { verdict: 'DROPPED' },
    });
    expect(await page.locator('[data-testid=flow-detail] [data-testid=peer]').count()).toBe(2);
  });

  it('shows the state of Hubble, Kubernetes and the stream', async () => {
    const { page } = await open([]);
    await page.waitForSelector('[data-testid=hubble-state][data-state=live]');
    await page.waitForSelector('[data-testid=kubernetes-state][data-state=synced]');
    await page.waitForSelector('[data-testid=stream-state][data-state=live]');
    expect(await page.locator('[data-testid=rate]').textContent()).toMatch(/\d+ flows\/s/);
    // Pause freezes the live view at this moment; Resume goes back to live.
    await page.click('[data-testid=pause]');
    await page.waitForSelector('[data-testid=scrub-time]');
    await page.click('[data-testid=go-live]');
    await page.waitForSelector('[data-testid=pause]');
  });

  it('shows an unreachable Relay as retrying, with the reason and the time to the next try', async () => {
    // Nothing listens on the discard port of loopback: every connect is refused.
    const { page } = await open(['--hubble', '127.0.0.1:9']);
    const hubble = page.locator('[data-testid=hubble-state][data-state=retrying]');
    await hubble.waitFor({ timeout: 20_000 });
    expect(await hubble.getAttribute('data-health')).toBe('bad');
    expect(await page.locator('[data-testid=hubble-retry]').textContent()).toMatch(/retry in \d+s/);
    expect(await page.locator('[data-testid=hubble-reason]').textContent()).toMatch(/\S/);
    await page.click('[data-testid=lang-ko]');
    await page.locator('[data-testid=hubble-retry]', { hasText: '초 후 재시도' }).waitFor();
  });

  it('fits a projector (1280×720) and a narrow window without sideways scrolling', async () => {
    const { page } = await open([], '?presenter=1');
    await page.waitForSelector('[data-testid=drop]', { timeout: 30_000 });
    const overflow = () =>
      page.evaluate(() => {
        const d = (
          globalThis as unknown as {
            document: { documentElement: { scrollWidth: number; clientWidth: number } };
          }
        ).document.documentElement;
        return d.scrollWidth - d.clientWidth;
      });
    for (const [width, height] of [
      [1280, 720],
      [700, 900],
    ] as const) {
      await page.setViewportSize({ width, height });
      expect(await overflow(), `presenter at ${width}px`).toBeLessThanOrEqual(0);
      await page.click('[data-testid=presenter]');
      expect(await overflow(), `normal at ${width}px`).toBeLessThanOrEqual(0);
      await page.click('[data-testid=presenter]');
    }
  });

  it('renders attacker-controlled names as text and runs nothing', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const line = JSON.stringify({
      flow: {
        time: '2026-11-22T10:00:00Z',
        verdict: 'FORWARDED',
        IP: { source: '10.244.1.21', destination: '203.0.113.9', ipVersion: 'IPv4' },
        l4: { TCP: { source_port: 40000, destination_port: 443 } },
        source: { namespace: 'web', labels: [`k8s:app=${evil}`], pod_name: `pod-${evil}` },
        destination: { identity: 2, labels: ['reserved:world'] },
        Type: 'L3_L4',
        node_name: 'n',
        destination_names: [evil],
      },
      node_name: 'n',
      time: '2026-11-22T10:00:00Z',
    });
    // An HTTP request whose path and allowing policy name carry markup too.
    const l7 = JSON.stringify({
      flow: {
        time: '2026-11-22T10:00:01Z',
        verdict: 'FORWARDED',
        IP: { source: '10.244.1.21', destination: '10.244.1.30', ipVersion: 'IPv4' },
        l4: { TCP: { source_port: 40001, destination_port: 80 } },
        source: { namespace: 'web', labels: ['k8s:app=web'], pod_name: 'web-0' },
        destination: { namespace: 'web', labels: [`k8s:app=${evil}`], pod_name: 'api-0' },
        Type: 'L7',
        node_name: 'n',
        l7: { type: 'REQUEST', http: { method: 'GET', url: `http://api/${evil}` } },
        ingress_allowed_by: [{ name: `allow-${evil}`, namespace: 'web', kind: 'NetworkPolicy' }],
      },
      node_name: 'n',
      time: '2026-11-22T10:00:01Z',
    });
    const file = join(mkdtempSync(join(tmpdir(), 'flowlens-xss-')), 'evil.jsonl');
    writeFileSync(file, line + '\n' + l7 + '\n');
    const { page, dialogs, url } = await open(['--replay', file]);
    await page.waitForSelector('[data-testid=flows] tbody tr.row');
    await page.waitForTimeout(500);
    const table = await page.locator('[data-testid=flows]').textContent();
    expect(table).toContain(evil);
    expect(table).toContain(`GET http://api/${evil}`);
    expect(table).toContain(`+web/allow-${evil}`);
    // The detail panel shows the labels, the policy and the raw JSON, all as text.
    await page.locator('[data-testid=flows] tbody tr.row').first().click();
    await page.waitForSelector('[data-testid=raw-json]');
    expect(await page.locator('[data-testid=flow-detail]').textContent()).toContain(
      `allow-${evil}`,
    );
    expect(await page.locator('[data-testid=raw-json]').textContent()).toContain(
      'ingress_allowed_by',
    );
    // A replay's pace can be changed from the timeline.
    const speed = page.locator('[data-testid=replay-speed]');
    await speed.waitFor();
    expect(await speed.inputValue()).toBe('max');
    await speed.selectOption('2');
    await expect
      .poll(async () => (await getJson<{ speed: unknown }>(`${url}/api/replay`)).speed)
      .toBe(2);
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });
});
