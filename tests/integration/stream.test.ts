// The WebSocket stream and the guarded HTTP API, with real `ws` clients against a running
// flowlens (demo mode: flows arrive continuously over real gRPC).
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AppOptions } from '../../backend/src/app.ts';
import { threeTier } from '../../backend/src/demo/scenarios/three-tier.ts';
import type {
  ServerMessage,
  SnapshotMessage,
  DeltaMessage,
} from '../../backend/src/shared/protocol.ts';
import { startApp, stopApps } from '../support/app.ts';
import { waitFor } from '../support/wait.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabGenerator } from '../../backend/src/demo/generator.ts';
import { formatLine, responseFromRecord } from '../../backend/src/hubble/json-codec.ts';

const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await stopApps();
});

/** A running demo dashboard that has taken in its first flows. */
async function start(over: Partial<AppOptions> = {}) {
  const started = await startApp(over);
  await waitFor(() => started.app.store.stats.flows > 20, 'flows');
  return started;
}

class Client {
  readonly messages: ServerMessage[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  constructor(url: string, opts?: WebSocket.ClientOptions) {
    this.ws = new WebSocket(url, opts);
    sockets.push(this.ws);
    this.ws.on('message', (d) => this.messages.push(JSON.parse(d.toString()) as ServerMessage));
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`HTTP ${res.statusCode}`)),
      );
    });
  }
  send(m: unknown): void {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }
  of<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.messages.filter((m) => m.type === type) as Extract<ServerMessage, { type: T }>[];
  }
  async next<T extends ServerMessage['type']>(
    type: T,
    count = 1,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    await waitFor(() => this.of(type).length >= count, `${count} ${type} message(s)`);
    return this.of(type)[count - 1]!;
  }
}

async function connect(url: string, opts?: WebSocket.ClientOptions): Promise<Client> {
  const c = new Client(url, opts);
  await c.opened;
  return c;
}

describe('WebSocket /ws', () => {
  it('greets, sends a snapshot, then deltas with new flows and map changes in order', async () => {
    const { ws } = await start();
    const c = await connect(ws);
    expect(await c.next('hello')).toMatchObject({ v: 1, mode: 'demo' });
    c.send({ type: 'subscribe', v: 1, limit: 50 });
    const snap = await c.next('snapshot');
    expect(snap.live).toBe(true);
    expect(snap.flows.length).toBeGreaterThan(0);
    expect(snap.flows.length).toBeLessThanOrEqual(50);
    expect(snap.map.nodes.length).toBeGreaterThan(0);
    await c.next('delta', 3);
    const seqs = [...snap.flows, ...c.of('delta').flatMap((d) => d.flows)].map((f) => f.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('applies the filter to the snapshot and to every delta', async () => {
    const { ws } = await start();
    const c = await connect(ws);
    c.send({ type: 'subscribe', v: 1, filter: 'namespace=kube-system protocol=udp' });
    const snap = await c.next('snapshot');
    await c.next('delta', 2);
    const rows = [...snap.flows, ...c.of('delta').flatMap((d) => d.flows)];
    expect(rows.length).toBeGreaterThan(0);
    for (const { flow } of rows) {
      expect(flow.protocol).toBe('UDP');
      expect([flow.source.namespace, flow.destination.namespace]).toContain('kube-system');
    }
  });

  it('answers malformed messages with an error and keeps the connection', async () => {
    const { ws, app } = await start();
    const c = await connect(ws);
    c.send('{nope');
    c.send({ type: 'subscribe', v: 9 });
    c.send({ type: 'subscribe', v: 1, filter: 'colour=red' });
    c.send({ type: 'launch' });
    await c.next('error', 4);
    expect(c.of('error').map((e) => e.message)).toEqual([
      'message is not JSON',
      'protocol version 9 is not supported; this server speaks 1',
      expect.stringMatching(/^unknown filter key colour/),
      'unknown message type "launch"',
    ]);
    c.send({ type: 'ping', t: 7 });
    expect(await c.next('pong')).toEqual({ type: 'pong', t: 7 });
    expect(app.hub.stats.badMessages).toBe(4);
  });

  it('closes a client that sends an oversized message', async () => {
    const { ws } = await start();
    const c = await connect(ws);
    const closed = new Promise<number>((r) => c.ws.once('close', (code) => r(code)));
    c.send('x'.repeat(20_000));
    expect(await closed).toBe(1009);
  });

  it('resumes after a reconnect with only the flows missed', async () => {
    const { ws } = await start();
    const a = await connect(ws);
    a.send({ type: 'subscribe', v: 1 });
    await a.next('delta', 2);
    const last = [...a.of('snapshot')[0]!.flows, ...a.of('delta').flatMap((d) => d.flows)].at(
      -1,
    )!.seq;
    a.ws.close();
    await new Promise((r) => setTimeout(r, 300));
    const b = await connect(ws);
    b.send({ type: 'subscribe', v: 1, resumeAfter: last });
    const snap = await b.next('snapshot');
    expect(snap.resumed).toBe(true);
    expect(snap.flows.length).toBeGreaterThan(0);
    expect(snap.flows[0]!.seq).toBe(last + 1);
  });

  it('serves 60 concurrent clients', async () => {
    const { ws, app } = await start();
    const clients = await Promise.all(Array.from({ length: 60 }, () => connect(ws)));
    for (const c of clients) c.send({ type: 'subscribe', v: 1, limit: 10 });
    await Promise.all(clients.map((c) => c.next('delta')));
    expect(app.hub.stats.clients).toBe(60);
  });

  it('builds each new view once for the clients that ask for it together, then streams to all', async () => {
    const { ws, app } = await start();
    await waitFor(() => app.store.stats.flows > 300, 'some history to fold');
    const filters = ['namespace=web', 'verdict=DROPPED', 'protocol=udp', 'namespace=data'];
    const clients = await Promise.all(Array.from({ length: 12 }, () => connect(ws)));
    clients.forEach((c, i) =>
      c.send({ type: 'subscribe', v: 1, filter: filters[i % 4], limit: 5 }),
    );
    const snaps = await Promise.all(clients.map((c) => c.next('snapshot')));
    expect(snaps.map((s) => s.filter)).toEqual(clients.map((_, i) => filters[i % 4]));
    expect(app.hub.stats).toMatchObject({ views: 4, subscribesWaiting: 0 });
    // Drops only: every edge of that map has drops, and its rows are drops.
    const drops = snaps[1]!;
    expect(drops.map.edges.length).toBeGreaterThan(0);
    expect(drops.map.edges.every((e) => e.dropped > 0 && e.forwarded === 0)).toBe(true);
    expect(drops.flows.every((r) => r.flow.verdict === 'DROPPED')).toBe(true);
    await Promise.all(clients.map((c) => c.next('delta')));
  });

  it('forgets a view whose clients leave or move on while its history folds', async () => {
    const { ws, app } = await start();
    await waitFor(() => app.store.stats.flows > 300, 'some history to fold');
    const leaving = await connect(ws);
    const moving = await connect(ws);
    leaving.send({ type: 'subscribe', v: 1, filter: 'namespace=web protocol=tcp' });
    moving.send({ type: 'subscribe', v: 1, filter: 'namespace=data protocol=tcp' });
    moving.send({ type: 'subscribe', v: 1, filter: 'namespace=api' });
    leaving.ws.close();
    await waitFor(
      () => moving.of('snapshot').some((s) => s.filter === 'namespace=api'),
      'the snapshot of the newest filter',
    );
    // Only the view still watched is left, whether the others were cancelled or had finished.
    await waitFor(() => app.hub.stats.clients === 1, 'the leaving client gone');
    expect(app.hub.stats).toMatchObject({ views: 1, subscribesWaiting: 0 });
  });

  it('samples rows for a slow client, tells it, and catches its map up in one piece', async () => {
    // A flood: a recording replayed fast, and a client that stops reading for a while.
    const S = 1_000_000_000n;
    const t0 = 1_795_341_600n * S;
    const gen = new LabGenerator(threeTier, 5, t0, 50);
    const lines = gen.generate(t0 + 30n * S).map((r) => formatLine(responseFromRecord(r)));
    const file = join(mkdtempSync(join(tmpdir(), 'flowlens-flood-')), 'flood.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const { ws, app } = await start({
      mode: 'replay',
      replayFile: file,
      replaySpeed: 3,
      stream: { highWaterBytes: 64 * 1024, stalledMs: 60_000 },
    });
    const c = await connect(ws);
    c.send({ type: 'subscribe', v: 1, limit: 1 });
    await c.next('snapshot');
    const socket = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    // Rows over the per-tick cap are skipped too: wait until the client is slow (its socket
    // holds more than the high-water mark), then for rows skipped while it is.
    await waitFor(() => app.hub.stats.bufferedBytesMax > 64 * 1024, 'the client falling behind');
    const before = app.hub.stats.rowsSkipped;
    await waitFor(
      () => app.hub.stats.rowsSkipped > before + 100,
      'rows skipped for the slow client',
    );
    socket.resume();
    const notice = await c.next('notice');
    expect(notice).toMatchObject({ code: 'sampling', level: 'warn' });
    expect(notice.message).toMatch(/showing 1 in \d+ flows/);
    await waitFor(
      () => c.of('delta').some((d) => d.mapSnapshot !== undefined),
      'the map caught up',
    );
    expect(c.of('delta').some((d) => (d.skipped ?? 0) > 0)).toBe(true);
  });

  it('caps rows per tick, saying how many it shows and skips', async () => {
    const { ws } = await start({ stream: { maxRowsPerDelta: 1, tickMs: 200 } });
    const c = await connect(ws);
    c.send({ type: 'subscribe', v: 1, limit: 1 });
    await c.next('snapshot');
    await waitFor(() => c.of('delta').some((d) => (d.sampleEvery ?? 1) > 1), 'a sampled delta');
    const d = c.of('delta').find((x) => (x.sampleEvery ?? 1) > 1)!;
    expect(d.flows).toHaveLength(1);
    expect(d.skipped).toBeGreaterThan(0);
    // The row kept is the tick's newest: between two deltas' rows lie the later one's skipped.
    await c.next('delta', c.of('delta').length + 3);
    const deltas = c.of('delta');
    let pairs = 0;
    for (let i = 1; i < deltas.length; i++) {
      const [a, b] = [deltas[i - 1]!, deltas[i]!];
      if (a.flows.length !== 1 || b.flows.length !== 1) continue;
      expect(b.flows[0]!.seq - a.flows[0]!.seq).toBe((b.skipped ?? 0) + 1);
      pairs += 1;
    }
    expect(pairs).toBeGreaterThan(0);
  });

  it('shares one view between clients with the same filter', async () => {
    const { ws, app } = await start();
    const a = await connect(ws);
    const b = await connect(ws);
    const other = await connect(ws);
    a.send({ type: 'subscribe', v: 1, filter: 'namespace=web' });
    b.send({ type: 'subscribe', v: 1, filter: 'namespace=web' });
    other.send({ type: 'subscribe', v: 1, filter: 'namespace=api' });
    await Promise.all([a.next('delta', 2), b.next('delta', 2), other.next('delta')]);
    expect(app.hub.stats.views).toBe(2);
    other.ws.close();
    await waitFor(() => app.hub.stats.views === 1, 'the unused view released');
  });

  it('drops a client that stops reading (no pong to the heartbeat)', async () => {
    const { ws, app } = await start({ stream: { heartbeatMs: 200 } });
    const c = await connect(ws);
    const closed = new Promise<void>((r) => c.ws.once('close', () => r()));
    c.send({ type: 'subscribe', v: 1 });
    // Stop reading: the server's socket buffer fills and stays full.
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await waitFor(() => app.hub.stats.clientsDropped === 1, 'the stalled client dropped');
    (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await closed;
  });

  it('explains a flow on request', async () => {
    const { ws } = await start();
    const c = await connect(ws);
    c.send({ type: 'subscribe', v: 1, filter: 'verdict=DROPPED' });
    const snap = await c.next('snapshot');
    c.send({ type: 'explain', flowId: 'no-such-flow' });
    expect((await c.next('error')).message).toBe('flow no-such-flow is no longer in history');
    expect(snap.type).toBe('snapshot');
  });
});

describe('access control', () => {
  const TOKEN = 'classroom-secret-42';

  it('refuses the API, the UI and the stream without the token; health stays open', async () => {
    const { http, ws } = await start({ token: TOKEN });
    expect((await fetch(`${http}/healthz`)).status).toBe(200);
    expect((await fetch(`${http}/api/status`)).status).toBe(401);
    expect((await fetch(`${http}/metrics`)).status).toBe(401);
    expect((await fetch(`${http}/`)).status).toBe(401);
    await expect(connect(ws)).rejects.toThrow('HTTP 401');
    const ok = await fetch(`${http}/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    await connect(ws, { headers: { authorization: `Bearer ${TOKEN}` } });
  });

  it('trades ?token= for an HttpOnly cookie and a clean URL', async () => {
    const { http, ws } = await start({ token: TOKEN });
    const res = await fetch(`${http}/?token=${TOKEN}&x=1`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/?x=1');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^flowlens_token=.+; HttpOnly; SameSite=Strict; Path=\//);
    const c = cookie.split(';')[0]!;
    expect((await fetch(`${http}/api/status`, { headers: { cookie: c } })).status).toBe(200);
    await connect(ws, { headers: { cookie: c } });
    expect((await fetch(`${http}/?token=wrong-token`, { redirect: 'manual' })).status).toBe(401);
  });

  it('refuses WebSocket upgrades from another origin', async () => {
    const { ws, app } = await start();
    await expect(connect(ws, { origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
    await connect(ws, { origin: `http://127.0.0.1:${app.address!.port}` });
    expect(app.hub.stats.refused).toBe(1);
  });
});

describe('GET /metrics', () => {
  it('exposes Prometheus text that parses', async () => {
    const { http } = await start();
    const res = await fetch(`${http}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const samples = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      // The text format's grammar: metric names may hold digits and colons, values ±Inf.
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[\d.e+-]+|NaN|[+-]Inf)$/.exec(line);
      expect(m, line).not.toBeNull();
      samples.set(`${m![1]}${m![2] ?? ''}`, Number(m![3]));
    }
    expect(samples.get('flowlens_hubble_connected')).toBe(1);
    expect(
      [...samples.keys()].some((k) => k.startsWith('flowlens_flows_total{verdict="FORWARDED"}')),
    ).toBe(true);
    expect(samples.get('flowlens_history_flows')).toBeGreaterThan(0);
    expect(samples.get('flowlens_history_bytes')).toBeGreaterThan(0);
    expect(samples.get('flowlens_history_evicted_unread')).toBe(0);
    expect(samples.get('flowlens_stream_subscribes_waiting')).toBe(0);
    expect(samples.get('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(samples.get('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });
});

// Keeps the imported message types in use for readers of the test.
export type { SnapshotMessage, DeltaMessage };
