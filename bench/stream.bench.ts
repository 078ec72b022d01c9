// Freshness and fan-out at a fixed 20,000 flows/s. bench/load-server.ts (its own process) sends
// the three-tier lab's flows on a fixed schedule, each stamped with its scheduled send time;
// the flowlens dashboard (another process) reads it over gRPC as it would a Relay; WebSocket
// clients here measure, per row, receive time − flow time. The stream batches on a 100 ms
// tick, which is part of the figure. Fan-out: 60 clients, each with a different filter, so 60
// views (maps and row lists) are kept: the dashboard's CPU and RSS, and rows each client was
// not sent (sampled away) as the stream reports them; and 60 clients on one view, a class.
import WebSocket from 'ws';
import type { ServerMessage } from '../backend/src/shared/protocol.ts';
import { HubbleClient } from '../backend/src/hubble/client.ts';
import { parseTimeNs } from '../backend/src/hubble/time.ts';
import {
  figure,
  getJson,
  int,
  pct,
  QUICK,
  sleep,
  startDashboard,
  startLoadSource,
  usage,
} from './harness.ts';

const RATE = Number(process.env['FLOWLENS_BENCH_RATE'] ?? 20_000);
const SECONDS = Number(process.env['FLOWLENS_BENCH_SECONDS'] ?? (QUICK ? 5 : 20));
const CLIENTS = 60;

interface Stats {
  rows: number;
  skipped: number;
  messages: number;
  delays: number[];
  /** From sending the subscribe to its snapshot. */
  snapshotMs?: number;
}

const fresh = (): Stats => ({ rows: 0, skipped: 0, messages: 0, delays: [] });

/** ms since a flow's RFC3339 time, read from `"time":"…"` at or after `from` in a message. */
function delayAt(buf: Buffer, from: number, now: number): number | undefined {
  const k = buf.indexOf('"time":"', from);
  if (k < 0) return undefined;
  const end = buf.indexOf('"', k + 8);
  const t = parseTimeNs(buf.toString('latin1', k + 8, end));
  return t === undefined ? undefined : now - Number(t / 1_000_000n);
}

/**
 * A client that counts without parsing whole messages: 60 clients at up to 5,000 rows/s each
 * would otherwise spend this process' core on JSON.parse and skew the dashboard's figures.
 * Delay is taken from the first and last row of each delta (the oldest and newest of a tick).
 */
function client(url: string, filter: string, s: Stats): WebSocket {
  // From connecting, not from the subscribe: a dashboard busy folding also answers the
  // WebSocket handshakes late, and that wait is part of what a user sees.
  const connected = Date.now();
  const ws = new WebSocket(url);
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', v: 1, filter, limit: 0 })));
  ws.on('message', (d: Buffer) => {
    if (s.snapshotMs === undefined && d.indexOf('{"type":"snapshot"') === 0) {
      s.snapshotMs = Date.now() - connected;
    }
    if (d.indexOf('{"type":"delta"') !== 0) return;
    const now = Date.now();
    s.messages += 1;
    let first = -1;
    let last = -1;
    for (let i = d.indexOf('{"seq":'); i >= 0; i = d.indexOf('{"seq":', i + 7)) {
      if (first < 0) first = i;
      last = i;
      s.rows += 1;
    }
    const m = /"skipped":(\d+)/.exec(d.toString('latin1', Math.max(0, d.length - 120)));
    if (m) s.skipped += Number(m[1]);
    for (const at of first < 0 ? [] : first === last ? [first] : [first, last]) {
      const ms = delayAt(d, at, now);
      if (ms !== undefined) s.delays.push(ms);
    }
  });
  return ws;
}

const FILTERS = (() => {
  const scope = [
    '',
    'namespace=web',
    'namespace=api',
    'namespace=data',
    'namespace=cache',
    'namespace=kube-system',
    'from-namespace=web',
    'to-namespace=data',
    'namespace=ingress-nginx',
    'to-port=5432',
  ];
  const kind = [
    '',
    'verdict=DROPPED',
    'verdict=FORWARDED',
    'protocol=tcp',
    'protocol=udp',
    'type=L7',
  ];
  const out: string[] = [];
  for (const a of scope) for (const b of kind) out.push(`${a} ${b}`.trim());
  return out.slice(0, CLIENTS);
})();

const source = await startLoadSource(RATE, SECONDS * 4 + 120);

/**
 * The baseline: flowlens' own HubbleClient alone, in this process, reading the same source with
 * no dashboard behind it. Its delay is what the source, gRPC and the decoder add before any
 * enrichment, history or stream tick.
 */
async function baseline(): Promise<void> {
  const delays: number[] = [];
  let measuring = false;
  let n = 0;
  const c = new HubbleClient({
    address: source.address,
    statusIntervalMs: 0,
    onFlow: (r) => {
      if (!measuring) return;
      n += 1;
      const t = r.flow.time ? parseTimeNs(r.flow.time) : undefined;
      if (t !== undefined) delays.push(Date.now() - Number(t / 1_000_000n));
    },
  });
  c.start();
  await sleep(2000);
  measuring = true;
  const t0 = Date.now();
  await sleep((SECONDS * 1000) / 2);
  measuring = false;
  c.stop();
  const secs = (Date.now() - t0) / 1000;
  figure('baseline, bare HubbleClient: flows/s', int(n / secs), `offered ${int(RATE)}`);
  figure(
    'baseline, bare HubbleClient: delay p50 / p99',
    `${pct(delays, 50)} ms / ${pct(delays, 99)} ms`,
  );
  await sleep(1000); // the source's pacer for this call stops with it
}

console.log(
  `three-tier lab flows at a fixed ${int(RATE)} flows/s from bench/load-server.ts, ${SECONDS} s per phase`,
);
await baseline();
const dash = await startDashboard(['--hubble', source.address]);
const url = `ws://${dash.base}/ws`;
const http = `http://${dash.base}`;
type Status = { hubble: { flowsReceived: number }; stream: Record<string, number> };

const raw = (text: string, name: string) =>
  Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
const metric = (text: string, name: string) => raw(text, name) / 2 ** 20;

/**
 * Peak RSS (from /proc, twice a second), JS heap and external memory, and the dashboard's
 * event-loop delay (from /metrics, once a second; each scrape starts the delay histogram anew,
 * so the p99s are of one-second windows).
 */
function sampleMemory(): {
  stop: () => Promise<{
    rssMiB: number;
    heapMiB: number;
    externalMiB: number;
    lagP99Ms: number[];
    lagMaxMs: number;
  }>;
} {
  const peak = { rssMiB: 0, heapMiB: 0, externalMiB: 0, lagP99Ms: [] as number[], lagMaxMs: 0 };
  const ms = (t: string, name: string) => raw(t, name) * 1000;
  let n = 0;
  const timer = setInterval(() => {
    peak.rssMiB = Math.max(peak.rssMiB, usage(dash.pid).rssMiB);
    if (n++ % 2 === 0) {
      void fetch(`${http}/metrics`)
        .then((r) => r.text())
        .then((t) => {
          peak.heapMiB = Math.max(peak.heapMiB, metric(t, 'nodejs_heap_size_used_bytes'));
          peak.externalMiB = Math.max(peak.externalMiB, metric(t, 'nodejs_external_memory_bytes'));
          const p99 = ms(t, 'nodejs_eventloop_lag_p99_seconds');
          if (p99 >= 0) peak.lagP99Ms.push(p99);
          peak.lagMaxMs = Math.max(peak.lagMaxMs, ms(t, 'nodejs_eventloop_lag_max_seconds') || 0);
        })
        .catch(() => {});
    }
  }, 500);
  return {
    stop: async () => {
      clearInterval(timer);
      await sleep(100);
      return peak;
    },
  };
}

async function phase(name: string, filters: string[]): Promise<void> {
  // A client already watching when the others arrive: what their subscribes cost everyone else.
  const watched = fresh();
  const watcher = client(url, '', watched);
  while (watched.snapshotMs === undefined) await sleep(50);
  await sleep(1000);
  watched.delays = [];
  const stats = filters.map(fresh);
  const sockets = filters.map((f, i) => client(url, f, stats[i]!));
  await sleep(3000); // connect, snapshot, JIT
  const during = watched.delays;
  watcher.terminate();
  figure(
    `${name}: row delay of a client already watching, first 3 s after they subscribe, p50 / p99 / max`,
    `${pct(during, 50)} / ${pct(during, 99)} / ${Math.max(...during)} ms`,
  );
  const snapshotMs = stats.map((s) => s.snapshotMs);
  for (const [i, s] of stats.entries())
    stats[i] = Object.assign(s, fresh(), { snapshotMs: snapshotMs[i] });
  const cpu0 = usage(dash.pid);
  const srcCpu0 = usage(source.pid);
  const own0 = process.cpuUsage();
  const src0 = source.progress();
  const st0 = await getJson<Status>(`${http}/api/status`);
  const t0 = Date.now();
  const mem = sampleMemory();
  await sleep(SECONDS * 1000);
  const peak = await mem.stop();
  const cpu1 = usage(dash.pid);
  const srcCpu1 = usage(source.pid);
  const own = process.cpuUsage(own0);
  const src1 = source.progress();
  const st1 = await getJson<Status>(`${http}/api/status`);
  const secs = (Date.now() - t0) / 1000;
  for (const s of sockets) s.terminate();
  const srcSecs = (src1.ms - src0.ms) / 1000 || secs;
  const delays = stats.flatMap((s) => s.delays);
  const f = (k: string, v: string, target?: string) => figure(`${name}: ${k}`, v, target);
  f(
    'source rate achieved',
    `${int((src1.sent - src0.sent) / srcSecs)} flows/s`,
    `target ${int(RATE)}`,
  );
  f('source flows skipped (dashboard > 2 s behind)', int(src1.lost - src0.lost), 'target 0');
  f(
    'flows/s into the dashboard',
    int((st1.hubble.flowsReceived - st0.hubble.flowsReceived) / secs),
    `target ${int(RATE)}`,
  );
  const answered = stats.flatMap((s) => (s.snapshotMs === undefined ? [] : [s.snapshotMs]));
  f(
    'connect to snapshot, p50 / max',
    `${pct(answered, 50)} ms / ${Math.max(...answered)} ms (${answered.length} of ${filters.length} answered)`,
  );
  f('row delay p50 / p99', `${pct(delays, 50)} ms / ${pct(delays, 99)} ms`, 'target p99 ≤ 250 ms');
  // What the dashboard's own event loop waited: a delay no tick can hide.
  f(
    'dashboard event-loop delay, p99 of 1-s windows (median / max) / max',
    `${pct(peak.lagP99Ms, 50).toFixed(0)} / ${Math.max(...peak.lagP99Ms).toFixed(0)} / ${peak.lagMaxMs.toFixed(0)} ms`,
  );
  f('dashboard CPU', `${((cpu1.cpuS - cpu0.cpuS) / secs).toFixed(2)} cores`, 'target < 1 core');
  // The two cores are shared: what the source and these clients take is not the dashboard's.
  f(
    'CPU of the load source / of the bench clients',
    `${((srcCpu1.cpuS - srcCpu0.cpuS) / secs).toFixed(2)} / ${((own.user + own.system) / 1e6 / secs).toFixed(2)} cores`,
  );
  f(
    'dashboard RSS at the end / peak',
    `${cpu1.rssMiB.toFixed(0)} / ${peak.rssMiB.toFixed(0)} MiB`,
    'target < 512 MiB',
  );
  f(
    'dashboard JS heap used / external, peak',
    `${peak.heapMiB.toFixed(0)} / ${peak.externalMiB.toFixed(0)} MiB`,
  );
  const per = (k: 'rows' | 'skipped' | 'messages') => {
    const xs = stats.map((s) => s[k] / secs);
    return `${int(Math.min(...xs))} / ${int(pct(xs, 50))} / ${int(Math.max(...xs))}`;
  };
  f('rows/s per client, min / median / max', per('rows'));
  f('rows/s not sent per client (sampled), min / median / max', per('skipped'), 'baseline 0');
  f('messages/s per client, min / median / max', per('messages'), 'tick: 10/s');
  f(
    'clients dropped by the server',
    int(st1.stream['clientsDropped']! - st0.stream['clientsDropped']!),
    'target 0',
  );
}

/** FLOWLENS_BENCH_PHASES=filters,class runs only those phases (all three by default). */
const PHASES = (process.env['FLOWLENS_BENCH_PHASES'] ?? 'one,filters,class').split(',');
try {
  if (PHASES.includes('one')) await phase('1 client', ['']);
  if (PHASES.includes('filters')) await phase(`${CLIENTS} clients, ${CLIENTS} filters`, FILTERS);
  // A class: every browser on the same view shares one map and one encoded delta per tick.
  if (PHASES.includes('class')) {
    await phase(`${CLIENTS} clients, one view`, Array<string>(CLIENTS).fill(''));
  }
} finally {
  dash.stop();
  source.stop();
}
// The message types the clients above read by hand.
export type { ServerMessage };
