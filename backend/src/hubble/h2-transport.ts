// GetFlows straight over node:http2: the gRPC framing of one server-streaming call (a 5-byte
// prefix per message, status in trailers) read from the HTTP/2 stream and decoded here by
// flow-decoder.ts. grpc-js spends about 10 µs of its own per received message (call stream,
// interceptors, filters, events); this path spends well under one, which is the difference
// between keeping up with a busy Relay and not. The unary calls (ServerStatus, GetNodes) stay on
// grpc-js. It emits the same events as a grpc-js stream, so HubbleClient treats all transports
// alike.
import { EventEmitter } from 'node:events';
import http2 from 'node:http2';
import zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { decodeFrame } from './flow-decoder.ts';
import type { DecodedFrame } from './flow-decoder.ts';
import type { FlowStream } from './frame-transport.ts';
import type { UndecodableFrame } from './proto.ts';

export interface H2Setup {
  /** `host:port` or `[v6]:port`. */
  address: string;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; serverName?: string };
  /** Serialises a GetFlowsRequest (the message, without the gRPC prefix). */
  serializeRequest: (req: object) => Buffer;
  maxMessageBytes?: number;
  /** A ping this often on an open connection; one unanswered for `keepaliveTimeoutMs` ends it. */
  keepaliveMs?: number;
  keepaliveTimeoutMs?: number;
  userAgent?: string;
  /**
   * After data arrives, the connection's socket is not read again for this long (0: read at
   * once). See `ReadPacer`.
   */
  readPauseMs?: number;
}

const PATH = '/observer.Observer/GetFlows';
/** How long a busy connection's socket rests between reads: at most one read a millisecond. */
const READ_PAUSE_MS = 1;
/** Per-stream and per-connection flow-control windows: a busy Relay is never made to wait. */
const STREAM_WINDOW = 4 * 1024 * 1024;
const SESSION_WINDOW = 16 * 1024 * 1024;

/** Whether this transport can reach an address (grpc-js also takes `dns:`, `unix:` targets). */
export function h2Addressable(address: string): boolean {
  return /^(\[[0-9a-fA-F:.]+\]|[^:/[\]\s]+):\d{1,5}$/.test(address);
}

function serviceError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), {
    code,
    details,
    metadata: new grpc.Metadata(),
  });
}

/** The gRPC status for an HTTP status other than 200, as gRPC's HTTP/2 mapping gives it. */
function httpToGrpc(status: number): grpc.status {
  switch (status) {
    case 400:
      return grpc.status.INTERNAL;
    case 401:
      return grpc.status.UNAUTHENTICATED;
    case 403:
      return grpc.status.PERMISSION_DENIED;
    case 404:
      return grpc.status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return grpc.status.UNAVAILABLE;
    default:
      return grpc.status.UNKNOWN;
  }
}

function rstToGrpc(code: number): grpc.status {
  const c = http2.constants;
  if (code === c.NGHTTP2_REFUSED_STREAM) return grpc.status.UNAVAILABLE;
  if (code === c.NGHTTP2_CANCEL) return grpc.status.CANCELLED;
  if (code === c.NGHTTP2_ENHANCE_YOUR_CALM) return grpc.status.RESOURCE_EXHAUSTED;
  if (code === c.NGHTTP2_INADEQUATE_SECURITY) return grpc.status.PERMISSION_DENIED;
  return grpc.status.INTERNAL;
}

function decodeOrMark(buf: Buffer): DecodedFrame | UndecodableFrame {
  try {
    return decodeFrame(buf);
  } catch (err) {
    return { undecodable: (err as Error).message };
  }
}

function header(h: http2.IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The libuv stream under a socket: what `readStop` and `readStart` act on. */
interface ReadableHandle {
  readStop(): number;
  readStart(): number;
}

/**
 * Reads a connection's socket at most once every `pauseMs` while data keeps coming.
 *
 * Relay sends one HTTP/2 DATA frame per flow, and a reader that takes each as soon as it lands
 * makes a read, and a wake-up of the process, for every few flows; the sender pays for waking
 * it too. Measured over loopback on the two-core VM, a reader that did nothing with the flows
 * spent 9–13 µs of CPU a flow reading that way, and 4–5 µs when it stopped reading its socket
 * for a millisecond after each read (11–15 reads per 1,000 flows instead of 200–650), the
 * server 13–20 µs a flow against 15–26. The frames are the same; each read takes all that came
 * in the millisecond (at 100,000 flows/s some 60 KB), and the kernel holds them meanwhile
 * (flow-control windows are megabytes). A flow waits at most the pause longer.
 *
 * Pausing uses the socket's libuv handle (`_handle.readStop()` / `readStart()`), which
 * node:http2 reads from natively: the session's socket refuses `pause()`. Where there is no
 * such handle, reads are not paused.
 */
export class ReadPacer {
  private resting:
    { socket: { destroyed?: boolean; _handle?: unknown }; handle: ReadableHandle } | undefined;
  private socket: { destroyed?: boolean; _handle?: unknown } | undefined;
  private rest: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pauseMs: number) {}

  /**
   * Data came in on `socket`: once this turn of the event loop has read all there is (libuv
   * reads on until the kernel has no more), the socket rests for `pauseMs`. Resting only
   * between turns keeps a busy loop from being held to one read a turn.
   */
  onData(socket: { destroyed?: boolean; _handle?: unknown } | undefined): void {
    if (this.resting || this.rest || this.pauseMs <= 0 || !socket) return;
    this.socket = socket;
    this.rest = setImmediate(() => this.sleep());
  }

  private sleep(): void {
    this.rest = undefined;
    const socket = this.socket;
    this.socket = undefined;
    try {
      if (!socket || socket.destroyed) return;
      const handle = socket._handle as Partial<ReadableHandle> | null | undefined;
      if (typeof handle?.readStop !== 'function' || typeof handle.readStart !== 'function') return;
      if (handle.readStop() !== 0) return;
      this.resting = { socket, handle: handle as ReadableHandle };
      this.timer = setTimeout(() => this.wake(), this.pauseMs);
    } catch {
      // node:http2 refuses access to a socket its session has let go of: nothing to pace.
    }
  }

  /** Reads again now (a connection being replaced or closed needs no more pacing). */
  wake(): void {
    clearImmediate(this.rest);
    this.rest = undefined;
    this.socket = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    const r = this.resting;
    this.resting = undefined;
    if (!r) return;
    try {
      // A socket destroyed meanwhile has let go of its handle; the handle is not read again.
      if (!r.socket.destroyed && r.socket._handle === r.handle) r.handle.readStart();
    } catch {
      // node:http2 refuses access to a socket its session has let go of: nothing to read.
    }
  }
}

class H2FlowStream extends EventEmitter implements FlowStream {
  private finished = false;
  private pending: Buffer | undefined;
  private encoding = 'identity';
  private status: { code: number; details: string } | undefined;
  private transportError: string | undefined;

  constructor(
    private readonly req: http2.ClientHttp2Stream,
    private readonly setup: H2Setup,
    private readonly sessionError: () => string | undefined,
    private readonly sessionUp: () => boolean,
    private readonly onRead: () => void,
  ) {
    super();
    req.on('response', (h) => this.onHeaders(h));
    req.on('data', (chunk: Buffer) => this.onData(chunk));
    req.on('trailers', (h) => this.onStatus(h));
    req.on('error', (err: Error) => {
      // A stream cancelled by its connection failing names the connection's error as cause.
      this.transportError ??= err.cause instanceof Error ? err.cause.message : err.message;
    });
    req.on('close', () => this.onClose());
  }

  cancel(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.req.closed) this.req.close(http2.constants.NGHTTP2_CANCEL);
  }

  private fail(code: grpc.status, details: string): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.req.closed) this.req.close(http2.constants.NGHTTP2_CANCEL);
    this.emit('error', serviceError(code, details));
  }

  private onHeaders(h: http2.IncomingHttpHeaders): void {
    const status = Number(h[':status']);
    if (status !== 200) {
      this.fail(httpToGrpc(status), `Relay answered HTTP ${status}`);
      return;
    }
    const type = header(h, 'content-type') ?? '';
    if (!type.startsWith('application/grpc')) {
      this.fail(grpc.status.UNKNOWN, `Relay answered ${type || 'no content type'}, not gRPC`);
      return;
    }
    this.encoding = header(h, 'grpc-encoding') ?? 'identity';
    // A trailers-only answer carries its status here.
    if (h['grpc-status'] !== undefined) this.onStatus(h);
    else this.emit('metadata');
  }

  private onStatus(h: http2.IncomingHttpHeaders): void {
    const raw = header(h, 'grpc-status');
    if (raw === undefined) return;
    let details = header(h, 'grpc-message') ?? '';
    try {
      details = decodeURIComponent(details);
    } catch {
      // not percent-encoded after all: keep it as sent
    }
    const code = Number(raw);
    this.status = { code: Number.isInteger(code) ? code : grpc.status.UNKNOWN, details };
  }

  private onData(chunk: Buffer): void {
    this.onRead();
    if (this.finished) return;
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    const max = this.setup.maxMessageBytes ?? 16 * 1024 * 1024;
    let off = 0;
    while (buf.length - off >= 5) {
      const compressed = buf[off]!;
      const len = buf.readUInt32BE(off + 1);
      if (len > max) {
        this.fail(
          grpc.status.RESOURCE_EXHAUSTED,
          `received message larger than max (${len} vs. ${max})`,
        );
        return;
      }
      if (buf.length - off - 5 < len) break;
      let msg = buf.subarray(off + 5, off + 5 + len);
      off += 5 + len;
      if (compressed) {
        const plain = this.inflate(msg);
        if (!plain) return;
        msg = plain;
      }
      this.emit('data', decodeOrMark(msg));
      // The consumer may have cancelled this stream while handling a frame.
      if (this.finished) return;
    }
    if (off < buf.length) {
      buf = buf.subarray(off);
      // A partial message of a big chunk is copied, so the chunk is not held while it fills.
      this.pending = off > 0 ? Buffer.from(buf) : buf;
    }
  }

  private inflate(msg: Buffer): Buffer | undefined {
    try {
      if (this.encoding === 'gzip') return zlib.gunzipSync(msg);
      if (this.encoding === 'deflate') return zlib.inflateSync(msg);
    } catch (err) {
      this.fail(grpc.status.INTERNAL, `bad ${this.encoding} message: ${(err as Error).message}`);
      return undefined;
    }
    this.fail(grpc.status.UNIMPLEMENTED, `unsupported grpc-encoding ${this.encoding}`);
    return undefined;
  }

  private onClose(): void {
    if (this.finished) return;
    this.finished = true;
    const s = this.status;
    if (s && s.code === grpc.status.OK) {
      if (this.pending) {
        this.emit('error', serviceError(grpc.status.INTERNAL, 'stream ended inside a message'));
      } else this.emit('end');
      return;
    }
    if (s) {
      this.emit('error', serviceError(s.code, s.details));
      return;
    }
    // The connection failing explains everything on it; else the peer's reset says why.
    const lost = this.sessionUp() ? undefined : (this.sessionError() ?? this.transportError);
    const rst = this.req.rstCode;
    if (!lost && rst !== undefined && rst !== http2.constants.NGHTTP2_NO_ERROR) {
      this.emit('error', serviceError(rstToGrpc(rst), `stream reset with HTTP/2 code ${rst}`));
      return;
    }
    const why = lost ?? this.transportError;
    if (why) this.emit('error', serviceError(grpc.status.UNAVAILABLE, why));
    else
      this.emit('error', serviceError(grpc.status.UNKNOWN, 'stream ended without a gRPC status'));
  }
}

/** GetFlows streams over one HTTP/2 connection, made again when it is lost. */
export class H2Transport {
  private session: http2.ClientHttp2Session | undefined;
  /** Why each connection failed, for the streams it takes down with it. */
  private readonly errors = new WeakMap<http2.ClientHttp2Session, string>();
  private pinger: NodeJS.Timeout | undefined;
  private readonly pacer: ReadPacer;

  constructor(private readonly setup: H2Setup) {
    this.pacer = new ReadPacer(setup.readPauseMs ?? READ_PAUSE_MS);
    if (!h2Addressable(setup.address)) {
      throw new TypeError(`the HTTP/2 transport needs host:port, got ${setup.address}`);
    }
  }

  open(request: object): FlowStream {
    const session = this.connected();
    const body = this.setup.serializeRequest(request);
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(body.length, 1);
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-accept-encoding': 'identity,gzip,deflate',
      'user-agent': this.setup.userAgent ?? 'flowlens',
    };
    if (this.setup.tls?.serverName) headers[':authority'] = this.setup.tls.serverName;
    let req: http2.ClientHttp2Stream;
    try {
      req = session.request(headers);
    } catch (err) {
      // A session that is closing refuses new streams: the next attempt makes a new one.
      this.drop(session);
      const failed = new EventEmitter() as EventEmitter & FlowStream;
      failed.cancel = () => {};
      setImmediate(() =>
        failed.emit('error', serviceError(grpc.status.UNAVAILABLE, (err as Error).message)),
      );
      return failed;
    }
    req.end(Buffer.concat([prefix, body]));
    return new H2FlowStream(
      req,
      this.setup,
      () => this.errors.get(session),
      () => !session.closed && !session.destroyed,
      () => {
        if (this.session === session) this.pacer.onData(session.socket);
      },
    );
  }

  close(): void {
    const s = this.session;
    this.session = undefined;
    clearInterval(this.pinger);
    this.pacer.wake();
    s?.destroy();
  }

  private connected(): http2.ClientHttp2Session {
    const s = this.session;
    if (s && !s.closed && !s.destroyed) return s;
    return this.connect();
  }

  private connect(): http2.ClientHttp2Session {
    const tls = this.setup.tls;
    const session = http2.connect(`${tls ? 'https' : 'http'}://${this.setup.address}`, {
      settings: { initialWindowSize: STREAM_WINDOW },
      ...(tls
        ? {
            ca: tls.ca,
            cert: tls.cert,
            key: tls.key,
            ALPNProtocols: ['h2'],
            ...(tls.serverName ? { servername: tls.serverName } : {}),
          }
        : {}),
    });
    this.session = session;
    session.on('error', (err: Error) => {
      if (!this.errors.has(session)) this.errors.set(session, err.message);
    });
    session.on('connect', () => session.setLocalWindowSize(SESSION_WINDOW));
    // A server going away finishes its streams; new ones go to a new connection.
    session.on('goaway', () => this.drop(session));
    session.on('close', () => this.drop(session));
    this.keepalive(session);
    return session;
  }

  private keepalive(session: http2.ClientHttp2Session): void {
    clearInterval(this.pinger);
    const every = this.setup.keepaliveMs ?? 300_000;
    const timeout = this.setup.keepaliveTimeoutMs ?? 20_000;
    this.pinger = setInterval(() => {
      if (session.closed || session.destroyed) return;
      const timer = setTimeout(() => {
        this.errors.set(session, 'keepalive ping unanswered');
        session.destroy();
      }, timeout);
      const sent = session.ping((err) => {
        clearTimeout(timer);
        if (err) session.destroy();
      });
      if (!sent) clearTimeout(timer);
    }, every);
    this.pinger.unref();
  }

  private drop(session: http2.ClientHttp2Session): void {
    if (this.session !== session) return;
    this.session = undefined;
    clearInterval(this.pinger);
    // A going-away session still delivers what its streams have left: let it be read.
    this.pacer.wake();
  }
}
