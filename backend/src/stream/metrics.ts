// `GET /metrics`: Prometheus text via prom-client, on a registry of our own (no process-wide
// default state, so two flowlens instances in one test process do not collide). The flow
// counters are tallied on the hot path in plain records and handed to prom-client when scraped
// (its labelled inc hashes the labels on every call); gauges read the current state then too.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

export interface MetricsSources {
  hubbleConnected: () => boolean;
  kubernetesSynced: () => boolean;
  flowsPerSecond: () => number;
  clients: () => number;
  mapSize: () => { nodes: number; edges: number };
  historyFlows: () => number;
  /** Estimated bytes held in history, and the bound. */
  historyBytes?: () => number;
  historyMaxBytes?: () => number;
  streamRowsSkipped: () => number;
  streamClientsDropped: () => number;
  /** Malformed and oversized WebSocket messages from clients. */
  streamBadMessages?: () => number;
  /** Bytes queued on all WebSocket client sockets. */
  streamBufferedBytes?: () => number;
  lostEvents: () => number;
  malformedFlows: () => number;
  historyEvicted: () => number;
  /** Flows evicted before an export reading history reached them. */
  historyEvictedUnread?: () => number;
  /** Clients waiting for their new view's history to be folded in. */
  streamSubscribesWaiting?: () => number;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly flows: Counter<'verdict'>;
  private readonly drops: Counter<'reason'>;
  /** Flows by verdict and drops by reason since the last scrape. */
  private byVerdict: Record<string, number> = {};
  private byReason: Record<string, number> = {};

  constructor(src: MetricsSources) {
    const registers = [this.registry];
    // The process' own figures (RSS, heap, event-loop lag, GC time), as every Node exporter
    // has them: what an operator checks first when the dashboard's memory grows.
    collectDefaultMetrics({ register: this.registry });
    this.flows = new Counter({
      name: 'flowlens_flows_total',
      help: 'Flows received from the Hubble source, by verdict.',
      labelNames: ['verdict'],
      registers,
      collect: () => {
        for (const [verdict, n] of Object.entries(this.byVerdict)) this.flows.inc({ verdict }, n);
        this.byVerdict = {};
      },
    });
    this.drops = new Counter({
      name: 'flowlens_drops_total',
      help: 'Dropped flows by drop reason.',
      labelNames: ['reason'],
      registers,
      collect: () => {
        for (const [reason, n] of Object.entries(this.byReason)) this.drops.inc({ reason }, n);
        this.byReason = {};
      },
    });
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge('flowlens_hubble_connected', '1 while the Hubble stream is live.', () =>
      src.hubbleConnected() ? 1 : 0,
    );
    gauge('flowlens_kubernetes_synced', '1 once the cluster model is synced.', () =>
      src.kubernetesSynced() ? 1 : 0,
    );
    gauge('flowlens_flows_per_second', 'Flow rate over the last seconds.', src.flowsPerSecond);
    gauge('flowlens_stream_clients', 'Connected WebSocket clients.', src.clients);
    gauge('flowlens_map_nodes', 'Nodes on the live service map.', () => src.mapSize().nodes);
    gauge('flowlens_map_edges', 'Edges on the live service map.', () => src.mapSize().edges);
    gauge('flowlens_history_flows', 'Flows held in history.', src.historyFlows);
    gauge(
      'flowlens_history_bytes',
      'Estimated bytes held in history.',
      () => src.historyBytes?.() ?? 0,
    );
    gauge(
      'flowlens_history_max_bytes',
      'The history bound in estimated bytes.',
      () => src.historyMaxBytes?.() ?? 0,
    );
    gauge(
      'flowlens_history_evicted',
      'Flows pushed out of history by its limits.',
      src.historyEvicted,
    );
    gauge(
      'flowlens_history_evicted_unread',
      'Flows evicted before an export reading history reached them.',
      () => src.historyEvictedUnread?.() ?? 0,
    );
    gauge(
      'flowlens_stream_subscribes_waiting',
      "Clients waiting for their new view's history to be folded in.",
      () => src.streamSubscribesWaiting?.() ?? 0,
    );
    gauge(
      'flowlens_stream_rows_skipped',
      'Flow rows sampled away for slow clients.',
      src.streamRowsSkipped,
    );
    gauge(
      'flowlens_stream_clients_dropped',
      'Clients disconnected as stalled or dead.',
      src.streamClientsDropped,
    );
    gauge(
      'flowlens_stream_bad_messages',
      'Malformed or oversized WebSocket client messages.',
      () => src.streamBadMessages?.() ?? 0,
    );
    gauge(
      'flowlens_stream_buffered_bytes',
      'Bytes queued on WebSocket client sockets.',
      () => src.streamBufferedBytes?.() ?? 0,
    );
    gauge('flowlens_hubble_lost_events', 'Events Hubble reported lost.', src.lostEvents);
    gauge('flowlens_malformed_flows', 'Flows that could not be decoded.', src.malformedFlows);
  }

  countFlow(verdict: string, dropReason?: string): void {
    this.byVerdict[verdict] = (this.byVerdict[verdict] ?? 0) + 1;
    if (dropReason) this.byReason[dropReason] = (this.byReason[dropReason] ?? 0) + 1;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
