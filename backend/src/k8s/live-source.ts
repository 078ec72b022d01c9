// The live Kubernetes source: one list → watch loop per resource (resource-watch.ts), all
// feeding one ClusterModel, with the sync state of each reported as data for /api/status.
// A resource that is forbidden, absent (CRD not installed) or failing degrades only itself.
import type { KubeConfig } from '@kubernetes/client-node';
import type { BackoffOptions } from '../shared/backoff.ts';
import type { ClusterModel, ResourceKind } from './cluster-model.ts';
import { makeListers, RESOURCES } from './resources.ts';
import type { Lister } from './resources.ts';
import { ResourceWatch } from './resource-watch.ts';
import type { ResourceState, ResourceStatus } from './resource-watch.ts';

export type { ResourceState, ResourceStatus } from './resource-watch.ts';

export type KubernetesState = 'connecting' | 'synced' | 'degraded' | 'failed';

export interface KubernetesStatus {
  /**
   * connecting: some resource has not finished its first list yet; synced: every resource is
   * current (an uninstalled Cilium CRD counts as fine); degraded: synced, but some resource is
   * forbidden, failing or reconnecting; failed: no resource could be read at all.
   */
  state: KubernetesState;
  /** Every readable resource has completed its first list. Stays true once reached. */
  synced: boolean;
  /** Objects of the watched kinds in the model. */
  objects: number;
  /** The most recent error of any resource, prefixed with its kind. */
  lastError?: string;
  resources: ResourceStatus[];
}

export interface KubernetesSourceOptions {
  kubeConfig: KubeConfig;
  model: ClusterModel;
  /** Per-resource retry backoff; default 1 s doubling to 60 s, jittered. */
  backoff?: BackoffOptions;
  /** Watch only these kinds (default: all of RESOURCES). */
  kinds?: readonly ResourceKind[];
  /** Items per list page (limit/continue); 0 lists in one response. Default 500. */
  pageSize?: number;
  /** Server-side watch timeout, jittered up to twice this. Default 300. */
  watchTimeoutSeconds?: number;
  /** A watch closed sooner than this, having sent nothing, counts as a failure. Default 1000. */
  minHealthyWatchMs?: number;
  now?: () => number;
  random?: () => number;
  /** Called when any resource's state changes (for logs and pushing status to clients). */
  onStatus?: (status: KubernetesStatus) => void;
  /** Replaces the client-node list calls (tests of this module only). */
  listers?: Map<ResourceKind, Lister>;
}

const BLOCKING: ReadonlySet<ResourceState> = new Set(['syncing', 'retrying']);

export class KubernetesSource {
  private readonly watches: ResourceWatch[];
  private readonly model: ClusterModel;
  private everSynced = false;
  private started = false;
  private lastError: string | undefined;
  private readonly waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(private readonly opts: KubernetesSourceOptions) {
    const pageSize = opts.pageSize ?? 500;
    const watchTimeoutSeconds = opts.watchTimeoutSeconds ?? 300;
    if (!Number.isInteger(pageSize) || pageSize < 0) {
      throw new RangeError(`pageSize must be a whole number >= 0, got ${pageSize}`);
    }
    if (!(watchTimeoutSeconds > 0)) {
      throw new RangeError(`watchTimeoutSeconds must be > 0, got ${watchTimeoutSeconds}`);
    }
    const kinds = opts.kinds ?? RESOURCES.map((r) => r.kind);
    for (const k of kinds) {
      if (!RESOURCES.some((r) => r.kind === k)) throw new RangeError(`unknown resource kind ${k}`);
    }
    this.model = opts.model;
    const listers = opts.listers ?? makeListers(opts.kubeConfig);
    const now = opts.now ?? Date.now;
    this.watches = RESOURCES.filter((def) => kinds.includes(def.kind)).map(
      (def) =>
        new ResourceWatch({
          kubeConfig: opts.kubeConfig,
          model: opts.model,
          def,
          list: listers.get(def.kind)!,
          backoff: opts.backoff ?? { initialMs: 1000, maxMs: 60_000 },
          pageSize,
          watchTimeoutSeconds,
          minHealthyWatchMs: opts.minHealthyWatchMs ?? 1000,
          now,
          random: opts.random ?? Math.random,
          onChange: () => this.changed(def.kind),
        }),
    );
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const w of this.watches) w.start();
  }

  /** Stops every list and watch and clears every timer; the model keeps what it has. */
  stop(): void {
    this.started = false;
    for (const w of this.watches) w.stop();
    for (const w of this.waiters.splice(0)) {
      w.reject(new Error('kubernetes source stopped before it synced'));
    }
  }

  /** Resolves once every readable resource has completed its first list. */
  whenSynced(): Promise<void> {
    if (this.everSynced) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  get synced(): boolean {
    return this.everSynced;
  }

  status(): KubernetesStatus {
    const resources = this.watches.map((w) => w.status());
    const objects = resources.reduce((n, r) => n + r.objects, 0);
    const s: KubernetesStatus = {
      state: this.state(),
      synced: this.everSynced,
      objects,
      resources,
    };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  private state(): KubernetesState {
    if (!this.everSynced) {
      const pending = this.watches.some((w) => !w.synced && BLOCKING.has(w.currentState));
      return pending || !this.started ? 'connecting' : 'failed';
    }
    const fine = this.watches.every(
      (w) =>
        w.currentState === 'synced' ||
        (w.currentState === 'absent' && RESOURCES.find((r) => r.kind === w.kind)?.crd === true),
    );
    return fine ? 'synced' : 'degraded';
  }

  private changed(kind: ResourceKind): void {
    const w = this.watches.find((x) => x.kind === kind);
    const err = w?.status().lastError;
    if (err !== undefined) this.lastError = `${kind}: ${err}`;
    if (!this.everSynced && this.isSynced()) {
      this.everSynced = true;
      for (const waiter of this.waiters.splice(0)) waiter.resolve();
    }
    this.opts.onStatus?.(this.status());
  }

  /**
   * Every resource has either listed once or settled in a state no retry soon will change
   * (forbidden, absent, failed), and at least one listed: an API server that refuses
   * everything must not look like an empty, healthy cluster.
   */
  private isSynced(): boolean {
    let any = false;
    for (const w of this.watches) {
      if (w.synced) any = true;
      else if (BLOCKING.has(w.currentState)) return false;
    }
    return any;
  }
}
