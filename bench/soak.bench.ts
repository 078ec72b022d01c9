// Memory growth: the dashboard fed 20,000 flows/s by bench/load-server.ts for ten minutes (or
// FLOWLENS_BENCH_SOAK_SECONDS; `--quick` runs one minute) with its history at the default
// bounds and two WebSocket clients reading. RSS is read 120 times over the run, in ten
// periods; the slope is fitted over each period's low after the first fifth, once the history
// ring has filled, so it shows growth that would continue, not the ring filling up or the saw
// of garbage collection.
import WebSocket from 'ws';
import {
  figure,
  getJson,
  int,
  QUICK,
  sleep,
  startDashboard,
  startLoadSource,
  usage,
} from './harness.ts';

const RATE = Number(process.env['FLOWLENS_BENCH_RATE'] ?? 20_000);
const SECONDS = Number(process.env['FLOWLENS_BENCH_SOAK_SECONDS'] ?? (QUICK ? 60 : 600));
const SAMPLES = 10;

type Status = {
  hubble: { flowsReceived: number };
  history: { flows: number; bytes: number; maxFlows: number; maxBytes: number };
  stream: Record<string, number>;
  memory: {
    rssBytes: number;
    heapTotalBytes: number;
    arrayBuffersBytes: number;
    heapBudget?: { liveBytes: number; majorGCs: number };
  };
};

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const source = await startLoadSource(RATE, SECONDS + 120);
const dash = await startDashboard(['--hubble', source.address]);
const http = `http://${dash.base}`;
const readers = ['', 'verdict=DROPPED'].map((filter) => {
  const ws = new WebSocket(`ws://${dash.base}/ws`);
  let rows = 0;
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', v: 1, filter, limit: 0 })));
  // Counting the rows is enough to keep reading; parsing would cost this process a core.
  ws.on('message', (d: Buffer) => {
    for (let i = d.indexOf('{"seq":'); i >= 0; i = d.indexOf('{"seq":', i + 7)) rows += 1;
  });
  return { ws, rows: () => rows };
});

try {
  console.log(
    `${int(RATE)} flows/s for ${SECONDS} s, default history bounds, ${readers.length} WebSocket readers`,
  );
  const t0 = Date.now();
  const st0 = await getJson<Status>(`${http}/api/status`);
  // RSS saws up and down with V8's major collections (hundreds of MiB at this rate), so ten
  // single readings alias badly: each of the ten periods is sampled every 1/12 of it, and the
  // period's low (just after a collection, the live set) and high are both printed.
  const times: number[] = [];
  const lows: number[] = [];
  const highs: number[] = [];
  /** The JS heap just after the latest major collection (the live set), MiB. */
  const live: number[] = [];
  /**
   * What RSS is made of at each period's end, MiB: the JS heap V8 has reserved, and the rest
   * (native: code, stacks, the allocator's pages) less Buffers, which are counted apart.
   */
  const heapTotal: number[] = [];
  const native: number[] = [];
  const period = (SECONDS * 1000) / SAMPLES;
  for (let i = 1; i <= SAMPLES; i++) {
    let low = Infinity;
    let high = 0;
    for (let k = 1; k <= 12; k++) {
      await sleep(t0 + (i - 1) * period + (k * period) / 12 - Date.now());
      const { rssMiB } = usage(dash.pid);
      low = Math.min(low, rssMiB);
      high = Math.max(high, rssMiB);
    }
    const st = await getJson<Status>(`${http}/api/status`);
    const min = (Date.now() - t0) / 60_000;
    times.push(min);
    lows.push(low);
    highs.push(high);
    const budget = st.memory.heapBudget;
    live.push((budget?.liveBytes ?? NaN) / 2 ** 20);
    const m = st.memory;
    heapTotal.push(m.heapTotalBytes / 2 ** 20);
    native.push((m.rssBytes - m.heapTotalBytes - m.arrayBuffersBytes) / 2 ** 20);
    figure(
      `RSS low / high, period ending at ${Math.round(min * 60)} s`,
      `${low.toFixed(0)} / ${high.toFixed(0)} MiB`,
      `history ${int(st.history.flows)} flows, ${(st.history.bytes / 2 ** 20).toFixed(0)} MiB; ` +
        `JS heap live ${live.at(-1)!.toFixed(0)} MiB after ${budget?.majorGCs ?? '?'} major collections; ` +
        `heap reserved ${heapTotal.at(-1)!.toFixed(0)}, Buffers ${(m.arrayBuffersBytes / 2 ** 20).toFixed(0)}, native ${native.at(-1)!.toFixed(0)} MiB`,
    );
  }
  const st1 = await getJson<Status>(`${http}/api/status`);
  const secs = (Date.now() - t0) / 1000;
  const from = Math.ceil(SAMPLES / 5);
  const perMin = slope(times.slice(from), lows.slice(from));
  figure(
    'flows/s into the dashboard (average)',
    int((st1.hubble.flowsReceived - st0.hubble.flowsReceived) / secs),
    `target ${int(RATE)}`,
  );
  figure('source flows skipped (dashboard > 2 s behind)', int(source.progress().lost));
  figure(
    'history bound',
    `${int(st1.history.maxFlows)} flows / ${(st1.history.maxBytes / 2 ** 20).toFixed(0)} MiB`,
  );
  figure(
    `RSS slope of the lows from ${Math.round((times[from] ?? 0) * 60)} s on`,
    `${perMin >= 0 ? '+' : ''}${perMin.toFixed(1)} MiB/min`,
    'target flat: ~0',
  );
  // RSS can drift while what the program holds does not (V8 and the allocator keep pages they
  // freed); a leak in the program shows as a rising live heap.
  const liveSlope = slope(times.slice(from), live.slice(from));
  figure(
    `JS heap live set slope from ${Math.round((times[from] ?? 0) * 60)} s on`,
    `${liveSlope >= 0 ? '+' : ''}${liveSlope.toFixed(1)} MiB/min`,
    'target flat: ~0',
  );
  // A rise of the lows with a flat live set is V8 or the allocator keeping more pages: this
  // says which, from the first period counted to the last.
  const delta = (xs: number[]) => {
    const d = xs.at(-1)! - xs[from]!;
    return `${d >= 0 ? '+' : ''}${d.toFixed(0)}`;
  };
  figure(
    `of RSS, change from ${Math.round((times[from] ?? 0) * 60)} s to the end`,
    `heap reserved ${delta(heapTotal)}, native ${delta(native)} MiB`,
    `live set ${delta(live)} MiB`,
  );
  figure(
    'RSS highest / lowest after the first fifth',
    `${Math.max(...highs.slice(from)).toFixed(0)} / ${Math.min(...lows.slice(from)).toFixed(0)} MiB`,
    'target < 512 MiB',
  );
  figure('rows read by the two clients', readers.map((r) => int(r.rows())).join(' / '));
} finally {
  for (const r of readers) r.ws.terminate();
  dash.stop();
  source.stop();
}
