// The WebSocket protocol between the flowlens server and its UI: one versioned, typed module
// imported by both sides. The server sends a snapshot when a client subscribes, then batched
// deltas; a slow client is told what it is missing rather than silently falling behind.
import type { EnrichedFlow } from '../enrich/types.ts';
import type { MapDelta, MapSnapshot, Grouping } from '../map/service-map.ts';

export const PROTOCOL_VERSION = 1;
/** Client messages are small; anything larger is refused by the server. */
export const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

// ---- client → server ----

export interface SubscribeMessage {
  type: 'subscribe';
  v: number;
  /** Filter text (see shared/filter.ts), e.g. `namespace=shop verdict=DROPPED`. */
  filter?: string;
  grouping?: Grouping;
  /** Rows of history in the snapshot. */
  limit?: number;
  /** A past window instead of live: RFC3339 or nanoseconds as a decimal string. */
  since?: string;
  until?: string;
  /** After a reconnect: the last flow sequence number the client has. */
  resumeAfter?: number;
}

export interface ExplainMessage {
  type: 'explain';
  flowId: string;
  /** Language of the explanation's sentences (default en). */
  lang?: 'en' | 'ko';
}

export interface PingMessage {
  type: 'ping';
  t?: number;
}

export type ClientMessage = SubscribeMessage | ExplainMessage | PingMessage;

// ---- server → client ----

export interface StreamFlow {
  /** Monotonic per server process; used to resume. */
  seq: number;
  flow: EnrichedFlow;
}

export interface HelloMessage {
  type: 'hello';
  v: number;
  version: string;
  mode: string;
}

export interface SnapshotMessage {
  type: 'snapshot';
  /** Live, or a past window that will not change. */
  live: boolean;
  filter: string;
  grouping: Grouping;
  flows: StreamFlow[];
  map: MapSnapshot;
  /** True when resumeAfter was honoured and `flows` holds only what the client missed. */
  resumed: boolean;
}

export interface DeltaMessage {
  type: 'delta';
  flows: StreamFlow[];
  map: MapDelta;
  /**
   * Present after the client was too slow to get every map delta: the whole current map,
   * which replaces the client's (then `map` is empty).
   */
  mapSnapshot?: MapSnapshot;
  /** Flow rows this client did not get since the last delta because it was too slow. */
  skipped?: number;
  /** When sampling: one row sent out of `sampleEvery`. */
  sampleEvery?: number;
}

export interface StatusMessage {
  type: 'status';
  status: unknown;
}

export interface ExplanationMessage {
  type: 'explanation';
  flowId: string;
  explanation: unknown;
}

export interface NoticeMessage {
  type: 'notice';
  level: 'info' | 'warn';
  /** A stable code the UI translates (ko/en); `message` is the English fallback. */
  code: 'sampling' | 'sampling-ended' | 'history-gap';
  message: string;
  sampleEvery?: number;
}

export interface ErrorMessage {
  type: 'error';
  message: string;
}

export interface PongMessage {
  type: 'pong';
  t?: number;
}

export type ServerMessage =
  | HelloMessage
  | SnapshotMessage
  | DeltaMessage
  | StatusMessage
  | ExplanationMessage
  | NoticeMessage
  | ErrorMessage
  | PongMessage;

/** How many nodes and edges a map delta touches (0: nothing to send or apply). */
export function mapDeltaSize(d: MapDelta): number {
  return (
    d.nodes.added.length +
    d.nodes.changed.length +
    d.nodes.removed.length +
    d.edges.added.length +
    d.edges.changed.length +
    d.edges.removed.length
  );
}

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optString(o: Record<string, unknown>, k: string, max = 1024): string | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > max) {
    throw new ProtocolError(`${k}: expected a string of at most ${max} characters`);
  }
  return v;
}

/** Validates one client message; anything off gets an exact reason. */
export function parseClientMessage(text: string): ClientMessage {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ProtocolError('message is not JSON');
  }
  if (!isObj(v)) throw new ProtocolError('message must be a JSON object');
  switch (v['type']) {
    case 'subscribe': {
      if (v['v'] !== PROTOCOL_VERSION) {
        throw new ProtocolError(
          `protocol version ${String(v['v'])} is not supported; this server speaks ${PROTOCOL_VERSION}`,
        );
      }
      const m: SubscribeMessage = { type: 'subscribe', v: PROTOCOL_VERSION };
      const filter = optString(v, 'filter');
      if (filter !== undefined) m.filter = filter;
      const grouping = v['grouping'];
      if (grouping !== undefined) {
        if (grouping !== 'workload' && grouping !== 'service' && grouping !== 'pod') {
          throw new ProtocolError('grouping: expected workload, service or pod');
        }
        m.grouping = grouping;
      }
      const limit = v['limit'];
      if (limit !== undefined) {
        if (!Number.isInteger(limit) || (limit as number) < 0) {
          throw new ProtocolError('limit: expected a non-negative integer');
        }
        m.limit = limit as number;
      }
      const since = optString(v, 'since', 64);
      if (since !== undefined) m.since = since;
      const until = optString(v, 'until', 64);
      if (until !== undefined) m.until = until;
      const resume = v['resumeAfter'];
      if (resume !== undefined) {
        if (!Number.isInteger(resume)) throw new ProtocolError('resumeAfter: expected an integer');
        m.resumeAfter = resume as number;
      }
      return m;
    }
    case 'explain': {
      const id = optString(v, 'flowId', 256);
      if (!id) throw new ProtocolError('flowId: required');
      const lang = v['lang'];
      if (lang !== undefined && lang !== 'en' && lang !== 'ko') {
        throw new ProtocolError('lang: expected en or ko');
      }
      return lang ? { type: 'explain', flowId: id, lang } : { type: 'explain', flowId: id };
    }
    case 'ping': {
      const t = v['t'];
      return typeof t === 'number' ? { type: 'ping', t } : { type: 'ping' };
    }
    default:
      throw new ProtocolError(`unknown message type ${JSON.stringify(v['type'])}`);
  }
}
