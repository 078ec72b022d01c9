// The `flowlens` command end to end: the built binary in its own process, over real sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getJson, ROOT, runFlowlens, startDashboard } from '../support/process.ts';
import type { Running } from '../support/process.ts';
import { flowAt } from '../support/builders.ts';
import { formatLine, parseLine } from '../../backend/src/hubble/json-codec.ts';

interface Status {
  mode: string;
  hubble: { state: string; flowsReceived: number; lastError: string | null };
  dropped: { malformedFlows: number; replayLinesSkipped: number };
  history: { flows: number; maxFlows: number; maxBytes: number; evicted: number };
  memory: {
    rssBytes: number;
    heapUsedBytes: number;
    heapTotalBytes: number;
    externalBytes: number;
    arrayBuffersBytes: number;
    heapBudget?: { budgetBytes: number };
  };
}

const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});

const tmp = () => mkdtempSync(join(tmpdir(), 'flowlens-cli-'));

async function dashboard(args: string[]) {
  const d = await startDashboard(args);
  running.push(d);
  return d;
}

async function statusUntil(url: string, cond: (s: Status) => boolean, what: string) {
  const deadline = Date.now() + 15_000;
  let last: Status | undefined;
  while (Date.now() < deadline) {
    last = await getJson<Status>(`${url}/api/status`);
    if (cond(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last status ${JSON.stringify(last)}`);
}

describe('flowlens serve', () => {
  it('runs the demo by default and receives its flows over gRPC', async () => {
    const d = await dashboard([]);
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${d.url}/healthz`)).text()).toBe('ok\n');
    const s = await statusUntil(d.url, (x) => x.hubble.flowsReceived > 50, 'demo flows');
    expect(s.mode).toBe('demo');
    expect(s.hubble.state).toBe('live');
    expect((await fetch(`${d.url}/readyz`)).status).toBe(200);
  });

  it('keeps history and the heap within the bounds it is given, and reports them', async () => {
    const d = await dashboard([
      '--history-flows',
      '40',
      '--history-mb',
      '2',
      '--heap-budget-mb',
      '200',
    ]);
    const s = await statusUntil(d.url, (x) => x.history.evicted > 0, 'history to fill');
    expect(s.history).toMatchObject({ maxFlows: 40, maxBytes: 2 * 1024 * 1024 });
    expect(s.history.flows).toBeLessThanOrEqual(40);
    expect(s.memory.heapBudget?.budgetBytes).toBe(200 * 1024 * 1024);
    expect(s.memory.rssBytes).toBeGreaterThan(s.memory.heapUsedBytes / 2);
    expect(s.memory.heapTotalBytes).toBeGreaterThanOrEqual(s.memory.heapUsedBytes);
    expect(s.memory.externalBytes).toBeGreaterThanOrEqual(s.memory.arrayBuffersBytes);
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    expect(metrics).toMatch(/^flowlens_history_max_bytes 2097152$/m);
    expect(metrics).toMatch(/^process_resident_memory_bytes \d+$/m);
  });

  it('serves the UI with a strict Content-Security-Policy', async () => {
    const d = await dashboard([]);
    const res = await fetch(`${d.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="app">');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`${d.url}/api/nope`)).status).toBe(404);
    expect((await fetch(`${d.url}/api/status`, { method: 'POST' })).status).toBe(405);
  });

  it('replays a file, skipping and counting malformed lines', async () => {
    const file = join(tmp(), 'lab.jsonl');
    const good = [0, 1, 2].map((i) => formatLine({ flow: flowAt(i).flow, node_name: 'c/n' }));
    writeFileSync(
      file,
      [good[0], '{oops', good[1], '{"flow":{"time":"soon"}}', good[2], ''].join('\n'),
    );
    const d = await dashboard(['--replay', file]);
    const s = await statusUntil(d.url, (x) => x.hubble.flowsReceived === 3, 'replayed flows');
    expect(s.mode).toBe('replay');
    expect(s.dropped.replayLinesSkipped).toBe(2);
    expect(d.output()).toMatch(/line 2: not JSON/);
    expect(d.output()).toMatch(/line 4: flow.time: expected an RFC3339 timestamp/);
  });

  it('records every received flow as Hubble JSON lines', async () => {
    const file = join(tmp(), 'rec.jsonl');
    const d = await dashboard(['--record', file]);
    await statusUntil(d.url, (x) => x.hubble.flowsReceived > 20, 'demo flows');
    await d.stop();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines) expect(parseLine(line)?.flow?.uuid).toBeTruthy();
  });

  it('keeps serving and says why while the Relay is unreachable', async () => {
    const d = await dashboard(['--hubble', '127.0.0.1:1']);
    const s = await statusUntil(d.url, (x) => x.hubble.state === 'retrying', 'retrying');
    expect(s.mode).toBe('live');
    expect(s.hubble.lastError).toMatch(/UNAVAILABLE/);
    expect((await fetch(`${d.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${d.url}/readyz`)).status).toBe(503);
  });

  it('reads the demo through grpc-js when asked', async () => {
    const d = await dashboard(['--hubble-transport', 'grpc-js']);
    const s = await statusUntil(d.url, (x) => x.hubble.flowsReceived > 20, 'demo flows');
    expect(s.hubble.state).toBe('live');
  });

  it('reads a Relay from flowlens hubble-server in another process', async () => {
    const server = runFlowlens(['hubble-server', '--demo', '--port', '0']);
    running.push(server);
    const m = await server.waitForOutput(/Hubble Observer API on ([\d.]+:\d+)/);
    const d = await dashboard(['--hubble', m[1]]);
    const s = await statusUntil(d.url, (x) => x.hubble.flowsReceived > 20, 'flows from the relay');
    expect(s.mode).toBe('live');
  });

  it('serves an offline cluster model from manifests, reporting bad documents', async () => {
    const d = await dashboard([
      '--manifests',
      join(ROOT, 'tests/fixtures/manifests/shop'),
      '--manifests',
      join(ROOT, 'tests/fixtures/manifests/broken'),
    ]);
    const s = await getJson<Status & { kubernetes: Record<string, unknown> }>(
      `${d.url}/api/status`,
    );
    expect(s.mode).toBe('offline');
    expect(s.kubernetes).toMatchObject({ state: 'synced', source: 'manifests', synced: true });
    expect(s.kubernetes['counts']).toMatchObject({ NetworkPolicy: 2, CiliumNetworkPolicy: 1 });
    expect(d.output()).toMatch(/mixed\.yaml: document 2: /);
    expect(d.output()).toMatch(/loaded \d+ objects from 5 manifest files \(4 documents skipped\)/);
    expect((await fetch(`${d.url}/readyz`)).status).toBe(200);
  });
});

describe('flowlens explain', () => {
  const shop = join(ROOT, 'tests/fixtures/manifests/shop');

  it('explains a denied connection in plain words with the smallest fix', async () => {
    const r = runFlowlens([
      'explain',
      '--manifests',
      shop,
      '--from',
      'shop/frontend',
      '--to',
      'data/svc/db',
      '--port',
      '5432',
    ]);
    expect(await r.exited).toBe(0);
    expect(r.output()).toMatch(
      /^DENIED {2}shop\/frontend → data\/db TCP\/5432 \(via service data\/db\)/,
    );
    expect(r.output()).toContain(
      'data/db is isolated for ingress by data/db-from-api, data/default-deny',
    );
    expect(r.output()).toContain('Smallest fix:');
  });

  it('prints the Explanation JSON, in Korean when asked', async () => {
    const r = runFlowlens([
      'explain',
      '--manifests',
      shop,
      '--from',
      'shop/api',
      '--to',
      'data/svc/db',
      '--port',
      '5432',
      '--json',
      '--lang',
      'ko',
    ]);
    expect(await r.exited).toBe(0);
    const e = JSON.parse(r.output()) as {
      verdict: string;
      reason: string;
      ingress: { allowedBy: string[] };
    };
    expect(e.verdict).toBe('ALLOWED');
    expect(e.ingress.allowedBy).toEqual(['data/db-from-api']);
    expect(e.reason).toMatch(/허용/);
  });

  it.each([
    [['explain', '--from', 'a/b', '--to', 'c/d', '--port', '80'], /explain needs --manifests PATH/],
    [
      [
        'explain',
        '--manifests',
        'tests/fixtures/manifests/shop',
        '--from',
        'shop/nope',
        '--to',
        'data/db',
        '--port',
        '5432',
      ],
      /--from: no pod shop\/nope in the cluster model/,
    ],
    [
      [
        'explain',
        '--manifests',
        'tests/fixtures/manifests/shop',
        '--from',
        'shop/api',
        '--to',
        'data/db',
        '--port',
        '5432',
        '--lang',
        'fr',
      ],
      /--lang must be en or ko, got fr/,
    ],
  ])('%j exits 2 with the reason', async (args, reason) => {
    const r = runFlowlens(args);
    expect(await r.exited).toBe(2);
    expect(r.output()).toMatch(reason);
  });
});

describe('flowlens usage errors', () => {
  it.each([
    [['--bogus'], /unknown option --bogus/],
    [['--port', 'abc'], /--port must be a port number \(0-65535\), got abc/],
    [['--hubble', 'a:1', '--replay', 'f'], /choose one flow source, not --hubble and --replay/],
    [
      ['--demo', 'nope'],
      /unknown demo scenario nope \(known: three-tier, starwars, dns-default-deny, services\)/,
    ],
    [['--replay', '/nonexistent/file'], /--replay: no such file: \/nonexistent\/file/],
    [['--hubble-cert', 'x', '--hubble', 'a:1'], /--hubble-cert and --hubble-key go together/],
    [['frobnicate'], /unknown command frobnicate/],
    [['--manifests', '/nonexistent/x'], /--manifests: no such file or folder: \/nonexistent\/x/],
    [['--demo', '--manifests', '.'], /--demo brings its own cluster/],
    [
      ['--replay', 'package.json', '--replay-speed', '0'],
      /--replay-speed must be a positive number or max, got 0/,
    ],
    [['--record-max-mb', 'lots'], /--record-max-mb must be a number of megabytes, got lots/],
    [
      ['--hubble-transport', 'carrier-pigeon'],
      /--hubble-transport must be h2 or grpc-js, got carrier-pigeon/,
    ],
    [['--history-flows', '0'], /--history-flows must be a whole number of at least 1, got 0/],
    [['--heap-budget-mb', '1.5'], /--heap-budget-mb must be a whole number of at least 0, got 1.5/],
    [['hubble-server', '--tls-cert', 'x'], /--tls-cert and --tls-key go together/],
  ])('%j exits 2 with a one-line reason and the usage', async (args, reason) => {
    const r = runFlowlens(args);
    running.push(r);
    expect(await r.exited).toBe(2);
    expect(r.output()).toMatch(reason);
    expect(r.output()).toContain('Usage:');
  });

  it('prints its version', async () => {
    const r = runFlowlens(['--version']);
    running.push(r);
    expect(await r.exited).toBe(0);
    expect(r.output().trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
