// Wires one flowlens process together: a flow source (a real Relay, or the built-in
// Hubble-compatible server fed by the demo or a recording), the Hubble client, the recorder and
// the HTTP server. Demo and replay go through real gRPC on loopback, exactly like a live Relay.
import { HubbleClient } from './hubble/client.ts';
import type { ConnectionState, HubbleTLSOptions, HubbleTransport } from './hubble/client.ts';
import { HubbleServer } from './hubble/server.ts';
import { FlowHistory } from './hubble/flow-history.ts';
import { loadReplayFile } from './hubble/replay-file.ts';
import type { FlowRecord } from './hubble/types.ts';
import { DemoSource } from './demo/demo-source.ts';
import type { Lab } from './demo/lab.ts';
import { Recorder } from './store/recorder.ts';
import { HttpServer } from './stream/http-server.ts';
import { RateMeter } from './shared/rate-meter.ts';
import { ClusterModel } from './k8s/cluster-model.ts';
import { formatProblem, loadManifests } from './k8s/manifests.ts';
import { KubeConfigError, loadKubeConfig } from './k8s/kubeconfig.ts';
import { KubernetesSource } from './k8s/live-source.ts';
import type { ManifestLoadResult } from './k8s/manifests.ts';
import { loadLab } from './demo/lab-model.ts';
import { LabSteps, StepError } from './demo/steps.ts';
import { modelReadiness, policyJudge } from './demo/judge.ts';
import { BadRequest, type Route } from './stream/http-server.ts';
import { Enricher } from './enrich/enrich.ts';
import {
  PolicyEngine,
  PolicyInputError,
  queryFromFlow,
  queryFromRequest,
  type Explanation,
  type Lang,
} from './policy/index.ts';
import { ServiceMap } from './map/service-map.ts';
import { FlowStore } from './store/flow-store.ts';
import { HeapBudget } from './store/heap-budget.ts';
import { ReplayPacer } from './store/replay-pacer.ts';
import { apiRoutes } from './stream/api.ts';
import { Auth, originAllowed } from './stream/auth.ts';
import { Metrics } from './stream/metrics.ts';
import { HistoryFolder } from './stream/history-fold.ts';
import { StreamHub } from './stream/ws-hub.ts';
import { VERSION } from './version.ts';

/** `offline`: a cluster model from manifests and no flow source. */
export type Mode = 'demo' | 'live' | 'replay' | 'offline';

export interface AppOptions {
  mode: Mode;
  host: string;
  port: number;
  /** live: the Relay to connect to. */
  hubbleAddress?: string;
  hubbleTLS?: HubbleTLSOptions;
  /** How the flow stream is read (HubbleClient's `transport`); the client picks when absent. */
  hubbleTransport?: HubbleTransport;
  /** demo: the lab to simulate. */
  lab?: Lab;
  seed?: number;
  /** replay: the recording to serve, and how fast (1 = original pace; default all at once). */
  replayFile?: string;
  replaySpeed?: number;
  recordMaxBytes?: number;
  recordFile?: string;
  /** Offline cluster model from these YAML files or folders. */
  manifests?: string[];
  /**
   * Live cluster model. `explicit`: the user asked for it (a missing kubeconfig is an error);
   * otherwise it is tried quietly (a missing kubeconfig just means no model).
   */
  kubernetes?: { kubeconfig?: string; inCluster: boolean; explicit: boolean };
  /** History limits (flows, estimated bytes). */
  historyFlows?: number;
  historyBytes?: number;
  /**
   * A soft budget for the JS heap (store/heap-budget.ts): it steers V8's collections, which is
   * process-wide, so only the command line sets it.
   */
  heapBudgetBytes?: number;
  uiDir?: string;
  /** Require this bearer token for the API, the stream and the UI. */
  token?: string;
  /** Stream tuning, mostly for tests. */
  stream?: {
    tickMs?: number;
    heartbeatMs?: number;
    maxRowsPerDelta?: number;
    highWaterBytes?: number;
    stalledMs?: number;
    maxBufferedBytes?: number;
  };
  /** Called for every flow that reaches the pipeline (tests, later stages). */
  onFlow?: (rec: FlowRecord) => void;
  log?: (msg: string) => void;
}

const LOCAL_HISTORY = 50_000;

export class App {
  private readonly opts: AppOptions;
  private readonly log: (msg: string) => void;
  private readonly rate = new RateMeter();
  private localServer: HubbleServer | undefined;
  private demo: DemoSource | undefined;
  private client: HubbleClient | undefined;
  private recorder: Recorder | undefined;
  private http: HttpServer | undefined;
  private replaySkipped = 0;
  private replayCapacity = LOCAL_HISTORY;
  private synced = false;
  private manifestResult: ManifestLoadResult | undefined;
  private kube: KubernetesSource | undefined;
  private kubeOrigin: string | undefined;
  private kubeSkipped: string | undefined;
  /** What flowlens knows of the cluster; empty until a cluster source is configured. */
  readonly model = new ClusterModel();
  readonly enricher: Enricher<Explanation>;
  readonly engine: PolicyEngine;
  readonly store: FlowStore;
  private readonly folder: HistoryFolder;
  private heapBudget: HeapBudget | undefined;
  readonly liveMap = new ServiceMap();
  private mapTimer: NodeJS.Timeout | undefined;
  private pacer: ReplayPacer | undefined;
  /** Demo mode: the lab's steps. */
  steps: LabSteps | undefined;
  readonly hub: StreamHub;
  readonly metrics: Metrics;
  private readonly auth: Auth;
  /** Where the HTTP server listens, once started. */
  address: { host: string; port: number } | undefined;

  constructor(opts: AppOptions) {
    this.opts = opts;
    this.log = opts.log ?? ((m) => console.error(m));
    this.engine = new PolicyEngine(this.model);
    this.enricher = new Enricher<Explanation>({
      model: this.model,
      explain: (f) => {
        const q = queryFromFlow(this.model, f);
        return q ? this.engine.explain(q) : undefined;
      },
    });
    this.store = new FlowStore({ maxFlows: opts.historyFlows, maxBytes: opts.historyBytes });
    this.auth = new Auth(opts.token);
    this.folder = new HistoryFolder(this.store);
    this.hub = new StreamHub({
      store: this.store,
      folder: this.folder,
      version: VERSION,
      mode: () => this.opts.mode,
      status: () => this.status(),
      explain: (f, lang) => {
        const q = queryFromFlow(this.model, f);
        return q ? this.engine.explain(q, lang) : undefined;
      },
      authorize: (req) => {
        if (!originAllowed(req)) {
          return { ok: false, status: 403, reason: 'WebSocket from another origin refused' };
        }
        if (!this.auth.allows(req)) return { ok: false, status: 401, reason: 'token required' };
        return { ok: true };
      },
      ...opts.stream,
    });
    this.metrics = new Metrics({
      hubbleConnected: () => this.client?.state.state === 'live',
      kubernetesSynced: () => this.kubernetesStatus().synced === true,
      flowsPerSecond: () => this.rate.perSecond(),
      clients: () => this.hub.stats.clients,
      mapSize: () => this.liveMap.size,
      historyFlows: () => this.store.stats.flows,
      historyBytes: () => this.store.stats.bytes,
      historyMaxBytes: () => this.store.stats.maxBytes,
      historyEvicted: () => this.store.stats.evicted,
      historyEvictedUnread: () => this.store.stats.evictedUnread,
      streamSubscribesWaiting: () => this.hub.stats.subscribesWaiting,
      streamRowsSkipped: () => this.hub.stats.rowsSkipped,
      streamClientsDropped: () => this.hub.stats.clientsDropped,
      streamBadMessages: () => {
        const st = this.hub.stats;
        return st.badMessages + st.oversizedMessages;
      },
      streamBufferedBytes: () => this.hub.stats.bufferedBytes,
      lostEvents: () =>
        Object.values(this.client?.stats.lostEvents ?? {}).reduce((a, b) => a + Number(b), 0),
      malformedFlows: () => this.client?.stats.malformed ?? 0,
    });
    this.model.onChange((c) => {
      const e = { timeMs: c.time, revision: c.revision, type: c.type, kind: c.kind, name: c.name };
      this.store.recordChange(c.namespace ? { ...e, namespace: c.namespace } : e);
    });
  }

  async start(): Promise<void> {
    if (this.opts.heapBudgetBytes) this.heapBudget = new HeapBudget(this.opts.heapBudgetBytes);
    await this.startCluster();
    if (this.opts.mode !== 'offline') await this.startFlows();
    this.http = new HttpServer({
      host: this.opts.host,
      port: this.opts.port,
      uiDir: this.opts.uiDir,
      status: () => this.status(),
      ready: () => this.ready(),
      auth: this.auth,
      routes: {
        ...apiRoutes({
          store: this.store,
          liveMap: this.liveMap,
          folder: this.folder,
          model: this.model,
          replay: () => this.pacer,
          // Only when the model came from manifests: their text is each policy's own.
          ...(this.manifestResult ? { manifests: this.opts.manifests } : {}),
        }),
        ...this.demoRoutes(),
        '/api/explain': {
          method: 'POST',
          handle: ({ body }) => {
            const b = (body ?? {}) as Record<string, unknown>;
            const lang = b['lang'] ?? 'en';
            if (lang !== 'en' && lang !== 'ko') throw new BadRequest('lang must be en or ko');
            for (const k of ['from', 'to', 'port']) {
              if (typeof b[k] !== 'string' && typeof b[k] !== 'number') {
                throw new BadRequest(`body needs "${k}" (see README, POST /api/explain)`);
              }
            }
            const http = b['http'] as { method?: unknown; path?: unknown } | undefined;
            try {
              const q = queryFromRequest(this.model, {
                from: String(b['from']),
                to: String(b['to']),
                port: b['port'] as string | number,
                ...(http && typeof http.method === 'string' && typeof http.path === 'string'
                  ? { http: { method: http.method.toUpperCase(), path: http.path } }
                  : {}),
              });
              return { json: this.engine.explain(q, lang as Lang) };
            } catch (err) {
              if (err instanceof PolicyInputError) throw new BadRequest(err.message);
              throw err;
            }
          },
        },
        '/metrics': {
          method: 'GET',
          handle: async () => ({ text: await this.metrics.text(), type: this.metrics.contentType }),
        },
      },
    });
    this.hub.attach(this.http.raw);
    this.address = await this.http.listen();
    // Rates and idle expiry advance on a tick even when nobody is watching.
    this.mapTimer = setInterval(() => this.liveMap.flush(Date.now()), 1000);
    this.mapTimer.unref();
  }

  /** `GET /api/demo` and `POST /api/demo/step {"step": n | "next" | "prev"}`. */
  private demoRoutes(): Record<string, Route> {
    const steps = () => {
      if (!this.steps) throw new BadRequest('not in demo mode: there are no lab steps');
      return this.steps;
    };
    return {
      '/api/demo': { method: 'GET', handle: () => ({ json: steps().state() }) },
      '/api/demo/step': {
        method: 'POST',
        handle: ({ body }) => {
          const s = steps();
          const want = (body as { step?: unknown } | undefined)?.step;
          const n = want === 'next' ? s.current + 1 : want === 'prev' ? s.current - 1 : want;
          if (typeof n !== 'number') {
            throw new BadRequest('body must be {"step": N} or {"step": "next" | "prev"}');
          }
          try {
            return { json: s.goTo(n) };
          } catch (err) {
            if (err instanceof StepError) throw new BadRequest(err.message);
            throw err;
          }
        },
      },
    };
  }

  private async startCluster(): Promise<void> {
    if (this.opts.mode === 'demo' && this.opts.lab) {
      loadLab(this.opts.lab, this.model);
      this.steps = new LabSteps(this.opts.lab, this.model);
      return;
    }
    const k8s = this.opts.kubernetes;
    if (k8s) {
      let loaded;
      try {
        loaded = loadKubeConfig({ kubeconfig: k8s.kubeconfig, inCluster: k8s.inCluster });
      } catch (err) {
        if (!(err instanceof KubeConfigError)) throw err;
        // Asked for explicitly: a real error. Tried by default: flows without a model.
        if (k8s.explicit) throw err;
        this.kubeSkipped = err.message;
        this.log(`flowlens: no cluster model (${err.message})`);
        return;
      }
      this.kubeOrigin = loaded.origin;
      this.kube = new KubernetesSource({
        kubeConfig: loaded.config,
        model: this.model,
        onStatus: (s) => {
          if (s.lastError) this.log(`flowlens: kubernetes ${s.state}: ${s.lastError}`);
        },
      });
      this.kube.start();
      this.log(`flowlens: watching ${loaded.server} (${loaded.origin})`);
      return;
    }
    const paths = this.opts.manifests;
    if (!paths?.length) return;
    const res = await loadManifests(paths, this.model);
    this.manifestResult = res;
    for (const p of res.problems.slice(0, 50)) this.log(`flowlens: ${formatProblem(p)}`);
    if (res.problems.length > 50) this.log(`flowlens: … and ${res.problems.length - 50} more`);
    const objects = Object.values(res.loaded).reduce((a, b) => a + b, 0);
    this.log(
      `flowlens: loaded ${objects} objects from ${res.files} manifest files` +
        (res.problems.length ? ` (${res.problems.length} documents skipped)` : ''),
    );
  }

  private ready(): boolean {
    const flowsReady = this.opts.mode === 'offline' || this.synced;
    const k8s = this.kubernetesStatus();
    return flowsReady && (k8s.state === 'disabled' || k8s.synced);
  }

  private async startFlows(): Promise<void> {
    const address = await this.startSource();
    if (this.opts.recordFile) {
      this.recorder = new Recorder(this.opts.recordFile, {
        maxFileBytes: this.opts.recordMaxBytes,
      });
    }
    this.client = new HubbleClient({
      address,
      tls: this.opts.mode === 'live' ? this.opts.hubbleTLS : undefined,
      ...(this.opts.hubbleTransport ? { transport: this.opts.hubbleTransport } : {}),
      // A recording is served whole; from a live source, recent history is enough to start.
      initialHistory: this.opts.mode === 'replay' ? this.replayCapacity : 1000,
      // A recording keeps whole flows (it may be replayed in Hubble's own tools); otherwise ask
      // Relay only for the fields flowlens reads.
      ...(this.opts.recordFile ? { fieldMask: [] } : {}),
      onFlow: (rec) => this.onFlow(rec),
      onState: (s) => this.onState(s),
    });
    this.client.start();
  }

  async stop(): Promise<void> {
    clearInterval(this.mapTimer);
    this.pacer?.stop();
    this.kube?.stop();
    this.hub.close();
    this.heapBudget?.stop();
    this.client?.stop();
    this.demo?.stop();
    await this.http?.close();
    await this.localServer?.close();
    await this.recorder?.close();
  }

  private async startSource(): Promise<string> {
    if (this.opts.mode === 'live') {
      if (!this.opts.hubbleAddress) throw new Error('live mode needs a Hubble address');
      return this.opts.hubbleAddress;
    }
    let history = new FlowHistory(LOCAL_HISTORY);
    if (this.opts.mode === 'replay') {
      const file = this.opts.replayFile as string;
      const loaded = await loadReplayFile(file);
      // The whole recording must fit the server's ring, or the client would miss its start.
      history = new FlowHistory(Math.max(LOCAL_HISTORY, loaded.records.length));
      this.replayCapacity = history.capacity;
      this.replaySkipped = loaded.skipped;
      for (const e of loaded.errors) this.log(`flowlens: ${file}: ${e}`);
      const extra = loaded.nonFlow ? ` (${loaded.nonFlow} non-flow events ignored)` : '';
      this.log(`flowlens: replaying ${loaded.records.length} flows from ${file}${extra}`);
      this.pacer = new ReplayPacer(loaded.records, history, {
        speed: this.opts.replaySpeed ?? Infinity,
      });
      this.pacer.start();
    } else {
      const lab = this.opts.lab as Lab;
      this.demo = new DemoSource(lab, history, {
        seed: this.opts.seed,
        judge: policyJudge(this.model, this.engine),
        isReady: modelReadiness(this.model),
      });
      this.demo.start();
    }
    this.localServer = new HubbleServer({
      history,
      version: `flowlens ${VERSION}`,
      nodes: this.demo ? () => this.demo?.generator.nodeNames ?? [] : undefined,
    });
    const port = await this.localServer.listen('127.0.0.1', 0);
    return `127.0.0.1:${port}`;
  }

  private onFlow(rec: FlowRecord): void {
    this.rate.mark();
    this.recorder?.write(rec);
    const flow = this.enricher.enrich(rec);
    const entry = this.store.add(flow, rec);
    this.liveMap.add(flow, Date.now());
    this.hub.publish(entry.seq, flow);
    this.metrics.countFlow(flow.verdict, flow.dropReason);
    this.opts.onFlow?.(rec);
  }

  private onState(s: ConnectionState): void {
    if (s.state === 'live') this.synced = true;
    const detail =
      s.state === 'retrying' ? `: ${s.lastError}` : s.state === 'failed' ? `: ${s.reason}` : '';
    this.log(`flowlens: hubble ${s.state}${detail}`);
  }

  kubernetesStatus() {
    if (this.kube) {
      const s = this.kube.status();
      return {
        ...s,
        source: 'live',
        origin: this.kubeOrigin,
        revision: this.model.revision,
        counts: this.model.counts(),
      };
    }
    const m = this.manifestResult;
    if (m) {
      const objects = Object.values(this.model.counts()).reduce((a, b) => a + b, 0);
      return {
        state: 'synced',
        source: 'manifests',
        synced: true,
        objects,
        revision: this.model.revision,
        counts: this.model.counts(),
        manifests: {
          files: m.files,
          ignored: m.ignored,
          synthesizedPods: m.synthesizedPods,
          problems: m.problems.map(formatProblem),
        },
      };
    }
    if (this.opts.mode === 'demo') {
      return {
        state: 'synced',
        source: 'demo',
        scenario: this.opts.lab?.name,
        step: this.steps?.current,
        synced: true,
        objects: Object.values(this.model.counts()).reduce((a, b) => a + b, 0),
        revision: this.model.revision,
        counts: this.model.counts(),
      };
    }
    return {
      state: 'disabled',
      source: 'none',
      synced: false,
      objects: 0,
      ...(this.kubeSkipped ? { lastError: this.kubeSkipped } : {}),
    };
  }

  status() {
    const c = this.client;
    const mem = process.memoryUsage();
    const s = c?.state ?? { state: 'stopped' as const };
    const stats = c?.stats;
    return {
      version: VERSION,
      mode: this.opts.mode,
      hubble: {
        state: s.state,
        address: this.opts.mode === 'live' ? this.opts.hubbleAddress : undefined,
        flowsReceived: stats?.flowsReceived ?? 0,
        flowsPerSecond: this.rate.perSecond(),
        lastError: s.state === 'retrying' ? s.lastError : s.state === 'failed' ? s.reason : null,
        retryInMs: s.state === 'retrying' ? Math.max(0, s.retryAt - Date.now()) : undefined,
        reconnects: stats?.reconnects ?? 0,
        duplicatesDropped: stats?.duplicatesDropped ?? 0,
        nodes: c ? [...c.nodes.values()] : [],
        server: c?.serverStatus,
      },
      kubernetes: this.kubernetesStatus(),
      clients: this.hub.stats.clients,
      stream: this.hub.stats,
      dropped: {
        malformedFlows: stats?.malformed ?? 0,
        emptyFrames: stats?.empty ?? 0,
        lastMalformed: stats?.lastMalformed,
        lostEvents: stats?.lostEvents ?? {},
        replayLinesSkipped: this.replaySkipped,
        recorder: this.recorder?.stats.dropped ?? 0,
        // Evicted while an export was reading history, before it got to them.
        exportSkipped: this.store.stats.evictedUnread,
      },
      recorder: this.recorder?.stats,
      history: this.store.stats,
      memory: {
        rssBytes: mem.rss,
        heapUsedBytes: mem.heapUsed,
        // What RSS is made of: V8's heap as reserved, memory V8 tracks outside it (Buffers), and
        // the rest of RSS is native (code, stacks, the allocator's own pages).
        heapTotalBytes: mem.heapTotal,
        externalBytes: mem.external,
        arrayBuffersBytes: mem.arrayBuffers,
        heapBudget: this.heapBudget?.status,
      },
      replay: this.pacer?.progress,
      map: this.liveMap.size,
    };
  }
}
