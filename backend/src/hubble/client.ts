// The Hubble Relay client: one GetFlows stream with `follow`, reconnected with capped jittered
// backoff and resumed from the newest flow seen, so a Relay restart neither loses nor repeats
// flows. Connection state is data, for /api/status and the UI.
import * as grpc from '@grpc/grpc-js';
import { observerService, tolerantObserverClient } from './proto.ts';
import type { UndecodableFrame } from './proto.ts';
import { decodeFrame, recordOf } from './flow-decoder.ts';
import type { DecodedFrame } from './flow-decoder.ts';
import { FrameTransport } from './frame-transport.ts';
import { H2Transport, h2Addressable } from './h2-transport.ts';
import type { FlowStream } from './frame-transport.ts';
import { flowKey, ResumeWindow } from './resume-window.ts';
import { nsToTimestamp } from './time.ts';
import type { FlowFilter } from './flow-filter.ts';
import type { FlowRecord, LostEvent, NodeStatusEvent } from './types.ts';
import { Backoff } from '../shared/backoff.ts';

export type ConnectionState =
  | { state: 'connecting'; attempt: number }
  | { state: 'live'; since: number }
  | { state: 'retrying'; attempt: number; retryAt: number; lastError: string }
  | { state: 'failed'; reason: string }
  | { state: 'stopped' };

export interface HubbleTLSOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** The name to verify the server certificate against, e.g. `*.hubble-relay.cilium.io`. */
  serverName?: string;
}

export type HubbleTransport = 'h2' | 'inline' | 'worker';

/** A source of GetFlows streams other than grpc-js on this thread. */
interface FrameSource {
  open(request: object): FlowStream;
  close(): void;
}

export interface HubbleClientOptions {
  address: string;
  tls?: HubbleTLSOptions;
  whitelist?: FlowFilter[];
  blacklist?: FlowFilter[];
  /** Top-level or dotted proto field paths to ask Relay for; empty asks for whole flows. */
  fieldMask?: string[];
  /** Flows of history to ask for on the first connect. */
  initialHistory?: number;
  backoff?: { initialMs: number; maxMs: number; random?: () => number };
  /** How far behind the newest flow a resume starts, to catch Relay's reordering. */
  resumeSlackMs?: number;
  /** How often to ask Relay for ServerStatus and GetNodes while live; 0 turns it off. */
  statusIntervalMs?: number;
  /**
   * How the flow stream is read. `h2` (the default for a `host:port` address) speaks gRPC's
   * framing over node:http2 itself (h2-transport.ts), a tenth of grpc-js' cost per message;
   * `inline` reads it through grpc-js; `worker` runs grpc-js in a worker thread and decodes
   * here. The unary calls always use grpc-js.
   */
  transport?: HubbleTransport;
  onFlow: (rec: FlowRecord) => void;
  onState?: (state: ConnectionState) => void;
}

export interface RelayNode {
  name: string;
  state: string;
  version?: string;
  address?: string;
}

export interface HubbleClientStats {
  flowsReceived: number;
  duplicatesDropped: number;
  malformed: number;
  /** Frames that decoded but carried no flow, loss or node status (e.g. a newer event type). */
  empty: number;
  lostEvents: Record<string, number>;
  reconnects: number;
  lastMalformed?: string;
}

/** The fields of a flow flowlens reads; everything else stays on Relay's side of the wire. */
export const DEFAULT_FIELD_MASK = [
  'time',
  'uuid',
  'verdict',
  'drop_reason_desc',
  'IP',
  'l4',
  'source',
  'destination',
  'Type',
  'node_name',
  'node_labels',
  'source_names',
  'destination_names',
  'l7',
  'is_reply',
  'event_type',
  'source_service',
  'destination_service',
  'traffic_direction',
  'policy_match_type',
  'trace_observation_point',
  'trace_reason',
  'interface',
  'egress_allowed_by',
  'ingress_allowed_by',
  'egress_denied_by',
  'ingress_denied_by',
  'Summary',
];

/** Go gRPC servers answer pings closer than five minutes apart with GOAWAY. */
const KEEPALIVE_MS = 300_000;
/** The largest flow message accepted, on every transport. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

type Unary = (req: object, cb: (err: grpc.ServiceError | null, res?: unknown) => void) => void;

export class HubbleClient {
  private readonly opts: HubbleClientOptions;
  private readonly backoff: Backoff;
  private readonly window: ResumeWindow;
  private client: grpc.Client | undefined;
  private stream: FlowStream | undefined;
  private frames: FrameSource | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private current: ConnectionState = { state: 'stopped' };
  private connectedOnce = false;
  readonly stats: HubbleClientStats = {
    flowsReceived: 0,
    duplicatesDropped: 0,
    malformed: 0,
    empty: 0,
    lostEvents: {},
    reconnects: 0,
  };
  /** Latest ServerStatus answer, and the nodes from GetNodes and node_status events. */
  serverStatus: Record<string, unknown> | undefined;
  readonly nodes = new Map<string, RelayNode>();

  constructor(opts: HubbleClientOptions) {
    if (!opts.address) throw new TypeError('HubbleClient: address is required');
    this.opts = opts;
    this.backoff = new Backoff(opts.backoff ?? { initialMs: 500, maxMs: 30_000 });
    this.window = new ResumeWindow(BigInt(opts.resumeSlackMs ?? 2000) * 1_000_000n, 100_000);
  }

  get state(): ConnectionState {
    return this.current;
  }

  start(): void {
    if (this.current.state !== 'stopped' && this.current.state !== 'failed') return;
    try {
      this.client = this.makeClient();
    } catch (err) {
      this.setState({ state: 'failed', reason: (err as Error).message });
      return;
    }
    this.connect();
  }

  stop(): void {
    clearTimeout(this.retryTimer);
    clearInterval(this.statusTimer);
    const s = this.stream;
    this.stream = undefined;
    s?.cancel();
    this.client?.close();
    this.client = undefined;
    this.frames?.close();
    this.frames = undefined;
    this.setState({ state: 'stopped' });
  }

  private makeClient(): grpc.Client {
    const Observer = tolerantObserverClient(decodeFrame);
    const tls = this.opts.tls;
    const options: grpc.ChannelOptions = {
      'grpc.keepalive_time_ms': KEEPALIVE_MS,
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    };
    let creds = grpc.credentials.createInsecure();
    if (tls) {
      creds = grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
      if (tls.serverName) {
        options['grpc.ssl_target_name_override'] = tls.serverName;
        options['grpc.default_authority'] = tls.serverName;
      }
    }
    const transport = this.opts.transport ?? (h2Addressable(this.opts.address) ? 'h2' : 'inline');
    if (transport === 'h2') {
      this.frames = new H2Transport({
        address: this.opts.address,
        ...(tls ? { tls } : {}),
        // The h2 transport writes the request itself, serialised from our protos.
        serializeRequest: (req) =>
          observerService().service['GetFlows']!.requestSerialize(req) as Buffer,
        maxMessageBytes: MAX_MESSAGE_BYTES,
        keepaliveMs: KEEPALIVE_MS,
      });
    } else if (transport === 'worker') {
      this.frames = new FrameTransport({
        address: this.opts.address,
        ...(tls ? { tls: { ca: tls.ca, cert: tls.cert, key: tls.key } } : {}),
        options,
      });
    }
    return new Observer(this.opts.address, creds, options);
  }

  private setState(s: ConnectionState): void {
    this.current = s;
    this.opts.onState?.(s);
  }

  private request(): Record<string, unknown> {
    const req: Record<string, unknown> = { follow: true };
    const since = this.window.resume();
    if (since !== undefined) req['since'] = nsToTimestamp(since);
    else if (!this.connectedOnce) req['number'] = String(this.opts.initialHistory ?? 1000);
    if (this.opts.whitelist?.length) req['whitelist'] = this.opts.whitelist;
    if (this.opts.blacklist?.length) req['blacklist'] = this.opts.blacklist;
    const mask = this.opts.fieldMask ?? DEFAULT_FIELD_MASK;
    if (mask.length > 0) {
      // Relays before field_mask left experimental read only the experimental copy.
      req['field_mask'] = { paths: mask };
      req['experimental'] = { field_mask: { paths: mask } };
    }
    return req;
  }

  private connect(): void {
    const client = this.client;
    if (!client) return;
    this.setState({ state: 'connecting', attempt: this.backoff.attempts + 1 });
    const getFlows = (client as unknown as Record<string, unknown>)['GetFlows'] as (
      req: object,
    ) => FlowStream;
    const stream = this.frames
      ? this.frames.open(this.request())
      : getFlows.call(client, this.request());
    this.stream = stream;
    let live = false;
    let answered = false;
    const goLive = () => {
      if (live || this.stream !== stream) return;
      live = true;
      this.connectedOnce = true;
      this.setState({ state: 'live', since: Date.now() });
      this.pollStatus();
    };
    // Relay may send nothing until the first flow of a quiet cluster, so a ready channel counts
    // as live. The backoff resets only once Relay answers, or a server that accepts connections
    // but fails every call would be retried at the shortest delay for ever.
    client.waitForReady(Date.now() + 30_000, (err) => {
      if (!err) goLive();
    });
    const answer = () => {
      if (answered || this.stream !== stream) return;
      answered = true;
      this.backoff.reset();
      goLive();
    };
    stream.on('metadata', answer);
    stream.on('data', (msg: DecodedFrame | UndecodableFrame) => {
      if (this.stream !== stream) return;
      answer();
      this.handle(msg);
    });
    stream.on('error', (err: grpc.ServiceError) => {
      if (this.stream !== stream) return;
      this.retry(`${grpc.status[err.code] ?? err.code}: ${err.details || err.message}`);
    });
    stream.on('end', () => {
      if (this.stream !== stream) return;
      this.retry('Relay ended the stream');
    });
  }

  private retry(reason: string): void {
    this.stream = undefined;
    clearInterval(this.statusTimer);
    this.stats.reconnects += 1;
    const delay = this.backoff.next();
    this.setState({
      state: 'retrying',
      attempt: this.backoff.attempts,
      retryAt: Date.now() + delay,
      lastError: reason,
    });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private handle(msg: DecodedFrame | UndecodableFrame): void {
    if ('undecodable' in msg) {
      this.stats.malformed += 1;
      this.stats.lastMalformed = `undecodable frame: ${msg.undecodable}`;
      return;
    }
    // flow-decoder already gives Hubble's JSON form with every field typed as validateFlow
    // checks it (its test holds it to the general path), so nothing is converted or re-checked.
    const res = msg.res;
    const rec = recordOf(msg);
    if (rec) {
      rec.wire = msg.wire;
      if (!this.window.admit(flowKey(rec.flow, rec.nodeName), rec.timeNs)) {
        this.stats.duplicatesDropped += 1;
        return;
      }
      this.stats.flowsReceived += 1;
      this.opts.onFlow(rec);
    } else if (res.lost_events) {
      this.recordLost(res.lost_events);
    } else if (res.node_status) {
      this.recordNodeStatus(res.node_status);
    } else {
      this.stats.empty += 1;
    }
  }

  private recordLost(ev: LostEvent): void {
    const source = String(ev.source ?? 'UNKNOWN_LOST_EVENT_SOURCE');
    const n = Number(ev.num_events_lost ?? 0);
    this.stats.lostEvents[source] = (this.stats.lostEvents[source] ?? 0) + n;
  }

  private recordNodeStatus(ev: NodeStatusEvent): void {
    for (const name of ev.node_names ?? []) {
      const prev = this.nodes.get(name);
      this.nodes.set(name, { ...prev, name, state: String(ev.state_change ?? 'UNKNOWN') });
    }
  }

  private pollStatus(): void {
    const every = this.opts.statusIntervalMs ?? 10_000;
    clearInterval(this.statusTimer);
    if (every <= 0) return;
    const ask = () => {
      const c = this.client as unknown as Record<string, Unary> | undefined;
      if (!c) return;
      c['ServerStatus'].call(this.client, {}, (err, res) => {
        if (!err) this.serverStatus = res as Record<string, unknown>;
      });
      c['GetNodes'].call(this.client, {}, (err, res) => {
        if (err) return;
        const nodes = (res as { nodes?: RelayNode[] }).nodes ?? [];
        for (const n of nodes) this.nodes.set(n.name, n);
      });
    };
    ask();
    this.statusTimer = setInterval(ask, every);
    this.statusTimer.unref();
  }
}
