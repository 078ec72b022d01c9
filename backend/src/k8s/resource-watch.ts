// One resource's list → watch loop, feeding the ClusterModel.
//
// Built on client-node's `Watch` (the streaming HTTP request, with the KubeConfig's auth) and
// the generated list calls, not on `makeInformer`. The informer keeps its own second copy of
// every object, gives no signal when its initial list has been applied, keeps going after
// stop() when stop() lands during a list or while a watch request is connecting, reports its
// own aborts as errors, and swallows exceptions thrown by our handlers. Owning the loop lets the
// initial list go through `model.replace` (so a relist after 410 diffs instead of duplicating),
// lets the model be the only cache, and keeps resourceVersion handling in this one place.
import { Watch } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { Backoff } from '../shared/backoff.ts';
import type { BackoffOptions } from '../shared/backoff.ts';
import type { ClusterModel, WatchEventType } from './cluster-model.ts';
import type { KubeObject } from './objects.ts';
import { toKubeObject } from './convert.ts';
import { classify, isApiStatus, verdictForStatus } from './api-errors.ts';
import type { Verdict } from './api-errors.ts';
import { collectionPath } from './resources.ts';
import type { Lister, RawList, ResourceDef } from './resources.ts';

export type ResourceState = 'syncing' | 'synced' | 'retrying' | 'forbidden' | 'absent' | 'failed';

export interface ResourceStatus {
  kind: ResourceDef['kind'];
  state: ResourceState;
  /** Objects of this kind in the model. */
  objects: number;
  lastError?: string;
  /** Milliseconds until the next attempt, while one is scheduled. */
  retryInMs?: number;
  /** When the last complete list was applied (RFC 3339). */
  lastSyncAt?: string;
  /** Complete lists applied (the first sync plus every relist). */
  lists: number;
  /** Watch events applied or accepted (bookmarks included). */
  events: number;
  /** Failed lists and watches. */
  errors: number;
  /** Objects or events that could not be read and were skipped. */
  badObjects: number;
}

export interface ResourceWatchOptions {
  kubeConfig: KubeConfig;
  model: ClusterModel;
  def: ResourceDef;
  list: Lister;
  backoff: BackoffOptions;
  /** Items per list page; 0 lists everything in one response. */
  pageSize: number;
  /** Server-side watch timeout; each watch asks for this to twice this, jittered. */
  watchTimeoutSeconds: number;
  /** A watch that closes sooner than this without an event is treated as a failure. */
  minHealthyWatchMs: number;
  now: () => number;
  random: () => number;
  /** Called whenever state, lastError or retry timing change (not on every event). */
  onChange: () => void;
}

export class ResourceWatch {
  private state: ResourceState = 'syncing';
  private everSynced = false;
  private resourceVersion = '';
  private lastError: string | undefined;
  private lastSyncAt: number | undefined;
  private retryAt: number | undefined;
  private counters = { lists: 0, events: 0, errors: 0, badObjects: 0 };
  private readonly backoff: Backoff;
  private readonly watcher: Watch;
  /** Bumped by every new list or watch and by stop(): callbacks of older ones are ignored. */
  private generation = 0;
  private running = false;
  /** 410s in a row without a healthy watch in between; the first relists at once. */
  private expiredInARow = 0;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private listAbort: AbortController | undefined;
  private watchAbort: AbortController | undefined;

  constructor(private readonly opts: ResourceWatchOptions) {
    this.backoff = new Backoff({ random: opts.random, ...opts.backoff });
    this.watcher = new Watch(opts.kubeConfig);
  }

  get kind() {
    return this.opts.def.kind;
  }

  /** Has applied a complete list at least once (stays true through later relists). */
  get synced(): boolean {
    return this.everSynced;
  }

  get currentState(): ResourceState {
    return this.state;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.relist();
  }

  stop(): void {
    this.running = false;
    this.generation += 1;
    this.clearTimers();
    this.listAbort?.abort();
    this.watchAbort?.abort();
    this.listAbort = this.watchAbort = undefined;
  }

  status(): ResourceStatus {
    const s: ResourceStatus = {
      kind: this.kind,
      state: this.state,
      objects: this.opts.model.counts()[this.kind] ?? 0,
      ...this.counters,
    };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    if (this.retryAt !== undefined) s.retryInMs = Math.max(0, this.retryAt - this.opts.now());
    if (this.lastSyncAt !== undefined) s.lastSyncAt = new Date(this.lastSyncAt).toISOString();
    return s;
  }

  private relist(): void {
    // list() settles every outcome itself (it never rejects); nothing awaits a relist.
    void this.list();
  }

  private async list(): Promise<void> {
    const gen = ++this.generation;
    this.clearTimers();
    this.watchAbort?.abort();
    this.watchAbort = undefined;
    if (this.state !== 'synced') this.setState('syncing');
    const abort = new AbortController();
    this.listAbort = abort;
    const items: KubeObject[] = [];
    let resourceVersion: string | undefined;
    let cont: string | undefined;
    try {
      do {
        const params = this.opts.pageSize > 0 ? { limit: this.opts.pageSize } : {};
        const page = await this.opts.list(
          cont ? { ...params, _continue: cont } : params,
          abort.signal,
        );
        if (gen !== this.generation) return;
        const meta = listMeta(page);
        for (const raw of Array.isArray(page.items) ? page.items : []) {
          const obj = toKubeObject(this.kind, raw);
          if (typeof obj === 'string') this.counters.badObjects += 1;
          else items.push(obj);
        }
        // Every page of one list carries the same snapshot resourceVersion.
        resourceVersion = meta.resourceVersion;
        cont = meta.continue;
      } while (cont);
    } catch (err) {
      if (gen !== this.generation) return;
      this.failed(classify(err), 'list');
      return;
    } finally {
      if (this.listAbort === abort) this.listAbort = undefined;
    }
    this.opts.model.replace(this.kind, items);
    this.resourceVersion = resourceVersion ?? '';
    this.counters.lists += 1;
    this.lastSyncAt = this.opts.now();
    this.everSynced = true;
    this.lastError = undefined;
    this.setState('synced');
    this.watch();
  }

  private watch(): void {
    const gen = ++this.generation;
    this.clearTimers();
    this.watchAbort?.abort();
    this.watchAbort = undefined;
    const opened = this.opts.now();
    let delivered = false;
    let ended = false;
    let errorEvent: Verdict | undefined;
    const timeout = Math.round(this.opts.watchTimeoutSeconds * (1 + this.opts.random()));
    const params = {
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: timeout,
    };
    const onEvent = (type: string, object: unknown) => {
      if (gen !== this.generation) return;
      // client-node calls this inside its own try/catch and drops what we throw, silently;
      // catching here is what makes a bad event visible (counted) instead of lost.
      try {
        const verdict = this.event(type, object);
        if (verdict) errorEvent = verdict;
        else delivered = true;
      } catch {
        this.counters.badObjects += 1;
      }
    };
    const onDone = (err: unknown) => {
      ended = true;
      if (gen !== this.generation) return;
      this.watchAbort = undefined;
      if (errorEvent) return this.failed(errorEvent, 'watch');
      if (err) return this.failed(classify(err), 'watch');
      // A clean close: the server's timeoutSeconds, or a proxy dropping the connection. Resume
      // from the last resourceVersion. A watch that closed at once without sending anything is
      // a server or proxy in trouble; back off rather than spin.
      if (delivered || this.opts.now() - opened >= this.opts.minHealthyWatchMs) {
        this.healthy();
        this.watch();
      } else {
        this.lastError = 'watch: closed by the server at once';
        this.retryAfter(this.backoff.next(), () => this.watch(), 'retrying');
      }
    };
    // A watch that neither ends nor delivers past its own timeout sits on a half-open
    // connection (a NAT or proxy forgot it); only abandoning it brings events back.
    this.watchdog = setTimeout(
      () => {
        if (gen !== this.generation) return;
        this.generation += 1;
        this.watchAbort?.abort();
        this.watchAbort = undefined;
        this.watch();
      },
      (timeout + 30) * 1000,
    );
    this.watcher.watch(collectionPath(this.opts.def), params, onEvent, onDone).then(
      (ctl) => {
        // Watch resolves only once the response headers arrive; a stop() or newer watch in
        // between must still close this one, or its socket and events would leak.
        if (gen !== this.generation || ended) {
          ctl.abort();
          return;
        }
        this.watchAbort = ctl;
        // Connected again after a failed watch: the model is current once more.
        if (this.state === 'retrying' && this.everSynced) {
          this.lastError = undefined;
          this.setState('synced');
        }
      },
      (err: unknown) => onDone(err),
    );
  }

  /** Applies one watch event; returns a verdict for an ERROR event. */
  private event(type: string, object: unknown): Verdict | undefined {
    if (type === 'ERROR') {
      const status = isApiStatus(object) ? object : undefined;
      return verdictForStatus(
        status?.code,
        `watch: ${status?.message ?? status?.reason ?? 'ERROR event without a Status'}`,
      );
    }
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED' && type !== 'BOOKMARK') {
      this.counters.badObjects += 1;
      return undefined;
    }
    const obj = toKubeObject(this.kind, object);
    // A bookmark carries only a resourceVersion; everything else needs a whole object.
    const rv = typeof obj === 'string' ? bookmarkVersion(object) : obj.metadata.resourceVersion;
    if (type === 'BOOKMARK') {
      if (rv) this.resourceVersion = rv;
    } else if (typeof obj === 'string') {
      this.counters.badObjects += 1;
      return undefined;
    } else {
      this.opts.model.apply(this.kind, type as WatchEventType, obj);
      if (rv) this.resourceVersion = rv;
    }
    this.counters.events += 1;
    this.healthy();
    return undefined;
  }

  /** The watch works: later failures start their backoff from the beginning again. */
  private healthy(): void {
    if (this.backoff.attempts > 0 || this.expiredInARow > 0) {
      this.backoff.reset();
      this.expiredInARow = 0;
    }
  }

  private failed(verdict: Verdict, during: 'list' | 'watch'): void {
    this.counters.errors += 1;
    this.lastError = `${during}: ${verdict.message}`;
    switch (verdict.kind) {
      case 'expired':
        // The resourceVersion is gone from the server's history: only a fresh list is correct.
        // Once at once (the normal case after a long disconnect); in a row, back off.
        this.resourceVersion = '';
        this.expiredInARow += 1;
        if (this.expiredInARow === 1) {
          this.relist();
          return;
        }
        this.retryAfter(this.backoff.next(), () => this.relist(), 'retrying');
        return;
      case 'absent':
        // Not served (CRD not installed, or uninstalled under us): there are none.
        this.opts.model.replace(this.kind, []);
        this.retryAfter(this.backoff.next(), () => this.relist(), 'absent');
        return;
      case 'forbidden':
      case 'failed':
        this.retryAfter(this.backoff.next(), () => this.relist(), verdict.kind);
        return;
      case 'transient':
        // A dropped or refused watch resumes from where it was; a 410 answer will send it to
        // a relist if that is too old by then.
        if (during === 'watch' && this.resourceVersion) {
          this.retryAfter(this.backoff.next(), () => this.watch(), 'retrying');
        } else {
          this.retryAfter(this.backoff.next(), () => this.relist(), 'retrying');
        }
    }
  }

  private retryAfter(ms: number, again: () => void, state: ResourceState): void {
    this.clearTimers();
    if (!this.running) return;
    this.retryAt = this.opts.now() + ms;
    const gen = ++this.generation;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.retryAt = undefined;
      if (gen === this.generation && this.running) again();
    }, ms);
    // Forced: a new retry time is a status change even when the state name is not.
    this.setState(state, true);
  }

  private setState(state: ResourceState, force = false): void {
    if (this.state === state && !force) return;
    this.state = state;
    if (state === 'synced') this.retryAt = undefined;
    this.opts.onChange();
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.watchdog) clearTimeout(this.watchdog);
    this.timer = this.watchdog = undefined;
    this.retryAt = undefined;
  }
}

function listMeta(list: RawList): { resourceVersion: string; continue?: string } {
  const meta = (list.metadata ?? {}) as {
    resourceVersion?: unknown;
    continue?: unknown;
    _continue?: unknown;
  };
  const rv = typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '';
  // Typed lists name it `_continue`, raw custom-object lists `continue`.
  const cont = meta._continue ?? meta.continue;
  return typeof cont === 'string' && cont !== ''
    ? { resourceVersion: rv, continue: cont }
    : { resourceVersion: rv };
}

function bookmarkVersion(object: unknown): string | undefined {
  const meta = (object as { metadata?: { resourceVersion?: unknown } } | null)?.metadata;
  return typeof meta?.resourceVersion === 'string' ? meta.resourceVersion : undefined;
}
