// The browser's state: one class with rune fields, fed only by connection.ts. Components read
// it; nothing else writes it.
import type { EnrichedFlow } from '../../../backend/src/enrich/types.ts';
import type {
  MapDelta,
  MapEdge,
  MapNode,
  MapSnapshot,
} from '../../../backend/src/map/service-map.ts';
import type { RuleMatch } from '../../../backend/src/policy/core/types.ts';
import {
  mapDeltaSize,
  type NoticeMessage,
  type StreamFlow,
} from '../../../backend/src/shared/protocol.ts';

export type { RuleMatch };

/** Rows kept in the browser; the table draws only those in view. */
const MAX_ROWS = 100_000;
/** Drops are grouped over the newest rows only, so grouping stays cheap at 10 deltas a second. */
const DROP_WINDOW = 5000;

export interface Explanation {
  verdict: string;
  reason: string;
  suggestion?: string;
  egress: { isolated: boolean; policies: string[]; allowedBy: string[]; deniedBy: string[] };
  ingress: { isolated: boolean; policies: string[]; allowedBy: string[]; deniedBy: string[] };
  pitfalls?: string[];
  decidedAt?: 'egress' | 'ingress' | 'l7';
  /** The rules that decided it or came closest, to highlight in the policy's YAML. */
  rules?: RuleMatch[];
}

export interface DropGroup {
  key: string;
  source: string;
  destination: string;
  port: string;
  reason: string;
  count: number;
  last: EnrichedFlow;
}

export type StreamState =
  | { state: 'connecting' }
  | { state: 'live' }
  | { state: 'retrying'; retryAt: number; reason: string };

export function peerName(p: EnrichedFlow['source']): string {
  if (p.workload && p.namespace) return `${p.namespace}/${p.workload.name}`;
  if (p.pod && p.namespace) return `${p.namespace}/${p.pod}`;
  if (p.service) return p.service;
  if (p.names?.length) return p.names[0]!;
  return p.kind === 'unknown' ? p.ip : `${p.kind} ${p.ip}`;
}

export function groupDrops(flows: readonly EnrichedFlow[]): DropGroup[] {
  const groups = new Map<string, DropGroup>();
  for (const f of flows) {
    if (f.verdict !== 'DROPPED') continue;
    const [client, server] = f.isReply ? [f.destination, f.source] : [f.source, f.destination];
    const source = peerName(client);
    const destination = peerName(server);
    const port = `${f.protocol}/${server.port ?? '*'}`;
    const reason = f.dropReason ?? (f.l7?.http ? 'L7' : 'DROPPED');
    const key = `${source}|${destination}|${port}|${reason}`;
    const g = groups.get(key);
    if (g) {
      g.count += 1;
      g.last = f;
    } else groups.set(key, { key, source, destination, port, reason, count: 1, last: f });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

export class Dashboard {
  status = $state<Record<string, unknown> | undefined>();
  /** When `status` arrived (ms): its `retryInMs` figures count from here. */
  statusAt = $state(0);
  /** The latest notice from the server that still applies (sampling, a gap in history). */
  notice = $state<(NoticeMessage & { at: number }) | undefined>();
  stream = $state<StreamState>({ state: 'connecting' });
  /** Appended in place (copying 100k rows per delta would not keep up); `rowsVersion` says when. */
  rows: EnrichedFlow[] = [];
  rowsVersion = $state(0);
  nodes = $state.raw<Map<string, MapNode>>(new Map());
  edges = $state.raw<Map<string, MapEdge>>(new Map());
  sampleEvery = $state(1);
  /** False while showing a past window. */
  live = $state(true);
  /**
   * A new filter or grouping was asked for and its snapshot has not come: what is shown is still
   * the previous view (the server folds a new view's history first, which can take seconds).
   */
  loadingView = $state(false);
  lastSeq = 0;
  explanations = $state.raw<Map<string, Explanation>>(new Map());
  drops = $derived.by(() => {
    void this.rowsVersion;
    return groupDrops(this.rows.slice(-DROP_WINDOW));
  });

  snapshot(flows: StreamFlow[], map: MapSnapshot): void {
    this.loadingView = false;
    this.rows = flows.map((f) => f.flow).slice(-MAX_ROWS);
    this.rowsVersion += 1;
    this.lastSeq = flows.at(-1)?.seq ?? this.lastSeq;
    this.setMap(map);
  }

  setMap(map: MapSnapshot): void {
    this.nodes = new Map(map.nodes.map((n) => [n.id, n]));
    this.edges = new Map(map.edges.map((e) => [e.id, e]));
  }

  delta(flows: StreamFlow[], map: MapDelta, mapSnapshot?: MapSnapshot): void {
    if (flows.length > 0) {
      for (const f of flows) this.rows.push(f.flow);
      // Trim in chunks: one shift of 10% now and then instead of one per delta.
      if (this.rows.length > MAX_ROWS * 1.1) this.rows.splice(0, this.rows.length - MAX_ROWS);
      this.rowsVersion += 1;
      this.lastSeq = flows.at(-1)!.seq;
    }
    if (mapSnapshot) {
      this.setMap(mapSnapshot);
      return;
    }
    if (mapDeltaSize(map) === 0) return;
    const nodes = new Map(this.nodes);
    for (const n of [...map.nodes.added, ...map.nodes.changed]) nodes.set(n.id, n);
    for (const id of map.nodes.removed) nodes.delete(id);
    const edges = new Map(this.edges);
    for (const e of [...map.edges.added, ...map.edges.changed]) edges.set(e.id, e);
    for (const id of map.edges.removed) edges.delete(id);
    this.nodes = nodes;
    this.edges = edges;
  }

  setStatus(status: Record<string, unknown>, now = Date.now()): void {
    this.status = status;
    this.statusAt = now;
  }

  noticed(m: NoticeMessage, now = Date.now()): void {
    if (m.sampleEvery) this.sampleEvery = m.sampleEvery;
    if (m.code === 'sampling-ended') {
      this.sampleEvery = 1;
      this.notice = undefined;
      return;
    }
    this.notice = { ...m, at: now };
  }

  explained(flowId: string, e: Explanation): void {
    const next = new Map(this.explanations);
    next.set(flowId, e);
    this.explanations = next;
  }
}
