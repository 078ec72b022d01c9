// Debian's chromium through playwright-core, and the dashboard opened in it: the pieces every
// browser test needs. The background-networking flags keep chromium quiet on a closed network.
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDashboard, type Running } from './process.ts';

export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface OpenPage {
  page: Page;
  url: string;
  /** Messages of every dialog the page tried to open (each is dismissed). */
  dialogs: string[];
}

/**
 * Closes every page and stops every dashboard a test opened. Each test starts its own
 * dashboard: left running, a file's earlier dashboards and pages keep streaming and rendering,
 * and on a slow machine the last tests of a file then ran into their time limit.
 */
export async function closeAll(browser: Browser | undefined, running: Running[]): Promise<void> {
  for (const c of browser?.contexts() ?? []) await c.close();
  for (const r of running.splice(0)) await r.stop();
}

/**
 * Starts `flowlens` with `args` and opens its dashboard in a new page. The process is added to
 * `running`, for the caller's afterEach to stop (closeAll).
 */
export async function openDashboard(
  browser: Browser,
  running: Running[],
  args: string[],
  query = '',
  viewport = { width: 1280, height: 720 },
): Promise<OpenPage> {
  const d = await startDashboard(args);
  running.push(d);
  const page = await browser.newPage({ viewport, acceptDownloads: true });
  const dialogs: string[] = [];
  page.on('dialog', (dlg) => {
    dialogs.push(dlg.message());
    void dlg.dismiss();
  });
  await page.goto(`${d.url}/${query}`);
  return { page, url: d.url, dialogs };
}
