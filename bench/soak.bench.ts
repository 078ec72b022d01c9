// Memory growth: the dashboard fed 20,000 flows/s by bench/load-server.ts for ten minutes (or
// FLOWLENS_BENCH_SOAK_SECONDS; `--quick` runs one minute) with its history at the default
// bounds and two WebSocket clients reading. RSS is sampled ten times over the run; the slope is
// fitted over the samples after the first fifth, once the history ring has filled, so what it
// shows is growth that would continue, not the ring filling up.
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
  const times: number[] = [];
  const rss: number[] = [];
  for (let i = 1; i <= SAMPLES; i++) {
    await sleep(t0 + (i * SECONDS * 1000) / SAMPLES - Date.now());
    const u = usage(dash.pid);
    const st = await getJson<Status>(`${http}/api/status`);
    const min = (Date.now() - t0) / 60_000;
    times.push(min);
    rss.push(u.rssMiB);
    figure(
      `RSS at ${Math.round(min * 60)} s`,
      `${u.rssMiB.toFixed(0)} MiB`,
      `history ${int(st.history.flows)} flows, ${(st.history.bytes / 2 ** 20).toFixed(0)} MiB`,
    );
  }
  const st1 = await getJson<Status>(`${http}/api/status`);
  const secs = (Date.now() - t0) / 1000;
  const from = Math.ceil(SAMPLES / 5);
  const perMin = slope(times.slice(from), rss.slice(from));
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
    `RSS slope from ${Math.round((times[from] ?? 0) * 60)} s on`,
    `${perMin >= 0 ? '+' : ''}${perMin.toFixed(1)} MiB/min`,
    'target flat: ~0',
  );
  figure('RSS at the end', `${rss.at(-1)!.toFixed(0)} MiB`, 'target < 512 MiB');
  figure('rows read by the two clients', readers.map((r) => int(r.rows())).join(' / '));
} finally {
  for (const r of readers) r.ws.terminate();
  dash.stop();
  source.stop();
}
