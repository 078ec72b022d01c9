// UI scale: the built UI (frontend/dist) in headless chromium, served by flowlens' own HTTP
// server and fed by its own StreamHub over the real WebSocket protocol (snapshot, then deltas).
// Synthetic flows between 1,000 workloads over 5,000 distinct pairs give a map of 1,000 nodes
// and 5,000 edges; 100,000 of them fill the flow table; then updates arrive at 10 Hz while
// requestAnimationFrame intervals are recorded in the page. The bench only relies on the
// protocol and on data-testid hooks ([data-testid=node], [data-testid=edge], [data-testid=flows]).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterModel } from '../backend/src/k8s/cluster-model.ts';
import { Enricher } from '../backend/src/enrich/enrich.ts';
import { formatTimeNs } from '../backend/src/hubble/time.ts';
import type { FlowRecord } from '../backend/src/hubble/types.ts';
import { ServiceMap } from '../backend/src/map/service-map.ts';
import { FlowStore } from '../backend/src/store/flow-store.ts';
import { apiRoutes } from '../backend/src/stream/api.ts';
import { HttpServer, UI_DIR } from '../backend/src/stream/http-server.ts';
import { StreamHub } from '../backend/src/stream/ws-hub.ts';
import { launchChromium } from '../tests/support/browser.ts';
import { figure, int, pct, QUICK, ROOT, sleep } from './harness.ts';

const NODES = 1000;
const EDGES = 5000;
const ROWS = 100_000;
const UPDATE_HZ = 10;
const ROWS_PER_UPDATE = 100;
const SECONDS = Number(process.env['FLOWLENS_BENCH_UI_SECONDS'] ?? (QUICK ? 5 : 15));

if (!existsSync(join(UI_DIR, 'index.html'))) {
  const r = spawnSync('npm', ['run', 'build', '-w', 'frontend'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build -w frontend failed');
}

// ---- synthetic flows: workload i lives in namespace ns-(i % 20) ----
const workload = (i: number) => {
  const namespace = `ns-${i % 20}`;
  const name = `svc-${i}`;
  return {
    namespace,
    pod_name: `${name}-7d9f8c6b5-x${i % 10}k2p`,
    labels: [`k8s:app=${name}`, `k8s:io.kubernetes.pod.namespace=${namespace}`],
    workloads: [{ name, kind: 'Deployment' }],
    identity: 10_000 + i,
  };
};
const ip = (i: number) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
const pairs: [number, number][] = [];
{
  const seen = new Set<number>();
  let x = 12345;
  const rand = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  // Every workload talks to something, so all 1,000 are on the map.
  for (let i = 0; i < NODES; i++) seen.add(i * NODES + ((i + 1) % NODES));
  while (seen.size < EDGES) {
    const a = Math.floor(rand() * NODES);
    const b = Math.floor(rand() * NODES);
    if (a !== b) seen.add(a * NODES + b);
  }
  for (const k of seen) pairs.push([Math.floor(k / NODES), k % NODES]);
}

const enricher = new Enricher({ model: new ClusterModel() });
const store = new FlowStore({ maxFlows: ROWS * 2 });
let n = 0;
function flow(pair: [number, number]): FlowRecord {
  const [a, b] = pair;
  const timeNs = BigInt(Date.now()) * 1_000_000n + BigInt(n % 1_000_000);
  const dropped = n % 17 === 0;
  n += 1;
  return {
    timeNs,
    nodeName: `node-${a % 8}`,
    flow: {
      time: formatTimeNs(timeNs),
      uuid: `ui-bench-${n}`,
      verdict: dropped ? 'DROPPED' : 'FORWARDED',
      ...(dropped ? { drop_reason_desc: 'POLICY_DENIED' } : {}),
      IP: { source: ip(a), destination: ip(b), ipVersion: 'IPv4' },
      l4: { TCP: { source_port: 30_000 + (n % 30_000), destination_port: 8080 } },
      source: workload(a),
      destination: workload(b),
      Type: 'L3_L4',
      node_name: `node-${a % 8}`,
      traffic_direction: 'EGRESS',
    },
  };
}

const hub = new StreamHub({
  store,
  version: 'ui-bench',
  mode: () => 'live',
  status: () => ({ mode: 'live', hubble: { state: 'live' }, kubernetes: { state: 'disabled' } }),
  // The fill is one burst of 100,000 rows: no sampling or high-water skips, so every row lands.
  tickMs: 1000 / UPDATE_HZ,
  maxRowsPerDelta: 20_000,
  highWaterBytes: 512 * 1024 * 1024,
  maxBufferedBytes: 1024 * 1024 * 1024,
});
const http = new HttpServer({
  host: '127.0.0.1',
  port: 0,
  status: () => ({ mode: 'live' }),
  ready: () => true,
  routes: apiRoutes({ store, liveMap: new ServiceMap() }),
});
hub.attach(http.raw);
const { port } = await http.listen();

function publish(count: number): void {
  for (let i = 0; i < count; i++) {
    const rec = flow(pairs[n % pairs.length]!);
    const f = enricher.enrich(rec);
    hub.publish(store.add(f, rec).seq, f);
  }
}

const browser = await launchChromium();
let updates: NodeJS.Timeout | undefined;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(`http://127.0.0.1:${port}/`);
  while (hub.stats.views === 0) await sleep(50);
  console.log(
    `${int(NODES)} workloads, ${int(EDGES)} pairs, ${int(ROWS)} rows, then ${UPDATE_HZ} Hz updates of ${ROWS_PER_UPDATE} rows for ${SECONDS} s; chromium 1280×720`,
  );
  // The fill: a tick's worth at a time, so each delta stays one manageable message.
  const t0 = Date.now();
  for (let sent = 0; sent < ROWS; sent += 10_000) {
    publish(10_000);
    await sleep(1000 / UPDATE_HZ + 50);
  }
  const sentBefore = hub.stats.messagesSent;
  while (hub.stats.messagesSent === sentBefore) await sleep(20);
  // Page code as strings: this file is type-checked without the DOM library, and tsx would
  // wrap named functions in a helper the page does not have.
  await page.waitForFunction(
    `document.querySelectorAll('[data-testid=node]').length >= ${NODES * 0.9}`,
    undefined,
    { timeout: 120_000, polling: 500 },
  );
  figure('fill: 100,000 rows and the whole map, until drawn', `${int(Date.now() - t0)} ms`);
  await page.evaluate(`(() => {
    window.__frames = [];
    let last = performance.now();
    const loop = (t) => {
      window.__frames.push(t - last);
      last = t;
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  })()`);
  /** rAF intervals over `seconds`, starting now. */
  const frameTimes = async (seconds: number): Promise<number[]> => {
    await page.evaluate('window.__frames = []');
    await sleep(seconds * 1000);
    return (await page.evaluate('window.__frames.slice(1)')) as number[];
  };
  // The fill's last deltas are still arriving and being drawn when the map first shows; "at
  // rest" starts once the page draws a whole second at 50 fps or more again.
  const settleFrom = Date.now();
  while (Date.now() - settleFrom < 60_000 && (await frameTimes(1)).length < 50);
  const settledMs = Date.now() - settleFrom;
  const idle = await frameTimes(Math.min(5, SECONDS));
  updates = setInterval(() => publish(ROWS_PER_UPDATE), 1000 / UPDATE_HZ);
  await sleep(2000); // settle into the update rhythm
  const frames = await frameTimes(SECONDS);
  // Zoomed in, as someone reading the map is: labels and arrowheads are drawn (the whole map
  // is zoomed too far out for them), and edges are wider on screen.
  await page.locator('[data-testid=map]').hover();
  for (let i = 0; i < 4; i++) await page.mouse.wheel(0, -300);
  await sleep(2000);
  const zoomed = await frameTimes(SECONDS);
  const labels = (await page.evaluate(
    `document.querySelector('[data-testid=map] .drawing.far') === null`,
  )) as boolean;
  clearInterval(updates);
  updates = undefined;
  const metrics = (await cdp.send('Performance.getMetrics')).metrics;
  const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? NaN;
  const counts = (await page.evaluate(`({
    nodes: document.querySelectorAll('[data-testid=node]').length,
    edges: document.querySelectorAll('[data-testid=edge]').length,
    rows: document.querySelectorAll('[data-testid=flows] tbody tr').length,
  })`)) as { nodes: number; edges: number; rows: number };
  // Frames counted over the window, not 1000 / mean interval: a page too busy to draw any frame
  // at all in the window shows as 0, not as a division by nothing.
  const fps = (xs: number[], seconds: number) => (xs.length / seconds).toFixed(1);
  figure(
    'map drawn: nodes / edges',
    `${int(counts.nodes)} / ${int(counts.edges)}`,
    `of ${int(NODES)} / ${int(EDGES)}`,
  );
  figure('flow rows delivered to the page', int(n - hub.stats.rowsSkipped));
  figure('table rows in the DOM (virtualised)', int(counts.rows));
  figure(
    'after the fill, until drawing at 50 fps again',
    settledMs >= 60_000 ? 'not within 60 s' : `${int(settledMs)} ms`,
  );
  figure(
    'frames per second at rest (no updates)',
    fps(idle, Math.min(5, SECONDS)),
    'baseline: an idle page, 60',
  );
  figure('frames per second while updating at 10 Hz', fps(frames, SECONDS), 'target ≥ 30 fps');
  figure(
    'frame time p50 / p95',
    `${pct(frames, 50).toFixed(1)} ms / ${pct(frames, 95).toFixed(1)} ms`,
    'target p95 ≤ 33 ms',
  );
  figure(
    `zoomed in (${labels ? 'labels and arrowheads drawn' : 'still too far out for labels'}): frames per second`,
    fps(zoomed, SECONDS),
    'target ≥ 30 fps',
  );
  figure(
    'zoomed in: frame time p50 / p95',
    `${pct(zoomed, 50).toFixed(1)} ms / ${pct(zoomed, 95).toFixed(1)} ms`,
    'target p95 ≤ 33 ms',
  );
  figure('longest frame', `${Math.max(...frames).toFixed(0)} ms`);
  figure('JS heap used', `${(metric('JSHeapUsedSize') / 2 ** 20).toFixed(0)} MiB`);
  figure('DOM nodes', int(metric('Nodes')));
} finally {
  clearInterval(updates);
  await browser.close();
  hub.close();
  await http.close();
}
