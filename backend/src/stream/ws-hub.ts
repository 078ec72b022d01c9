// The WebSocket stream (`/ws`): each client subscribes with a filter and a map grouping, gets a
// snapshot, then a delta every tick with the flows that matched and what changed on its map.
// A client that cannot keep up is never allowed to grow server memory: its rows are sampled
// (and it is told so), its map changes coalesce per node and edge, and a client stalled for
// too long is dropped. Everything dropped is counted.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EnrichedFlow } from '../enrich/types.ts';
import { parseTimeNs } from '../hubble/time.ts';
import { ServiceMap, type Grouping } from '../map/service-map.ts';
import {
  compileFilter,
  filterNamespaces,
  FilterSyntaxError,
  parseFilter,
} from '../shared/filter.ts';
import {
  MAX_CLIENT_MESSAGE_BYTES,
  parseClientMessage,
  PROTOCOL_VERSION,
  ProtocolError,
  type ClientMessage,
  type ServerMessage,
  type StreamFlow,
  type SubscribeMessage,
} from '../shared/protocol.ts';
import type { FlowStore } from '../store/flow-store.ts';

export interface StreamHubOptions {
  store: FlowStore;
  version: string;
  mode: () => string;
  status: () => unknown;
  /** Explains a stored flow on demand; undefined when there is no engine. */
  explain?: (flow: EnrichedFlow) => unknown;
  /** Decides whether an upgrade request may connect (token, Origin). */
  authorize?: (
    req: http.IncomingMessage,
  ) => { ok: true } | { ok: false; status: number; reason: string };
  tickMs?: number;
  statusEveryMs?: number;
  heartbeatMs?: number;
  /** Rows a client may have waiting before sampling starts. */
  maxQueuedRows?: number;
  /** Rows per delta message. */
  maxRowsPerDelta?: number;
  /** Socket buffer above which a client is "slow" and gets nothing this tick. */
  highWaterBytes?: number;
  /** A client slow for this long is disconnected. */
  stalledMs?: number;
  /** History rows in a snapshot when the client does not say. */
  snapshotRows?: number;
  /** How far back the map of a live snapshot reaches. */
  snapshotMapMs?: number;
  now?: () => number;
}

export interface StreamStats {
  clients: number;
  connectionsTotal: number;
  messagesSent: number;
  /** Flow rows not sent to some client because it was too slow (sampled away). */
  rowsSkipped: number;
  /** Clients disconnected for being stalled or not answering pings. */
  clientsDropped: number;
  /** Malformed client messages answered with an error. */
  badMessages: number;
  /** Upgrade requests refused (token, Origin, path). */
  refused: number;
}

interface Subscription {
  live: boolean;
  filter: string;
  match: (f: EnrichedFlow) => boolean;
  map: ServiceMap;
}

interface Client {
  ws: WebSocket;
  sub: Subscription | undefined;
  queue: StreamFlow[];
  skipped: number;
  sampleEvery: number;
  sampleCounter: number;
  calmTicks: number;
  lastRaiseMs: number;
  slowSince: number | undefined;
  alive: boolean;
}

const MAX_SAMPLE_EVERY = 128;

export class StreamHub {
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;
  private readonly o: Required<
    Pick<
      StreamHubOptions,
      | 'tickMs'
      | 'statusEveryMs'
      | 'heartbeatMs'
      | 'maxQueuedRows'
      | 'maxRowsPerDelta'
      | 'highWaterBytes'
      | 'stalledMs'
      | 'snapshotRows'
      | 'snapshotMapMs'
    >
  >;
  readonly stats: StreamStats = {
    clients: 0,
    connectionsTotal: 0,
    messagesSent: 0,
    rowsSkipped: 0,
    clientsDropped: 0,
    badMessages: 0,
    refused: 0,
  };

  constructor(private readonly opts: StreamHubOptions) {
    this.now = opts.now ?? Date.now;
    this.o = {
      tickMs: opts.tickMs ?? 100,
      statusEveryMs: opts.statusEveryMs ?? 2000,
      heartbeatMs: opts.heartbeatMs ?? 15_000,
      maxQueuedRows: opts.maxQueuedRows ?? 2000,
      maxRowsPerDelta: opts.maxRowsPerDelta ?? 500,
      highWaterBytes: opts.highWaterBytes ?? 1024 * 1024,
      stalledMs: opts.stalledMs ?? 30_000,
      snapshotRows: opts.snapshotRows ?? 500,
      snapshotMapMs: opts.snapshotMapMs ?? 5 * 60_000,
    };
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
    this.wss.on('connection', (ws) => this.onConnection(ws));
  }

  /** Takes over `upgrade` requests for `path` on the HTTP server. */
  attach(server: http.Server, path = '/ws'): void {
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://flowlens.invalid');
      const verdict =
        url.pathname !== path
          ? { ok: false as const, status: 404, reason: 'no such endpoint' }
          : (this.opts.authorize?.(req) ?? { ok: true as const });
      if (!verdict.ok) {
        this.stats.refused += 1;
        socket.end(
          `HTTP/1.1 ${verdict.status} ${verdict.status === 403 ? 'Forbidden' : verdict.status === 401 ? 'Unauthorized' : 'Not Found'}\r\n` +
            `content-type: text/plain\r\nconnection: close\r\n\r\n${verdict.reason}\n`,
        );
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
    });
    this.timers.push(setInterval(() => this.tick(), this.o.tickMs));
    this.timers.push(setInterval(() => this.broadcastStatus(), this.o.statusEveryMs));
    this.timers.push(setInterval(() => this.heartbeat(), this.o.heartbeatMs));
    for (const t of this.timers) t.unref();
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
    this.wss.close();
  }

  /** Every enriched flow goes through here once, right after it is stored. */
  publish(seq: number, flow: EnrichedFlow): void {
    const nowMs = this.now();
    for (const c of this.clients) {
      const sub = c.sub;
      if (!sub?.live || !sub.match(flow)) continue;
      sub.map.add(flow, nowMs);
      if (c.queue.length >= this.o.maxQueuedRows) this.startSampling(c, nowMs);
      c.sampleCounter += 1;
      if (c.sampleCounter % c.sampleEvery !== 0 || c.queue.length >= this.o.maxQueuedRows) {
        c.skipped += 1;
        this.stats.rowsSkipped += 1;
        continue;
      }
      c.queue.push({ seq, flow });
    }
  }

  /** Doubles the sampling at most once a second, so one burst does not jump straight to the cap. */
  private startSampling(c: Client, nowMs: number): void {
    if (c.sampleEvery >= MAX_SAMPLE_EVERY || nowMs - c.lastRaiseMs < 1000) return;
    c.lastRaiseMs = nowMs;
    c.sampleEvery = Math.min(MAX_SAMPLE_EVERY, c.sampleEvery * 2);
    c.calmTicks = 0;
    this.send(c, {
      type: 'notice',
      level: 'warn',
      code: 'sampling',
      message: `this connection is too slow for every flow: showing 1 in ${c.sampleEvery} flows`,
      sampleEvery: c.sampleEvery,
    });
  }

  private onConnection(ws: WebSocket): void {
    const c: Client = {
      ws,
      sub: undefined,
      queue: [],
      skipped: 0,
      sampleEvery: 1,
      sampleCounter: 0,
      calmTicks: 0,
      lastRaiseMs: 0,
      slowSince: undefined,
      alive: true,
    };
    this.clients.add(c);
    this.stats.clients = this.clients.size;
    this.stats.connectionsTotal += 1;
    ws.on('pong', () => (c.alive = true));
    ws.on('message', (data, isBinary) => this.onMessage(c, data.toString(), isBinary));
    ws.on('close', () => {
      this.clients.delete(c);
      this.stats.clients = this.clients.size;
    });
    ws.on('error', () => ws.terminate());
    this.send(c, {
      type: 'hello',
      v: PROTOCOL_VERSION,
      version: this.opts.version,
      mode: this.opts.mode(),
    });
  }

  private onMessage(c: Client, text: string, isBinary: boolean): void {
    let msg: ClientMessage;
    try {
      if (isBinary) throw new ProtocolError('binary messages are not part of the protocol');
      msg = parseClientMessage(text);
    } catch (err) {
      this.stats.badMessages += 1;
      this.send(c, { type: 'error', message: (err as Error).message });
      return;
    }
    try {
      if (msg.type === 'subscribe') this.subscribe(c, msg);
      else if (msg.type === 'ping')
        this.send(c, msg.t === undefined ? { type: 'pong' } : { type: 'pong', t: msg.t });
      else this.explain(c, msg.flowId);
    } catch (err) {
      const known = err instanceof FilterSyntaxError || err instanceof ProtocolError;
      if (known) this.stats.badMessages += 1;
      this.send(c, { type: 'error', message: known ? (err as Error).message : 'internal error' });
    }
  }

  private subscribe(c: Client, m: SubscribeMessage): void {
    const terms = parseFilter(m.filter ?? '');
    const match = compileFilter(terms);
    const grouping: Grouping = m.grouping ?? 'workload';
    const namespaces = filterNamespaces(terms);
    const nowMs = this.now();
    const untilNs = m.until ? this.when(m.until, 'until') : undefined;
    const live = untilNs === undefined;
    const sinceNs = m.since
      ? this.when(m.since, 'since')
      : BigInt(nowMs - this.o.snapshotMapMs) * 1_000_000n;
    const store = this.opts.store;
    let resumed = false;
    let rows: StreamFlow[];
    if (
      m.resumeAfter !== undefined &&
      live &&
      m.resumeAfter >= store.oldestSeq - 1 &&
      store.oldestSeq > 0
    ) {
      resumed = true;
      rows = store
        .query({ afterSeq: m.resumeAfter, predicate: match, limit: this.o.maxQueuedRows })
        .map((e) => ({ seq: e.seq, flow: e.flow }));
    } else {
      if (m.resumeAfter !== undefined && live) {
        this.send(c, {
          type: 'notice',
          level: 'info',
          code: 'history-gap',
          message: 'some flows since the connection dropped are no longer in history',
        });
      }
      const limit = Math.min(m.limit ?? this.o.snapshotRows, 10_000);
      rows = store
        .query({
          predicate: match,
          limit,
          ...(m.since ? { sinceNs } : {}),
          ...(untilNs !== undefined ? { untilNs } : {}),
        })
        .map((e) => ({ seq: e.seq, flow: e.flow }));
    }
    const map = new ServiceMap({ grouping, namespaces });
    for (const e of store.window(sinceNs, untilNs)) {
      if (match(e.flow)) map.add(e.flow, live ? nowMs : Number(BigInt(e.flow.timeNs) / 1_000_000n));
    }
    map.flush(nowMs); // the snapshot carries the state; deltas start from here
    c.sub = { live, filter: m.filter ?? '', match, map };
    c.queue = [];
    c.skipped = 0;
    c.sampleEvery = 1;
    this.send(c, {
      type: 'snapshot',
      live,
      filter: m.filter ?? '',
      grouping,
      flows: rows,
      map: map.snapshot(),
      resumed,
    });
  }

  private when(v: string, name: string): bigint {
    const t = /^\d+$/.test(v) ? BigInt(v) : parseTimeNs(v);
    if (t === undefined)
      throw new ProtocolError(`${name}: expected RFC3339 or nanoseconds, got ${v}`);
    return t;
  }

  private explain(c: Client, flowId: string): void {
    const entry = this.opts.store.byId(flowId);
    if (!entry) {
      this.send(c, { type: 'error', message: `flow ${flowId} is no longer in history` });
      return;
    }
    if (!this.opts.explain) {
      this.send(c, { type: 'error', message: 'no policy engine: flowlens has no cluster model' });
      return;
    }
    this.send(c, { type: 'explanation', flowId, explanation: this.opts.explain(entry.flow) });
  }

  private tick(): void {
    const nowMs = this.now();
    for (const c of this.clients) {
      const sub = c.sub;
      if (!sub?.live) continue;
      if (c.ws.bufferedAmount > this.o.highWaterBytes) {
        c.slowSince ??= nowMs;
        if (nowMs - c.slowSince > this.o.stalledMs) this.drop(c);
        continue;
      }
      c.slowSince = undefined;
      const map = sub.map.flush(nowMs);
      const rows = c.queue.splice(0, this.o.maxRowsPerDelta);
      const mapChanged =
        map.nodes.added.length +
          map.nodes.changed.length +
          map.nodes.removed.length +
          map.edges.added.length +
          map.edges.changed.length +
          map.edges.removed.length >
        0;
      if (rows.length > 0 || mapChanged || c.skipped > 0) {
        const delta: ServerMessage = { type: 'delta', flows: rows, map };
        if (c.skipped > 0) delta.skipped = c.skipped;
        if (c.sampleEvery > 1) delta.sampleEvery = c.sampleEvery;
        c.skipped = 0;
        this.send(c, delta);
      }
      this.relaxSampling(c);
    }
  }

  /** Halves the sampling after a calm second, until every row flows again. */
  private relaxSampling(c: Client): void {
    if (c.sampleEvery === 1) return;
    if (c.queue.length === 0 && c.ws.bufferedAmount < this.o.highWaterBytes / 4) c.calmTicks += 1;
    else c.calmTicks = 0;
    if (c.calmTicks * this.o.tickMs < 1000) return;
    c.calmTicks = 0;
    c.sampleEvery = Math.max(1, c.sampleEvery / 2);
    if (c.sampleEvery === 1) {
      this.send(c, {
        type: 'notice',
        level: 'info',
        code: 'sampling-ended',
        message: 'showing every flow again',
      });
    }
  }

  private broadcastStatus(): void {
    if (this.clients.size === 0) return;
    const status = this.opts.status();
    for (const c of this.clients) {
      if (c.ws.bufferedAmount <= this.o.highWaterBytes) this.send(c, { type: 'status', status });
    }
  }

  private heartbeat(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        this.drop(c);
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  private drop(c: Client): void {
    this.stats.clientsDropped += 1;
    this.clients.delete(c);
    this.stats.clients = this.clients.size;
    c.ws.terminate();
  }

  private send(c: Client, m: ServerMessage): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    c.ws.send(JSON.stringify(m));
    this.stats.messagesSent += 1;
  }
}
