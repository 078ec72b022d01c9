// The live service map: enriched flows folded into nodes (workloads, Services or pods, plus
// world, host, remote-node and the API server) and edges (who → whom on which port and
// protocol). It hands out deltas — added, changed, removed (idle expiry) — never whole maps per
// tick, and builds the same map for any past window from history (time travel).
import {
  edgeId,
  hostId,
  KUBE_APISERVER_ID,
  kindOfId,
  podId,
  remoteNodeId,
  serviceId,
  unknownId,
  workloadId,
  worldId,
  type MapNodeKind,
} from '../shared/identity.ts';
import type { EnrichedFlow, Peer } from '../enrich/types.ts';

export type Grouping = 'workload' | 'service' | 'pod';

export interface ServiceMapOptions {
  grouping?: Grouping;
  /** Only flows with at least one side in these namespaces; all when absent or empty. */
  namespaces?: readonly string[];
  /** Rates are averaged over this window. */
  rateWindowMs?: number;
  /** Nodes and edges with no flow for this long are removed. */
  idleMs?: number;
}

export interface MapNode {
  id: string;
  kind: MapNodeKind;
  label: string;
  namespace?: string;
  /** DNS names seen for a world node. */
  names?: string[];
  flows: number;
  dropped: number;
  lastSeenMs: number;
}

export interface EdgeL7 {
  httpMethods: Record<string, number>;
  httpStatus: Record<string, number>;
  dnsQueries: Record<string, number>;
}

export interface MapEdge {
  id: string;
  from: string;
  to: string;
  port?: number;
  protocol: string;
  forwarded: number;
  dropped: number;
  dropReasons: Record<string, number>;
  /** Flows per second over the rate window. */
  rate: number;
  lastVerdict: string;
  lastSeenMs: number;
  l7?: EdgeL7;
}

export interface MapSnapshot {
  nodes: MapNode[];
  edges: MapEdge[];
}

export interface MapDelta {
  nodes: { added: MapNode[]; changed: MapNode[]; removed: string[] };
  edges: { added: MapEdge[]; changed: MapEdge[]; removed: string[] };
}

/** Bounds the per-edge L7 tallies: a scanner hitting random paths must not grow memory. */
const MAX_L7_KEYS = 20;
const BUCKET_MS = 1000;

/** Where a flow lands in a map: its edge and the edge's two nodes, under one grouping. */
export interface EdgeKeys {
  from: string;
  to: string;
  id: string;
}

/**
 * Bookkeeping a node or edge carries besides what is published. A flow touches an edge and its
 * two nodes in every map (view) it reaches, so marking them changed is a field write, not a
 * set of ids to hash into.
 */
interface Marks {
  /** The flush this was last marked changed for; -1 once removed. */
  dirtyAt: number;
  /** Added since the last flush. */
  fresh: boolean;
}

interface NodeState extends MapNode, Marks {}

interface EdgeState extends MapEdge, Marks {
  buckets: number[];
  bucketStart: number;
  /** The sum of buckets, kept as they change: the rate without adding them up every tick. */
  inWindow: number;
  /** The age of the flow lastVerdict came from: no older flow may override it. */
  verdictAge: number;
  /** In the list whose rates each flush recomputes (flows in the rate window). */
  active: boolean;
  /**
   * Its two nodes. A node outlives its edges (each flow touches both, so a node is idle only
   * once all its edges are), so a flow on a known edge finds them without lookups.
   */
  fromNode: NodeState;
  toNode: NodeState;
}

function bump(rec: Record<string, number>, key: string): void {
  if (key in rec || Object.keys(rec).length < MAX_L7_KEYS) rec[key] = (rec[key] ?? 0) + 1;
  else rec['(other)'] = (rec['(other)'] ?? 0) + 1;
}

export class ServiceMap {
  readonly grouping: Grouping;
  private readonly scope: Set<string> | undefined;
  private readonly windowMs: number;
  private readonly idleMs: number;
  private readonly nodes = new Map<string, NodeState>();
  private readonly edges = new Map<string, EdgeState>();
  /** Changed since the last flush, each once (see Marks), in the order they changed. */
  private dirtyNodes: NodeState[] = [];
  private dirtyEdges: EdgeState[] = [];
  private epoch = 1;
  private activeEdges: EdgeState[] = [];

  constructor(opts: ServiceMapOptions = {}) {
    this.grouping = opts.grouping ?? 'workload';
    this.scope = opts.namespaces?.length ? new Set(opts.namespaces) : undefined;
    this.windowMs = opts.rateWindowMs ?? 60_000;
    this.idleMs = opts.idleMs ?? 5 * 60_000;
    if (!(this.windowMs >= BUCKET_MS))
      throw new RangeError(`rateWindowMs must be at least ${BUCKET_MS}`);
  }

  inScope(f: EnrichedFlow): boolean {
    if (!this.scope) return true;
    return (
      (f.source.namespace !== undefined && this.scope.has(f.source.namespace)) ||
      (f.destination.namespace !== undefined && this.scope.has(f.destination.namespace))
    );
  }

  /** The map node a peer belongs to under the current grouping. */
  nodeIdOf(p: Peer): string {
    switch (p.kind) {
      case 'pod': {
        const ns = p.namespace ?? '';
        if (this.grouping === 'pod' && p.pod) return podId(ns, p.pod);
        if (this.grouping === 'service' && p.service) {
          const [sns, sname] = splitQualified(p.service);
          return serviceId(sns, sname);
        }
        if (p.workload) return workloadId(ns, p.workload.kind, p.workload.name);
        return p.pod ? podId(ns, p.pod) : unknownId(p.ip);
      }
      case 'service': {
        if (!p.service) return unknownId(p.ip);
        const [sns, sname] = splitQualified(p.service);
        return serviceId(sns, sname);
      }
      case 'world':
        return worldId(
          p.names?.[0] ?? p.labels.find((l) => l.startsWith('cidr:'))?.slice(5) ?? p.ip,
        );
      case 'host':
        return hostId(p.node ?? p.ip);
      case 'remote-node':
        return remoteNodeId(p.node ?? p.ip);
      case 'kube-apiserver':
        return KUBE_APISERVER_ID;
      default:
        return unknownId(p.ip);
    }
  }

  /**
   * The flow's edge and nodes under this map's grouping. They depend on the grouping alone, so
   * several maps with the same grouping (the stream's views) can share one computation.
   */
  keysOf(f: EnrichedFlow): EdgeKeys {
    const reply = f.isReply === true;
    const from = this.nodeIdOf(reply ? f.destination : f.source);
    const to = this.nodeIdOf(reply ? f.source : f.destination);
    const port = (reply ? f.source : f.destination).port;
    return { from, to, id: edgeId(from, to, port, f.protocol) };
  }

  /**
   * Folds a flow in; `keys` is keysOf(f) when the caller already has it. `age`: 0 for a live
   * flow; history folded in behind flows already added says how much older it is than they
   * (1: older than every live flow; 2: older than those of age 1), so that it counts but does
   * not become an edge's last verdict over a newer flow's. Flows of one age come in time order.
   */
  add(f: EnrichedFlow, nowMs: number, keys?: EdgeKeys, age = 0): void {
    if (!this.inScope(f)) return;
    // A reply belongs to the request's edge: swap the sides, and the server's port is the
    // reply's source port.
    const reply = f.isReply === true;
    const client = reply ? f.destination : f.source;
    const server = reply ? f.source : f.destination;
    const { from, to, id } = keys ?? this.keysOf(f);
    let e = this.edges.get(id);
    if (e) {
      this.touch(e.fromNode, client, f, nowMs);
      this.touch(e.toNode, server, f, nowMs);
    } else {
      const fromNode = this.touch(this.node(from, client, nowMs), client, f, nowMs);
      const toNode = this.touch(this.node(to, server, nowMs), server, f, nowMs);
      e = {
        id,
        from,
        to,
        protocol: f.protocol,
        forwarded: 0,
        dropped: 0,
        dropReasons: {},
        rate: 0,
        lastVerdict: f.verdict,
        lastSeenMs: nowMs,
        buckets: new Array<number>(Math.ceil(this.windowMs / BUCKET_MS)).fill(0),
        bucketStart: Math.floor(nowMs / BUCKET_MS),
        inWindow: 0,
        verdictAge: age,
        active: false,
        fromNode,
        toNode,
        dirtyAt: 0,
        fresh: true,
      };
      if (server.port !== undefined) e.port = server.port;
      this.edges.set(id, e);
    }
    if (f.verdict === 'DROPPED') {
      e.dropped += 1;
      if (f.dropReason) e.dropReasons[f.dropReason] = (e.dropReasons[f.dropReason] ?? 0) + 1;
    } else e.forwarded += 1;
    if (age <= e.verdictAge) {
      e.lastVerdict = f.verdict;
      e.verdictAge = age;
    }
    e.lastSeenMs = Math.max(e.lastSeenMs, nowMs);
    this.count(e, nowMs);
    if (f.l7) {
      e.l7 ??= { httpMethods: {}, httpStatus: {}, dnsQueries: {} };
      if (f.l7.http?.method) bump(e.l7.httpMethods, f.l7.http.method);
      if (f.l7.http?.code) bump(e.l7.httpStatus, `${Math.floor(f.l7.http.code / 100)}xx`);
      if (f.l7.dns?.query && f.l7.type !== 'RESPONSE') bump(e.l7.dnsQueries, f.l7.dns.query);
    }
    if (e.dirtyAt !== this.epoch) {
      e.dirtyAt = this.epoch;
      this.dirtyEdges.push(e);
    }
    if (!e.active) {
      e.active = true;
      this.activeEdges.push(e);
    }
  }

  /** The node with this id, new if there is none. */
  private node(id: string, p: Peer, nowMs: number): NodeState {
    let n = this.nodes.get(id);
    if (!n) {
      n = {
        id,
        kind: kindOfId(id),
        label: labelOf(id, p),
        flows: 0,
        dropped: 0,
        lastSeenMs: nowMs,
        dirtyAt: 0,
        fresh: true,
      };
      const ns = p.kind === 'pod' || p.kind === 'service' ? p.namespace : undefined;
      if (ns) n.namespace = ns;
      this.nodes.set(id, n);
    }
    return n;
  }

  private touch(n: NodeState, p: Peer, f: EnrichedFlow, nowMs: number): NodeState {
    n.flows += 1;
    if (f.verdict === 'DROPPED') n.dropped += 1;
    n.lastSeenMs = Math.max(n.lastSeenMs, nowMs);
    if (n.kind === 'world' && p.names?.length && p.names.some((x) => !n.names?.includes(x))) {
      const names = new Set([...(n.names ?? []), ...p.names]);
      if (names.size <= MAX_L7_KEYS) n.names = [...names];
    }
    if (n.dirtyAt !== this.epoch) {
      n.dirtyAt = this.epoch;
      this.dirtyNodes.push(n);
    }
    return n;
  }

  private count(e: EdgeState, nowMs: number): void {
    this.roll(e, nowMs);
    e.buckets[Math.floor(nowMs / BUCKET_MS) % e.buckets.length]! += 1;
    e.inWindow += 1;
  }

  /** Clears the buckets that fell out of the window since the edge was last touched. */
  private roll(e: EdgeState, nowMs: number): void {
    const now = Math.floor(nowMs / BUCKET_MS);
    const steps = Math.min(now - e.bucketStart, e.buckets.length);
    for (let i = 1; i <= steps; i++) {
      const k = (e.bucketStart + i) % e.buckets.length;
      e.inWindow -= e.buckets[k]!;
      e.buckets[k] = 0;
    }
    if (now > e.bucketStart) e.bucketStart = now;
  }

  /**
   * The changes since the previous flush: new and changed nodes and edges, rate updates, and
   * whatever went idle (removed). Call it on the stream's tick.
   */
  flush(nowMs: number): MapDelta {
    const delta: MapDelta = {
      nodes: { added: [], changed: [], removed: [] },
      edges: { added: [], changed: [], removed: [] },
    };
    const stillActive: EdgeState[] = [];
    for (const e of this.activeEdges) {
      if (e.dirtyAt === -1) continue; // removed
      this.roll(e, nowMs);
      const rate = Math.round((e.inWindow / (this.windowMs / 1000)) * 100) / 100;
      if (rate !== e.rate) {
        e.rate = rate;
        if (e.dirtyAt !== this.epoch) {
          e.dirtyAt = this.epoch;
          this.dirtyEdges.push(e);
        }
      }
      if (rate === 0) e.active = false;
      else stillActive.push(e);
    }
    this.activeEdges = stillActive;
    for (const [id, e] of this.edges) {
      if (nowMs - e.lastSeenMs > this.idleMs) {
        this.edges.delete(id);
        if (!e.fresh) delta.edges.removed.push(id);
        e.dirtyAt = -1;
      }
    }
    for (const [id, n] of this.nodes) {
      if (nowMs - n.lastSeenMs > this.idleMs) {
        this.nodes.delete(id);
        if (!n.fresh) delta.nodes.removed.push(id);
        n.dirtyAt = -1;
      }
    }
    for (const e of this.dirtyEdges) {
      if (e.dirtyAt !== this.epoch) continue; // removed
      (e.fresh ? delta.edges.added : delta.edges.changed).push(publicEdge(e));
      e.fresh = false;
    }
    for (const n of this.dirtyNodes) {
      if (n.dirtyAt !== this.epoch) continue;
      (n.fresh ? delta.nodes.added : delta.nodes.changed).push(publicNode(n));
      n.fresh = false;
    }
    this.dirtyEdges = [];
    this.dirtyNodes = [];
    this.epoch += 1;
    return delta;
  }

  snapshot(): MapSnapshot {
    return {
      nodes: [...this.nodes.values()].map(publicNode),
      edges: [...this.edges.values()].map(publicEdge),
    };
  }

  get size(): { nodes: number; edges: number } {
    return { nodes: this.nodes.size, edges: this.edges.size };
  }
}

function publicEdge(e: EdgeState): MapEdge {
  const {
    buckets: _b,
    bucketStart: _s,
    inWindow: _w,
    verdictAge: _v,
    active: _a,
    fromNode: _f,
    toNode: _t,
    dirtyAt: _d,
    fresh: _n,
    ...rest
  } = e;
  return { ...rest, dropReasons: { ...rest.dropReasons } };
}

function publicNode(n: NodeState): MapNode {
  const { dirtyAt: _d, fresh: _n, ...rest } = n;
  return rest;
}

function splitQualified(q: string): [string, string] {
  const i = q.indexOf('/');
  return i < 0 ? ['', q] : [q.slice(0, i), q.slice(i + 1)];
}

function labelOf(id: string, p: Peer): string {
  const kind = kindOfId(id);
  if (kind === 'world') return id.slice('world:'.length);
  if (kind === 'kube-apiserver') return 'kube-apiserver';
  if (kind === 'host' || kind === 'remote-node') return `${kind} ${p.node ?? p.ip}`;
  if (kind === 'unknown') return p.ip;
  // workload:ns/Kind/name, service:ns/name, pod:ns/name → the last segment
  return id.slice(id.lastIndexOf('/') + 1);
}
