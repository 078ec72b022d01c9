// A protocol-faithful fake Kubernetes API server for tests, over real HTTP on 127.0.0.1:0:
// lists with a resourceVersion (and limit/continue paging), chunked NDJSON watch streams from a
// resourceVersion, BOOKMARK events, `410 Gone` as a watch ERROR event carrying a real Status,
// 403/404 Status answers for forbidden and absent resources, dropped connections and slowness.
// Test controls change objects (pushing events to open watches) and inject those faults.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type Obj = Record<string, unknown> & {
  metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
};

export interface ResourceInfo {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

interface Stored {
  rv: number;
  obj: Obj;
}

interface Event {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  obj: Obj;
}

interface OpenWatch {
  res: http.ServerResponse;
  plural: string;
  bookmarks: boolean;
}

function status(code: number, reason: string, message: string) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
}

export class FakeApiServer {
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private rv = 100;
  private readonly objects = new Map<string, Map<string, Stored>>();
  private readonly events = new Map<string, Event[]>();
  /** Events older than this resourceVersion are forgotten: watching from before it gets 410. */
  private compactedAt = 0;
  private readonly watches = new Set<OpenWatch>();
  readonly forbidden = new Set<string>();
  readonly absent = new Set<string>();
  /** Plurals whose next N list requests fail with 500. */
  readonly failLists = new Map<string, number>();
  /** Plurals whose watches (not lists) are refused with 403, as RBAC without `watch` does. */
  readonly forbiddenWatch = new Set<string>();
  /** The next N watch requests of any resource end at once with a 410 ERROR event. */
  expireNextWatches = 0;
  /** Plurals whose list answers wait this long (a slow or overloaded API server). */
  readonly listDelayMs = new Map<string, number>();
  delayMs = 0;
  readonly requests: string[] = [];
  private readonly byPlural = new Map<string, ResourceInfo>();
  port = 0;

  constructor(resources: readonly ResourceInfo[]) {
    for (const r of resources) {
      this.byPlural.set(r.plural, r);
      this.objects.set(r.plural, new Map());
      this.events.set(r.plural, []);
    }
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.dropWatches();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  get resourceVersion(): string {
    return String(this.rv);
  }

  get openWatches(): number {
    return this.watches.size;
  }

  // ---- test controls ----

  /** Creates or replaces an object; open watches get ADDED or MODIFIED. */
  upsert(plural: string, obj: Obj): void {
    const store = this.objects.get(plural)!;
    const key = this.key(obj);
    const rv = ++this.rv;
    const stored: Obj = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    const type = store.has(key) ? 'MODIFIED' : 'ADDED';
    store.set(key, { rv, obj: stored });
    this.emit(plural, { rv, type, obj: stored });
  }

  remove(plural: string, name: string, namespace?: string): void {
    const store = this.objects.get(plural)!;
    const key = namespace ? `${namespace}/${name}` : name;
    const old = store.get(key);
    if (!old) return;
    store.delete(key);
    const rv = ++this.rv;
    this.emit(plural, {
      rv,
      type: 'DELETED',
      obj: { ...old.obj, metadata: { ...old.obj.metadata, resourceVersion: String(rv) } },
    });
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watch that asked for them. */
  bookmark(): void {
    for (const w of this.watches) {
      if (!w.bookmarks) continue;
      const info = this.byPlural.get(w.plural)!;
      this.write(w, {
        type: 'BOOKMARK',
        object: {
          kind: info.kind,
          apiVersion: this.apiVersion(info),
          metadata: { resourceVersion: String(this.rv) },
        },
      });
    }
  }

  /** Forgets history: watches resuming from before now get 410 Gone. */
  compact(): void {
    this.compactedAt = this.rv;
    for (const list of this.events.values()) list.length = 0;
  }

  /** Drops every open watch connection without a word, as a restarting API server does. */
  dropWatches(): void {
    for (const w of this.watches) w.res.destroy();
    this.watches.clear();
  }

  /** Cuts every open watch in the middle of an event line, as a connection reset does. */
  truncateWatches(): void {
    for (const w of this.watches) {
      w.res.write('{"type":"MODIFIED","object":{"kind":"Pod","metadata":{"na');
      w.res.destroy();
    }
    this.watches.clear();
  }

  /** Sends a line that is not JSON on every open watch, and keeps the watch open. */
  garbleWatches(): void {
    for (const w of this.watches) w.res.write('this is not json\n');
  }

  /** Ends every open watch with a 410 ERROR event, as the server does when history is gone. */
  expireWatches(): void {
    this.compact();
    for (const w of this.watches) {
      this.write(w, {
        type: 'ERROR',
        object: status(410, 'Expired', `too old resource version: 1 (${this.rv})`),
      });
      w.res.end();
    }
    this.watches.clear();
  }

  // ---- protocol ----

  private apiVersion(r: ResourceInfo): string {
    return r.group ? `${r.group}/${r.version}` : r.version;
  }

  private key(o: Obj): string {
    return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
  }

  private emit(plural: string, e: Event): void {
    this.events.get(plural)!.push(e);
    for (const w of this.watches)
      if (w.plural === plural) this.write(w, { type: e.type, object: e.obj });
  }

  private write(w: OpenWatch, ev: unknown): void {
    if (!w.res.writableEnded) w.res.write(JSON.stringify(ev) + '\n');
  }

  private sendStatus(
    res: http.ServerResponse,
    code: number,
    reason: string,
    message: string,
  ): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(status(code, reason, message)));
  }

  private route(pathname: string): { info: ResourceInfo; namespace?: string } | undefined {
    // /api/v1/pods, /api/v1/namespaces/x/pods, /apis/g/v/plural, /apis/g/v/namespaces/x/plural
    const parts = pathname.split('/').filter(Boolean);
    const rest =
      parts[0] === 'api' ? parts.slice(2) : parts[0] === 'apis' ? parts.slice(3) : undefined;
    if (!rest) return undefined;
    const group = parts[0] === 'apis' ? parts[1]! : '';
    const version = parts[0] === 'apis' ? parts[2]! : parts[1]!;
    let namespace: string | undefined;
    let plural = rest[0];
    if (rest[0] === 'namespaces' && rest.length === 3) {
      namespace = rest[1];
      plural = rest[2];
    } else if (rest.length !== 1) return undefined;
    const info = this.byPlural.get(plural ?? '');
    if (!info || info.group !== group || info.version !== version) return undefined;
    return { info, ...(namespace ? { namespace } : {}) };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const go = () => this.serve(url, req, res);
    if (this.delayMs > 0) setTimeout(go, this.delayMs);
    else go();
  }

  private serve(url: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
    const r = this.route(url.pathname);
    if (!r)
      return this.sendStatus(
        res,
        404,
        'NotFound',
        `the server could not find the requested resource`,
      );
    const { info } = r;
    if (this.absent.has(info.plural)) {
      return this.sendStatus(
        res,
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    }
    if (this.forbidden.has(info.plural)) {
      return this.sendStatus(
        res,
        403,
        'Forbidden',
        `${info.plural}${info.group ? `.${info.group}` : ''} is forbidden: User "system:serviceaccount:flowlens:flowlens" cannot list resource "${info.plural}" in API group "${info.group}" at the cluster scope`,
      );
    }
    if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
      if (this.forbiddenWatch.has(info.plural)) {
        return this.sendStatus(
          res,
          403,
          'Forbidden',
          `${info.plural} is forbidden: User "system:serviceaccount:flowlens:flowlens" cannot watch resource "${info.plural}"`,
        );
      }
      return this.watch(url, r.info, r.namespace, req, res);
    }
    const fails = this.failLists.get(info.plural) ?? 0;
    if (fails > 0) {
      this.failLists.set(info.plural, fails - 1);
      return this.sendStatus(res, 500, 'InternalError', 'etcdserver: request timed out');
    }
    const slow = this.listDelayMs.get(info.plural) ?? 0;
    if (slow > 0) setTimeout(() => this.list(url, info, r.namespace, res), slow);
    else this.list(url, info, r.namespace, res);
  }

  private list(
    url: URL,
    info: ResourceInfo,
    namespace: string | undefined,
    res: http.ServerResponse,
  ): void {
    const all = [...this.objects.get(info.plural)!.values()]
      .filter((s) => !namespace || s.obj.metadata.namespace === namespace)
      .sort((a, b) => a.rv - b.rv);
    const limit = Number(url.searchParams.get('limit') ?? 0);
    const cont = url.searchParams.get('continue');
    let start = 0;
    let listRv = this.rv;
    if (cont) {
      const decoded = JSON.parse(Buffer.from(cont, 'base64').toString()) as {
        start: number;
        rv: number;
      };
      if (decoded.rv < this.compactedAt) {
        return this.sendStatus(
          res,
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result.',
        );
      }
      start = decoded.start;
      listRv = decoded.rv;
    }
    const page = limit > 0 ? all.slice(start, start + limit) : all.slice(start);
    const next =
      limit > 0 && start + limit < all.length
        ? Buffer.from(JSON.stringify({ start: start + limit, rv: listRv })).toString('base64')
        : undefined;
    const body = {
      kind: `${info.kind}List`,
      apiVersion: this.apiVersion(info),
      metadata: { resourceVersion: String(listRv), ...(next ? { continue: next } : {}) },
      items: page.map((s) => s.obj),
    };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private watch(
    url: URL,
    info: ResourceInfo,
    namespace: string | undefined,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): void {
    const from = Number(url.searchParams.get('resourceVersion') ?? 0);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const w: OpenWatch = {
      res,
      plural: info.plural,
      bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true',
    };
    if (this.expireNextWatches > 0 || (from > 0 && from < this.compactedAt)) {
      if (this.expireNextWatches > 0) this.expireNextWatches -= 1;
      // The real server answers 200 and then an ERROR event with the Status.
      this.write(w, {
        type: 'ERROR',
        object: status(410, 'Expired', `too old resource version: ${from} (${this.compactedAt})`),
      });
      res.end();
      return;
    }
    for (const e of this.events.get(info.plural)!) {
      if (e.rv > from && (!namespace || e.obj.metadata.namespace === namespace)) {
        this.write(w, { type: e.type, object: e.obj });
      }
    }
    this.watches.add(w);
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? 0);
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    req.on('close', () => {
      if (timer) clearTimeout(timer);
      this.watches.delete(w);
    });
  }
}

/** What flowlens watches, in the fake's terms. */
export const K8S_RESOURCES: ResourceInfo[] = [
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  {
    group: 'discovery.k8s.io',
    version: 'v1',
    plural: 'endpointslices',
    kind: 'EndpointSlice',
    namespaced: true,
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'networkpolicies',
    kind: 'NetworkPolicy',
    namespaced: true,
  },
  { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'daemonsets', kind: 'DaemonSet', namespaced: true },
  { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', namespaced: true },
  { group: 'batch', version: 'v1', plural: 'cronjobs', kind: 'CronJob', namespaced: true },
  {
    group: 'cilium.io',
    version: 'v2',
    plural: 'ciliumnetworkpolicies',
    kind: 'CiliumNetworkPolicy',
    namespaced: true,
  },
  {
    group: 'cilium.io',
    version: 'v2',
    plural: 'ciliumclusterwidenetworkpolicies',
    kind: 'CiliumClusterwideNetworkPolicy',
    namespaced: false,
  },
];
