// Freshness and fan-out: a demo lab driven at ~20,000 flows/s by `flowlens hubble-server` in one
// process, the flowlens dashboard (reading it over gRPC) in another, and WebSocket clients here.
// Freshness: delay from a flow's timestamp to its row reaching a client (p50/p99; the source
// batches on a 100 ms tick, which is part of the figure). Fan-out: 60 clients with different
// filters: the dashboard's CPU and RSS, and rows skipped per client.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { ServerMessage } from '../backend/src/shared/protocol.ts';
import { parseTimeNs } from '../backend/src/hubble/time.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RATE_SCALE = Number(process.env['FLOWLENS_BENCH_RATE_SCALE'] ?? 300);
const SECONDS = Number(process.env['FLOWLENS_BENCH_SECONDS'] ?? 10);

function run(
  args: string[],
  pattern: RegExp,
): Promise<{ proc: ChildProcess; match: RegExpExecArray }> {
  const code = `import('./backend/src/cli.ts').then(async (m) => process.exit(await m.main(${JSON.stringify(args)})))`;
  const proc = spawn(process.execPath, ['--import', 'tsx', '-e', code], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  return new Promise((resolve, reject) => {
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = pattern.exec(err);
      if (m) resolve({ proc, match: m });
    });
    proc.on('exit', () => reject(new Error(`exited: ${err}`)));
  });
}

/** CPU seconds and RSS of a process, from /proc (Linux). */
function usage(pid: number): { cpuS: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rssPages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
  return { cpuS: ticks / 100, rssMiB: (rssPages * 4096) / 1024 / 1024 };
}

interface ClientStats {
  rows: number;
  skipped: number;
  delays: number[];
}

function client(url: string, filter: string, stats: ClientStats): WebSocket {
  const ws = new WebSocket(url);
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', v: 1, filter, limit: 0 })));
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as ServerMessage;
    if (m.type !== 'delta') return;
    const now = Date.now();
    stats.rows += m.flows.length;
    stats.skipped += m.skipped ?? 0;
    for (const { flow } of m.flows) {
      const t = parseTimeNs(flow.time);
      if (t !== undefined) stats.delays.push(now - Number(t / 1_000_000n));
    }
  });
  return ws;
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const server = await run(
  ['hubble-server', '--demo', '--demo-rate', String(RATE_SCALE), '--port', '0'],
  /Observer API on ([\d.]+:\d+)/,
);
const dash = await run(
  ['--hubble', server.match[1]!, '--port', '0'],
  /dashboard on http:\/\/([\d.]+:\d+)\//,
);
const url = `ws://${dash.match[1]}/ws`;
const http = `http://${dash.match[1]}`;

async function phase(name: string, filters: string[]): Promise<void> {
  const stats = filters.map(() => ({ rows: 0, skipped: 0, delays: [] as number[] }));
  const sockets = filters.map((f, i) => client(url, f, stats[i]!));
  await new Promise((r) => setTimeout(r, 2000)); // settle
  for (const s of stats) {
    s.rows = 0;
    s.skipped = 0;
    s.delays.length = 0;
  }
  const before = usage(dash.proc.pid!);
  const status0 = (await (await fetch(`${http}/api/status`)).json()) as {
    hubble: { flowsReceived: number };
  };
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const after = usage(dash.proc.pid!);
  const status1 = (await (await fetch(`${http}/api/status`)).json()) as {
    hubble: { flowsReceived: number };
  };
  const secs = (Date.now() - t0) / 1000;
  for (const s of sockets) s.terminate();
  const delays = stats.flatMap((s) => s.delays);
  const flowsPerS = (status1.hubble.flowsReceived - status0.hubble.flowsReceived) / secs;
  const line = (k: string, v: string) => console.log(`${`${name}: ${k}`.padEnd(60)} ${v}`);
  line('flows/s into the dashboard', Math.round(flowsPerS).toLocaleString('en'));
  line('row delay p50 / p99', `${pct(delays, 50)} ms / ${pct(delays, 99)} ms`);
  line('dashboard CPU', `${((after.cpuS - before.cpuS) / secs).toFixed(2)} cores`);
  line('dashboard RSS', `${after.rssMiB.toFixed(0)} MiB`);
  const skipped = stats.reduce((a, s) => a + s.skipped, 0);
  const rows = stats.reduce((a, s) => a + s.rows, 0);
  line(
    'rows sent / skipped (all clients)',
    `${rows.toLocaleString('en')} / ${skipped.toLocaleString('en')}`,
  );
}

try {
  console.log(`demo lab at ${RATE_SCALE}× its normal traffic, ${SECONDS} s per phase`);
  await phase('1 client', ['']);
  const filters = Array.from(
    { length: 60 },
    (_, i) =>
      ['', 'verdict=DROPPED', 'namespace=web', 'namespace=api', 'protocol=udp', 'to-port=5432'][
        i % 6
      ]!,
  );
  await phase('60 clients', filters);
} finally {
  dash.proc.kill('SIGTERM');
  server.proc.kill('SIGTERM');
}
