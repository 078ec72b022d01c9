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
import { ServiceMap, type EdgeKeys, type Grouping } from '../map/service-map.ts';
import {
  compileFilter,
  filterNamespaces,
  requiredNamespaces,
  FilterSyntaxError,
  parseFilter,
} from '../shared/filter.ts';
import {
  MAX_CLIENT_MESSAGE_BYTES,
  mapDeltaSize,
  parseClientMessage,
  PROTOCOL_VERSION,
  ProtocolError,
  type ClientMessage,
  type ServerMessage,
  type StreamFlow,
  type SubscribeMessage,
} from '../shared/protocol.ts';
import type { FlowStore } from '../store/flow-store.ts';
import { deltaBytes, NewestRows, PendingRow, Sampler, SubscribeBudget } from './client-pace.ts';
import { HistoryFolder, type FoldHandle } from './history-fold.ts';
import { ViewIndex } from './view-index.ts';
import { requestUrl } from './http-server.ts';

export interface StreamHubOptions {
  store: FlowStore;
  /** Folds history into new views' maps; one per store, shared with the HTTP API's maps. */
  folder?: HistoryFolder;
  version: string;
  mode: () => string;
  status: () => unknown;
  /** Explains a stored flow on demand; undefined when there is no engine. */
  explain?: (flow: EnrichedFlow, lang: 'en' | 'ko') => unknown;
  /** Decides whether an upgrade request may connect (token, Origin). */
  authorize?: (
    req: http.IncomingMessage,
  ) => { ok: true } | { ok: false; status: number; reason: string };
  tickMs?: number;
  statusEveryMs?: number;
  heartbeatMs?: number;
  /** Rows per delta message (per tick and view); more are sampled. */
  maxRowsPerDelta?: number;
  /** Socket buffer above which a client is "slow" and gets nothing this tick. */
  highWaterBytes?: number;
  /** A client slow for this long is disconnected. */
  stalledMs?: number;
  /**
   * Hard cap on what one client may have queued on its socket. Deltas stop at highWaterBytes,
   * but answers to requests (a snapshot of thousands of rows) do not wait: a client that keeps
   * asking without reading would otherwise grow server memory until the stall timer fires.
   */
  maxBufferedBytes?: number;
  /** History rows in a snapshot when the client does not say. */
  snapshotRows?: number;
  /** How far back the map of a live snapshot reaches. */
  snapshotMapMs?: number;
  now?: () => number;
}

export interface StreamStats {
  clients: number;
  /** Distinct live views (filter + grouping) the clients share. */
  views: number;
  connectionsTotal: number;
  messagesSent: number;
  /** Flow rows not sent to some client because it was too slow (sampled away). */
  rowsSkipped: number;
  /** Clients disconnected for being stalled, not answering pings, or over maxBufferedBytes. */
  clientsDropped: number;
  /** Of clientsDropped: those whose queued bytes would have passed maxBufferedBytes. */
  droppedOverBuffer: number;
  /** Malformed client messages answered with an error. */
  badMessages: number;
  /** Subscribe requests replaced by a newer one from the same client before they were answered. */
  subscribesCoalesced: number;
  /** Clients whose snapshot waits for their new view's map to be folded from history. */
  subscribesWaiting: number;
  /** Client messages over the size limit (the connection is closed with 1009). */
  oversizedMessages: number;
  /** Upgrade requests refused (token, Origin, path). */
  refused: number;
  /** Bytes queued on all client sockets now, and on the fullest one. */
  bufferedBytes: number;
  bufferedBytesMax: number;
}

/** One view's tick, as each of its clients is served from it. */
interface TickRows {
  /** The rows kept this tick, oldest first, encoded. */
  rows: Buffer[];
  /** Matching rows beyond the cap this tick, not sent to anyone. */
  overflow: number;
  mapJson: string;
  mapChanged: boolean;
  viewSample: number;
}

/**
 * What a set of clients with the same live filter and grouping share: one map and one list of
 * this tick's matching rows, each row serialised once. A classroom of 60 browsers on the same
 * view then costs about as much as one.
 */
interface View {
  key: string;
  filter: string;
  grouping: Grouping;
  match: (f: EnrichedFlow) => boolean;
  map: ServiceMap;
  /** This tick's newest matching rows, at most maxRowsPerDelta, and how many more matched. */
  rows: NewestRows<PendingRow<EnrichedFlow>>;
  clients: Set<Client>;
  /** While the view's history is still being folded into its map (HistoryFolder). */
  fold?: FoldHandle | undefined;
  /** Its clients still waiting for their snapshot, and how to send each one's. */
  waiting: Map<Client, () => void>;
}

interface Client {
  ws: WebSocket;
  view: View | undefined;
  sampler: Sampler;
  /** Rows this client has not been sent since its last delta. */
  skipped: number;
  slowSince: number | undefined;
  /** The client missed map deltas while slow: its next delta carries the whole map. */
  mapStale: boolean;
  alive: boolean;
  /** Subscribe budget and the newest request waiting for it. */
  budget: SubscribeBudget;
  pending: SubscribeMessage | undefined;
  pendingTimer: NodeJS.Timeout | undefined;
  /** A subscribe to a past window whose map is still being folded from history. */
  waiting: FoldHandle | undefined;
}

/** What a subscribe's snapshot rows are chosen by, kept until its map is ready. */
interface SnapshotQuery {
  filter: string;
  grouping: Grouping;
  match: (f: EnrichedFlow) => boolean;
  required: readonly string[] | undefined;
  sinceNs?: bigint;
  untilNs: bigint | undefined;
}

/** Subscribes at once before the budget applies, and one per this many ms after that. */
const SUBSCRIBE_BURST = 5;
const SUBSCRIBE_EVERY_MS = 200;

const EMPTY_MAP_DELTA = JSON.stringify({
  nodes: { added: [], changed: [], removed: [] },
  edges: { added: [], changed: [], removed: [] },
});

export class StreamHub {
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  private readonly views = new ViewIndex<View>();
  private readonly folder: HistoryFolder;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;
  private readonly o: Required<
    Pick<
      StreamHubOptions,
      | 'tickMs'
      | 'statusEveryMs'
      | 'heartbeatMs'
      | 'maxRowsPerDelta'
      | 'highWaterBytes'
      | 'stalledMs'
      | 'maxBufferedBytes'
      | 'snapshotRows'
      | 'snapshotMapMs'
    >
  >;
  private readonly counters: Omit<
    StreamStats,
    'bufferedBytes' | 'bufferedBytesMax' | 'subscribesWaiting'
  > = {
    clients: 0,
    views: 0,
    connectionsTotal: 0,
    messagesSent: 0,
    rowsSkipped: 0,
    clientsDropped: 0,
    droppedOverBuffer: 0,
    badMessages: 0,
    subscribesCoalesced: 0,
    oversizedMessages: 0,
    refused: 0,
  };

  /** Counters, and the socket buffers as they are now. */
  get stats(): StreamStats {
    let bufferedBytes = 0;
    let bufferedBytesMax = 0;
    let subscribesWaiting = 0;
    for (const c of this.clients) {
      const b = c.ws.bufferedAmount;
      bufferedBytes += b;
      if (b > bufferedBytesMax) bufferedBytesMax = b;
      if (c.waiting || c.view?.fold) subscribesWaiting += 1;
    }
    return { ...this.counters, subscribesWaiting, bufferedBytes, bufferedBytesMax };
  }

  constructor(private readonly opts: StreamHubOptions) {
    this.now = opts.now ?? Date.now;
    this.o = {
      tickMs: opts.tickMs ?? 100,
      statusEveryMs: opts.statusEveryMs ?? 2000,
      heartbeatMs: opts.heartbeatMs ?? 15_000,
      maxRowsPerDelta: opts.maxRowsPerDelta ?? 500,
      highWaterBytes: opts.highWaterBytes ?? 1024 * 1024,
      stalledMs: opts.stalledMs ?? 30_000,
      maxBufferedBytes: opts.maxBufferedBytes ?? 32 * 1024 * 1024,
      snapshotRows: opts.snapshotRows ?? 500,
      snapshotMapMs: opts.snapshotMapMs ?? 5 * 60_000,
    };
    this.folder = opts.folder ?? new HistoryFolder(opts.store);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
    this.wss.on('connection', (ws) => this.onConnection(ws));
  }

  /** Takes over `upgrade` requests for `path` on the HTTP server. */
  attach(server: http.Server, path = '/ws'): void {
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = requestUrl(req);
      const verdict =
        url?.pathname !== path
          ? { ok: false as const, status: 404, reason: 'no such endpoint' }
          : (this.opts.authorize?.(req) ?? { ok: true as const });
      if (!verdict.ok) {
        this.counters.refused += 1;
        const text =
          verdict.status === 403
            ? 'Forbidden'
            : verdict.status === 401
              ? 'Unauthorized'
              : 'Not Found';
        socket.end(
          `HTTP/1.1 ${verdict.status} ${text}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${verdict.reason}\n`,
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
    for (const c of this.clients) {
      this.stopWaiting(c);
      c.ws.terminate();
    }
    this.clients.clear();
    for (const v of this.views.values()) v.fold?.cancel();
    this.views.clear();
    this.wss.close();
  }

  /** Every enriched flow goes through here once, right after it is stored. */
  publish(seq: number, flow: EnrichedFlow): void {
    if (this.views.size === 0) return;
    const nowMs = this.now();
    // Shared by every view this flow reaches: its row bytes, encoded once, and its map keys,
    // computed once per grouping (views differ by filter far more often than by grouping).
    let row: PendingRow<EnrichedFlow> | undefined;
    let keysBy: Partial<Record<Grouping, EdgeKeys>> | undefined;
    this.views.forCandidates(flow.source.namespace, flow.destination.namespace, (v) => {
      if (!v.match(flow)) return;
      keysBy ??= {};
      v.map.add(flow, nowMs, (keysBy[v.grouping] ??= v.map.keysOf(flow)));
      // A view still folding its history sends no rows: its snapshot will hold this flow.
      if (v.fold) return;
      v.rows.push((row ??= new PendingRow(seq, flow)));
    });
  }

  private onConnection(ws: WebSocket): void {
    const c: Client = {
      ws,
      view: undefined,
      sampler: new Sampler(),
      skipped: 0,
      slowSince: undefined,
      mapStale: false,
      alive: true,
      budget: new SubscribeBudget(SUBSCRIBE_BURST, SUBSCRIBE_EVERY_MS, this.now()),
      pending: undefined,
      pendingTimer: undefined,
      waiting: undefined,
    };
    this.clients.add(c);
    this.counters.clients = this.clients.size;
    this.counters.connectionsTotal += 1;
    ws.on('pong', () => (c.alive = true));
    ws.on('message', (data, isBinary) => this.onMessage(c, data.toString(), isBinary));
    ws.on('close', () => this.forget(c));
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.counters.oversizedMessages += 1;
      ws.terminate();
    });
    this.send(c, {
      type: 'hello',
      v: PROTOCOL_VERSION,
      version: this.opts.version,
      mode: this.opts.mode(),
    });
  }

  private forget(c: Client): void {
    clearTimeout(c.pendingTimer);
    c.pending = undefined;
    this.stopWaiting(c);
    this.leaveView(c);
    this.clients.delete(c);
    this.counters.clients = this.clients.size;
  }

  private leaveView(c: Client): void {
    const v = c.view;
    if (!v) return;
    v.clients.delete(c);
    v.waiting.delete(c);
    if (v.clients.size === 0) {
      v.fold?.cancel();
      this.views.delete(v);
    }
    this.counters.views = this.views.size;
    c.view = undefined;
  }

  private onMessage(c: Client, text: string, isBinary: boolean): void {
    // Frames already read when the client was dropped still arrive; they get no answer.
    if (!this.clients.has(c)) return;
    let msg: ClientMessage;
    try {
      if (isBinary) throw new ProtocolError('binary messages are not part of the protocol');
      msg = parseClientMessage(text);
    } catch (err) {
      this.counters.badMessages += 1;
      this.send(c, { type: 'error', message: (err as Error).message });
      return;
    }
    this.guarded(c, () => {
      if (msg.type === 'subscribe') this.requestSubscribe(c, msg);
      else if (msg.type === 'ping') {
        this.send(c, msg.t === undefined ? { type: 'pong' } : { type: 'pong', t: msg.t });
      } else this.explain(c, msg.flowId, msg.lang ?? 'en');
    });
  }

  /** Runs a request; a client's mistake is answered and counted, anything else stays inside. */
  private guarded(c: Client, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      const known = err instanceof FilterSyntaxError || err instanceof ProtocolError;
      if (known) this.counters.badMessages += 1;
      this.send(c, { type: 'error', message: known ? (err as Error).message : 'internal error' });
    }
  }

  private requestSubscribe(c: Client, m: SubscribeMessage): void {
    // Only the newest waiting request is kept: it is the view the client wants now.
    if (!c.pending && c.budget.take(this.now())) {
      this.subscribe(c, m);
      return;
    }
    if (c.pending) this.counters.subscribesCoalesced += 1;
    c.pending = m;
    c.pendingTimer ??= setTimeout(() => {
      c.pendingTimer = undefined;
      const next = c.pending;
      c.pending = undefined;
      if (next && this.clients.has(c)) this.guarded(c, () => this.requestSubscribe(c, next));
    }, c.budget.waitMs());
  }

  private subscribe(c: Client, m: SubscribeMessage): void {
    const filter = m.filter ?? '';
    const terms = parseFilter(filter);
    const match = compileFilter(terms);
    const required = requiredNamespaces(terms);
    const grouping: Grouping = m.grouping ?? 'workload';
    const nowMs = this.now();
    const untilNs = m.until ? this.when(m.until, 'until') : undefined;
    const sinceNs = m.since
      ? this.when(m.since, 'since')
      : BigInt(nowMs - this.o.snapshotMapMs) * 1_000_000n;
    const q: SnapshotQuery = { filter, grouping, match, required, untilNs };
    if (m.since) q.sinceNs = sinceNs;
    // A subscribe still waiting for its map is replaced, as one waiting for the budget is.
    if (c.waiting || c.view?.fold) this.counters.subscribesCoalesced += 1;
    this.stopWaiting(c);
    this.leaveView(c);
    const newMap = () => new ServiceMap({ grouping, namespaces: filterNamespaces(terms) });
    const fold = (map: ServiceMap, done: () => void, atMs?: number) =>
      this.folder.fold({ map, match, namespaces: required, sinceNs, untilNs, atMs, done });
    if (untilNs !== undefined) {
      // A past window: a map of its own, each flow counted at its own time.
      const map = newMap();
      c.waiting = fold(map, () => {
        c.waiting = undefined;
        this.guarded(c, () => this.sendSnapshot(c, m, q, map));
      });
      return;
    }
    const key = `${grouping}|${filter}`;
    let view = this.views.get(key);
    if (!view) {
      // Nobody has this view yet. It takes live flows from now on, and its history is folded
      // into its map over the next turns; its clients get their snapshot when that is done.
      const v: View = {
        key,
        filter,
        grouping,
        match,
        map: newMap(),
        rows: new NewestRows(this.o.maxRowsPerDelta),
        clients: new Set(),
        waiting: new Map(),
      };
      v.fold = fold(v.map, () => this.viewReady(v), nowMs);
      this.views.add(v, required);
      this.counters.views = this.views.size;
      view = v;
    }
    view.clients.add(c);
    c.view = view;
    if (view.fold) view.waiting.set(c, () => this.sendSnapshot(c, m, q, view.map));
    else this.sendSnapshot(c, m, q, view.map);
  }

  /** A new view's history is in its map: its clients get their snapshots, deltas follow. */
  private viewReady(v: View): void {
    v.fold = undefined;
    // The snapshots carry the map as it is now, and the newest rows: deltas start from here.
    v.map.flush(this.now());
    v.rows.clear();
    const waiting = [...v.waiting];
    v.waiting.clear();
    for (const [c, send] of waiting) this.guarded(c, send);
  }

  private stopWaiting(c: Client): void {
    c.waiting?.cancel();
    c.waiting = undefined;
  }

  /** The rows and map a subscribe answers with, taken once its map is ready. */
  private sendSnapshot(c: Client, m: SubscribeMessage, q: SnapshotQuery, map: ServiceMap): void {
    const store = this.opts.store;
    const live = q.untilNs === undefined;
    const scope = q.required ? { namespaces: q.required } : {};
    let resumed = false;
    let rows: StreamFlow[];
    if (
      m.resumeAfter !== undefined &&
      live &&
      store.oldestSeq > 0 &&
      m.resumeAfter >= store.oldestSeq - 1
    ) {
      resumed = true;
      rows = store
        .query({
          afterSeq: m.resumeAfter,
          predicate: q.match,
          limit: this.o.snapshotRows * 4,
          ...scope,
        })
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
          predicate: q.match,
          limit,
          ...scope,
          ...(q.sinceNs !== undefined ? { sinceNs: q.sinceNs } : {}),
          ...(q.untilNs !== undefined ? { untilNs: q.untilNs } : {}),
        })
        .map((e) => ({ seq: e.seq, flow: e.flow }));
    }
    c.skipped = 0;
    c.sampler.reset();
    c.mapStale = false;
    this.send(c, {
      type: 'snapshot',
      live,
      filter: q.filter,
      grouping: q.grouping,
      flows: rows,
      map: map.snapshot(),
      resumed,
    });
  }

  private when(v: string, name: string): bigint {
    const t = /^\d+$/.test(v) ? BigInt(v) : parseTimeNs(v);
    if (t === undefined) {
      throw new ProtocolError(`${name}: expected RFC3339 or nanoseconds, got ${v}`);
    }
    return t;
  }

  private explain(c: Client, flowId: string, lang: 'en' | 'ko'): void {
    const entry = this.opts.store.byId(flowId);
    if (!entry) {
      this.send(c, { type: 'error', message: `flow ${flowId} is no longer in history` });
      return;
    }
    if (!this.opts.explain) {
      this.send(c, { type: 'error', message: 'no policy engine: flowlens has no cluster model' });
      return;
    }
    const explanation = this.opts.explain(entry.flow, lang);
    if (explanation === undefined) {
      this.send(c, { type: 'error', message: `flow ${flowId} has no port and protocol to judge` });
      return;
    }
    this.send(c, { type: 'explanation', flowId, explanation });
  }

  private tick(): void {
    const nowMs = this.now();
    for (const v of this.views.values()) {
      if (v.fold) continue; // its clients have no snapshot yet
      const delta = v.map.flush(nowMs);
      const changed = mapDeltaSize(delta) > 0;
      const mapJson = changed ? JSON.stringify(delta) : EMPTY_MAP_DELTA;
      // Rows beyond the per-tick cap are sampled away for everyone on this view; the newest
      // are kept. Each is encoded here, once for every view that sends it.
      const { rows: pending, overflow } = v.rows.take();
      const rows = pending.map((r) => r.bytes);
      const viewSample = overflow > 0 ? Math.ceil((rows.length + overflow) / rows.length) : 1;
      // Clients of one view that are keeping up get the same bytes: built and encoded once, not
      // once per client (a class of 60 on one view would otherwise copy every row 60 times).
      let common: Buffer | undefined;
      const shared = () =>
        (common ??= deltaBytes({ rows, mapJson, skipped: overflow, sampleEvery: viewSample }));
      const tick = { rows, overflow, mapJson, mapChanged: changed, viewSample };
      for (const c of v.clients) this.deliver(c, v, tick, nowMs, shared);
      this.counters.rowsSkipped += overflow * v.clients.size;
    }
  }

  private deliver(
    c: Client,
    v: View,
    { rows: tickRows, overflow, mapJson, mapChanged, viewSample }: TickRows,
    nowMs: number,
    shared: () => Buffer,
  ): void {
    const behind = c.skipped > 0 || c.mapStale;
    c.skipped += overflow;
    if (c.ws.bufferedAmount > this.o.highWaterBytes) {
      // Too slow for this tick: its rows are skipped, its map catches up later in one piece.
      c.slowSince ??= nowMs;
      if (nowMs - c.slowSince > this.o.stalledMs) {
        this.drop(c);
        return;
      }
      c.skipped += tickRows.length;
      this.counters.rowsSkipped += tickRows.length;
      if (mapChanged) c.mapStale = true;
      this.raiseSampling(c, nowMs);
      return;
    }
    c.slowSince = undefined;
    if (c.sampler.every === 1 && !behind) {
      if (tickRows.length > 0 || mapChanged || c.skipped > 0) this.sendRaw(c, shared());
      c.skipped = 0;
      return;
    }
    let rows = tickRows;
    if (c.sampler.every > 1) {
      rows = c.sampler.pick(tickRows);
      c.skipped += tickRows.length - rows.length;
      this.counters.rowsSkipped += tickRows.length - rows.length;
    }
    if (rows.length === 0 && !mapChanged && !c.mapStale && c.skipped === 0) {
      this.relaxSampling(c);
      return;
    }
    const msg = deltaBytes({
      rows,
      mapJson: c.mapStale ? EMPTY_MAP_DELTA : mapJson,
      ...(c.mapStale ? { mapSnapshotJson: JSON.stringify(v.map.snapshot()) } : {}),
      skipped: c.skipped,
      sampleEvery: Math.max(c.sampler.every, viewSample),
    });
    c.skipped = 0;
    c.mapStale = false;
    this.sendRaw(c, msg);
    this.relaxSampling(c);
  }

  /** Doubles a slow client's sampling at most once a second, and tells it. */
  private raiseSampling(c: Client, nowMs: number): void {
    if (!c.sampler.raise(nowMs)) return;
    this.send(c, {
      type: 'notice',
      level: 'warn',
      code: 'sampling',
      message: `this connection is too slow for every flow: showing 1 in ${c.sampler.every} flows`,
      sampleEvery: c.sampler.every,
    });
  }

  /** Halves the sampling after a calm second, until every row flows again. */
  private relaxSampling(c: Client): void {
    const calm = c.ws.bufferedAmount < this.o.highWaterBytes / 4;
    if (!c.sampler.relax(calm, this.o.tickMs)) return;
    this.send(c, {
      type: 'notice',
      level: 'info',
      code: 'sampling-ended',
      message: 'showing every flow again',
    });
  }

  private broadcastStatus(): void {
    if (this.clients.size === 0) return;
    const msg = JSON.stringify({ type: 'status', status: this.opts.status() });
    for (const c of this.clients) {
      if (c.ws.bufferedAmount <= this.o.highWaterBytes) this.sendRaw(c, msg);
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
    this.counters.clientsDropped += 1;
    this.forget(c);
    c.ws.terminate();
  }

  private send(c: Client, m: ServerMessage): void {
    this.sendRaw(c, JSON.stringify(m));
  }

  private sendRaw(c: Client, text: string | Buffer): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    // Checked before queueing, not after: one big snapshot still reaches a client that reads,
    // and what is queued for anyone stays under maxBufferedBytes plus one message.
    if (c.ws.bufferedAmount > this.o.maxBufferedBytes) {
      // Cheaper for everyone than queueing: the client reconnects and resumes from its last row.
      this.counters.droppedOverBuffer += 1;
      this.drop(c);
      return;
    }
    // A Buffer goes out as a text frame too: it is UTF-8 JSON.
    c.ws.send(text, { binary: false });
    this.counters.messagesSent += 1;
  }
}
