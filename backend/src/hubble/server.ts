// A Hubble-compatible Observer server over real gRPC. It serves whatever is pushed into its
// FlowHistory (a replayed recording, the demo generator), so the demo, replays and tests all go
// through the same client code as a real Hubble Relay — and `hubble observe --server` works too.
import * as grpc from '@grpc/grpc-js';
import { observerService } from './proto.ts';
import { FlowHistory } from './flow-history.ts';
import type { SequencedRecord } from './flow-history.ts';
import { compileFilters, FilterError } from './flow-filter.ts';
import type { FlowFilter } from './flow-filter.ts';
import { compileFieldMask, FieldMaskError } from './field-mask.ts';
import { responseToWire } from './wire.ts';
import { timestampToNs, nowNs, nsToTimestamp } from './time.ts';
import type { WireTimestamp } from './time.ts';
import type { HubbleFlow } from './types.ts';

export interface GetFlowsRequestWire {
  number?: string;
  first?: boolean;
  follow?: boolean;
  whitelist?: FlowFilter[];
  blacklist?: FlowFilter[];
  since?: WireTimestamp;
  until?: WireTimestamp;
  field_mask?: { paths?: string[] };
  experimental?: { field_mask?: { paths?: string[] } };
}

export interface HubbleServerTLS {
  cert: Buffer;
  key: Buffer;
  /** When set, clients must present a certificate signed by this CA (mTLS). */
  clientCA?: Buffer;
}

export interface HubbleServerOptions {
  history: FlowHistory;
  /** Names reported by GetNodes; defaults to the node names seen in the history. */
  nodes?: () => string[];
  version?: string;
  tls?: HubbleServerTLS;
  /** Live flows a slow follower may have queued before further ones are dropped and reported. */
  followerQueueLimit?: number;
}

const DEFAULT_FOLLOWER_QUEUE = 10_000;

type Call = grpc.ServerWritableStream<GetFlowsRequestWire, Record<string, unknown> | Buffer>;

function writeWithBackpressure(
  call: Call,
  msg: Record<string, unknown> | Buffer,
): Promise<void> | void {
  if (call.write(msg)) return;
  return new Promise((resolve) => call.once('drain', resolve));
}

export class HubbleServer {
  private readonly server = new grpc.Server();
  private readonly started = nowNs();
  private readonly opts: HubbleServerOptions;
  private port = 0;
  /** Encoded frames by record (weak: they go when the history ring drops the record). */
  private readonly frames = new WeakMap<SequencedRecord, { key: string; buf: Buffer }>();
  private readonly serialize = observerService().service['GetFlows']!.responseSerialize;

  constructor(opts: HubbleServerOptions) {
    this.opts = opts;
    const impl: grpc.UntypedServiceImplementation = {
      GetFlows: (call: Call) => {
        this.getFlows(call).catch((err: unknown) => {
          call.destroy(err instanceof Error ? err : new Error(String(err)));
        });
      },
      ServerStatus: (
        _call: grpc.ServerUnaryCall<unknown, unknown>,
        cb: grpc.sendUnaryData<unknown>,
      ) => cb(null, this.serverStatus()),
      GetNodes: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) =>
        cb(null, { nodes: this.nodeList() }),
      GetNamespaces: (
        _call: grpc.ServerUnaryCall<unknown, unknown>,
        cb: grpc.sendUnaryData<unknown>,
      ) => cb(null, { namespaces: this.namespaces() }),
    };
    // Methods left out (agent and debug events) answer UNIMPLEMENTED: grpc-js's default.
    // GetFlows may be handed bytes already encoded (see encoded()): they go out as they are.
    const service = observerService().service;
    const getFlows = service['GetFlows']!;
    this.server.addService(
      {
        ...service,
        GetFlows: {
          ...getFlows,
          responseSerialize: (v: unknown) =>
            Buffer.isBuffer(v) ? v : getFlows.responseSerialize(v),
        },
      },
      impl,
    );
  }

  /** Binds and starts; resolves to the bound port (pass 0 for an ephemeral one). */
  async listen(host: string, port: number): Promise<number> {
    const tls = this.opts.tls;
    const creds = tls
      ? grpc.ServerCredentials.createSsl(
          tls.clientCA ?? null,
          [{ private_key: tls.key, cert_chain: tls.cert }],
          tls.clientCA !== undefined,
        )
      : grpc.ServerCredentials.createInsecure();
    const addr = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(addr, creds, (err, bound) => (err ? reject(err) : resolve(bound)));
    });
    return this.port;
  }

  get boundPort(): number {
    return this.port;
  }

  /** Stops accepting calls, ends open streams and resolves once the server is down. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.forceShutdown();
      resolve();
    });
  }

  private async getFlows(call: Call): Promise<void> {
    const req = call.request;
    // Headers now, not with the first flow: a follower of a quiet source knows it is connected.
    call.sendMetadata(new grpc.Metadata());
    let matches: (f: HubbleFlow) => boolean;
    let mask: (f: HubbleFlow) => HubbleFlow;
    try {
      matches = compileFilters(req.whitelist, req.blacklist);
      mask = compileFieldMask<HubbleFlow>(
        req.field_mask?.paths?.length ? req.field_mask.paths : req.experimental?.field_mask?.paths,
      );
    } catch (err) {
      if (err instanceof FilterError || err instanceof FieldMaskError) {
        call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: err.message });
        return;
      }
      throw err;
    }
    const since = req.since ? timestampToNs(req.since) : undefined;
    const until = req.until ? timestampToNs(req.until) : undefined;
    const number = Number(req.number ?? 0);
    const inWindow = (r: SequencedRecord) =>
      (since === undefined || r.timeNs >= since) && (until === undefined || r.timeNs <= until);
    const selected = (r: SequencedRecord) => inWindow(r) && matches(r.flow);
    const maskKey = JSON.stringify(
      (req.field_mask?.paths?.length
        ? req.field_mask.paths
        : req.experimental?.field_mask?.paths) ?? [],
    );
    const toWire = (r: SequencedRecord) => this.encoded(r, maskKey, mask);

    // Follow first, then read history: a flow pushed in between is in one of the two, and the
    // sequence number decides which, so none is sent twice or missed.
    const live: SequencedRecord[] = [];
    let lost = 0;
    let wake: (() => void) | undefined;
    const limit = this.opts.followerQueueLimit ?? DEFAULT_FOLLOWER_QUEUE;
    const unfollow = req.follow
      ? this.opts.history.follow((r) => {
          if (live.length >= limit) lost += 1;
          else live.push(r);
          wake?.();
        })
      : undefined;
    let open = true;
    const end = () => {
      open = false;
      unfollow?.();
      wake?.();
    };
    call.on('cancelled', end);
    call.on('close', end);

    try {
      const { records, lastSeq } = this.opts.history.snapshot();
      let history = records.filter(selected);
      if (number > 0) history = req.first ? history.slice(0, number) : history.slice(-number);
      else if (since === undefined && until === undefined && req.follow) history = [];
      for (const r of history) {
        if (!open) return;
        // Awaiting only when the write asks to wait: an await per frame costs a trip through
        // the microtask queue per flow, a good part of serving history as fast as it is read.
        const wait = writeWithBackpressure(call, toWire(r));
        if (wait) await wait;
      }
      if (!req.follow) return;
      while (open) {
        if (lost > 0) {
          const n = lost;
          lost = 0;
          await writeWithBackpressure(call, {
            lost_events: {
              source: 'OBSERVER_EVENTS_QUEUE',
              num_events_lost: String(n),
            },
            time: nsToTimestamp(nowNs()),
          });
        }
        const r = live.shift();
        if (!r) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if (r.seq <= lastSeq) continue;
        if (until !== undefined && r.timeNs > until) return;
        if (!selected(r)) continue;
        const wait = writeWithBackpressure(call, toWire(r));
        if (wait) await wait;
      }
    } finally {
      unfollow?.();
      if (open) call.end();
    }
  }

  /**
   * The response frame for a record, encoded once per field mask and kept with the record:
   * every follower of a busy source wants the same bytes, and encoding is most of the cost.
   */
  private encoded(
    r: SequencedRecord,
    maskKey: string,
    mask: (f: HubbleFlow) => HubbleFlow,
  ): Buffer {
    const hit = this.frames.get(r);
    if (hit && hit.key === maskKey) return hit.buf;
    const wire = responseToWire({ flow: mask(r.flow), node_name: r.nodeName, time: r.flow.time });
    const buf = this.serialize(wire);
    this.frames.set(r, { key: maskKey, buf });
    return buf;
  }

  private nodeNames(): string[] {
    if (this.opts.nodes) return this.opts.nodes();
    const names = new Set<string>();
    for (const r of this.opts.history.snapshot().records) if (r.nodeName) names.add(r.nodeName);
    return [...names].sort();
  }

  private nodeList() {
    return this.nodeNames().map((name) => ({
      name,
      version: this.opts.version ?? '',
      state: 'NODE_CONNECTED',
      uptime_ns: String(nowNs() - this.started),
      tls: { enabled: this.opts.tls !== undefined },
    }));
  }

  private namespaces() {
    const seen = new Set<string>();
    for (const r of this.opts.history.snapshot().records) {
      for (const ep of [r.flow.source, r.flow.destination]) {
        if (ep?.namespace) seen.add(ep.namespace);
      }
    }
    return [...seen].sort().map((namespace) => ({ namespace }));
  }

  private serverStatus() {
    const nodes = this.nodeNames().length;
    return {
      num_flows: String(this.opts.history.size),
      max_flows: String(this.opts.history.capacity),
      seen_flows: String(this.opts.history.seen),
      uptime_ns: String(nowNs() - this.started),
      num_connected_nodes: { value: nodes },
      num_unavailable_nodes: { value: 0 },
      version: this.opts.version ?? '',
    };
  }
}
