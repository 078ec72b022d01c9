// The JSON HTTP API over history and the live map (see README, "HTTP endpoints"). Handlers
// only read: nothing here can change the cluster or flowlens' sources.
import type { EnrichedFlow } from '../enrich/types.ts';
import { formatLine, responseFromRecord } from '../hubble/json-codec.ts';
import { parseTimeNs } from '../hubble/time.ts';
import { VERDICTS as HUBBLE_VERDICTS } from '../hubble/types.ts';
import { ServiceMap, type Grouping } from '../map/service-map.ts';
import type { FlowQuery, FlowStore } from '../store/flow-store.ts';
import { detailRoutes, type DetailContext } from './detail-api.ts';
import { HistoryFolder } from './history-fold.ts';
import { BadRequest, type Route, type RouteResult } from './http-server.ts';

/** `model` and `replay` (see detail-api.ts) serve the UI's policy, flow and replay views. */
export interface ApiContext extends DetailContext {
  store: FlowStore;
  /** The live whole-cluster map (workload grouping). */
  liveMap: ServiceMap;
  /** Builds any other map from history without holding the event loop (the stream's folder). */
  folder?: HistoryFolder;
  now?: () => number;
}

const DEFAULT_LIMIT = 500;
const MAX_LIMIT = 10_000;
const MAX_EXPORT = 1_000_000;
/** Hubble's verdicts, with VERDICT_UNKNOWN as the EnrichedFlow's UNKNOWN. */
const VERDICTS: ReadonlySet<string> = new Set(
  HUBBLE_VERDICTS.map((v) => (v === 'VERDICT_UNKNOWN' ? 'UNKNOWN' : v)),
);

const DURATION = /^(\d+)(ms|s|m|h)$/;
const UNIT_NS: Record<string, bigint> = {
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** RFC3339, or a duration back from now (`5m`, `1h`), as `hubble observe --since` takes. */
export function parseWhen(value: string, name: string, nowMs: number): bigint {
  const d = DURATION.exec(value);
  if (d) return BigInt(nowMs) * 1_000_000n - BigInt(d[1]!) * UNIT_NS[d[2]!]!;
  const t = parseTimeNs(value);
  if (t === undefined) {
    throw new BadRequest(`${name} must be an RFC3339 time or a duration like 5m, got ${value}`);
  }
  return t;
}

function intParam(url: URL, name: string, def: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new BadRequest(`${name} must be a positive integer, got ${raw}`);
  return Math.min(n, max);
}

export function queryFromUrl(
  url: URL,
  nowMs: number,
  defLimit: number,
  maxLimit: number,
): FlowQuery {
  const q: FlowQuery = { limit: intParam(url, 'limit', defLimit, maxLimit) };
  const verdict = url.searchParams.get('verdict');
  if (verdict) {
    const v = verdict.toUpperCase();
    if (!VERDICTS.has(v))
      throw new BadRequest(`verdict must be one of ${[...VERDICTS].join(', ')}, got ${verdict}`);
    q.verdict = v;
  }
  for (const k of ['namespace', 'pod', 'text'] as const) {
    const v = url.searchParams.get(k);
    if (v) q[k] = v;
  }
  const since = url.searchParams.get('since');
  if (since) q.sinceNs = parseWhen(since, 'since', nowMs);
  const until = url.searchParams.get('until');
  if (until) q.untilNs = parseWhen(until, 'until', nowMs);
  return q;
}

const CSV_COLUMNS = [
  'time',
  'verdict',
  'drop_reason',
  'direction',
  'protocol',
  'source_namespace',
  'source_pod',
  'source_workload',
  'source_ip',
  'source_port',
  'destination_namespace',
  'destination_pod',
  'destination_workload',
  'destination_service',
  'destination_ip',
  'destination_port',
  'destination_names',
  'l7',
] as const;

/**
 * One CSV cell. Flow fields are attacker-controlled, and a cell starting with = + - @ runs as
 * a formula when the export is opened in a spreadsheet; a leading apostrophe defuses it.
 */
export function csvCell(v: string | number | undefined): string {
  let s = v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvRow(f: EnrichedFlow): string {
  const l7 = f.l7?.http
    ? `${f.l7.http.method} ${f.l7.http.url}${f.l7.http.code ? ` ${f.l7.http.code}` : ''}`
    : f.l7?.dns
      ? `DNS ${f.l7.dns.query}`
      : undefined;
  const w = (p: EnrichedFlow['source']) =>
    p.workload ? `${p.workload.kind}/${p.workload.name}` : undefined;
  return [
    f.time,
    f.verdict,
    f.dropReason,
    f.direction,
    f.protocol,
    f.source.namespace,
    f.source.pod,
    w(f.source),
    f.source.ip,
    f.source.port,
    f.destination.namespace,
    f.destination.pod,
    w(f.destination),
    f.destination.service,
    f.destination.ip,
    f.destination.port,
    f.destination.names?.join(' '),
    l7,
  ]
    .map(csvCell)
    .join(',');
}

/** Lines per chunk of an export: a few hundred KB, written before the next is made. */
const CHUNK_LINES = 256;

/** `line` of each item, newline-terminated, after an optional first line, in chunks. */
function* chunked<T>(items: Iterable<T>, line: (x: T) => string, first?: string) {
  let chunk = first === undefined ? '' : first + '\n';
  let n = 0;
  for (const x of items) {
    chunk += line(x) + '\n';
    if (++n % CHUNK_LINES === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

export function apiRoutes(ctx: ApiContext): Record<string, Route> {
  const now = ctx.now ?? Date.now;
  const folder = ctx.folder ?? new HistoryFolder(ctx.store);
  return {
    ...detailRoutes(ctx),
    '/api/flows': {
      method: 'GET',
      handle: ({ url }) => {
        const q = queryFromUrl(url, now(), DEFAULT_LIMIT, MAX_LIMIT);
        return { json: { flows: ctx.store.query(q).map((e) => e.flow) } };
      },
    },
    '/api/export': {
      method: 'GET',
      handle: ({ url }): RouteResult => {
        const format = url.searchParams.get('format') ?? 'jsonl';
        const q = queryFromUrl(url, now(), MAX_EXPORT, MAX_EXPORT);
        const stamp = new Date(now()).toISOString().replace(/[:.]/g, '-');
        const file = (ext: string) => ({
          'content-disposition': `attachment; filename="flowlens-${stamp}.${ext}"`,
        });
        // Made as the client reads: all of history as one string took seconds of the event
        // loop and hundreds of MB (100,000 flows are over 100 MB of JSON lines).
        if (format === 'jsonl') {
          return {
            chunks: chunked(ctx.store.entries(q), (e) => formatLine(responseFromRecord(e.record))),
            type: 'application/x-ndjson; charset=utf-8',
            headers: file('jsonl'),
          };
        }
        if (format === 'csv') {
          return {
            chunks: chunked(ctx.store.entries(q), (e) => csvRow(e.flow), CSV_COLUMNS.join(',')),
            type: 'text/csv; charset=utf-8',
            headers: file('csv'),
          };
        }
        throw new BadRequest(`format must be jsonl or csv, got ${format}`);
      },
    },
    '/api/map': {
      method: 'GET',
      handle: async ({ url }) => {
        const grouping = (url.searchParams.get('grouping') ?? 'workload') as Grouping;
        if (!['workload', 'service', 'pod'].includes(grouping)) {
          throw new BadRequest(`grouping must be workload, service or pod, got ${grouping}`);
        }
        const namespaces = url.searchParams
          .getAll('namespace')
          .flatMap((n) => n.split(','))
          .filter(Boolean);
        const since = url.searchParams.get('since');
        const until = url.searchParams.get('until');
        if (grouping === 'workload' && namespaces.length === 0 && !since && !until) {
          return { json: ctx.liveMap.snapshot() };
        }
        // Any other view (or a past window) is built from history.
        const nowMs = now();
        const sinceNs = since
          ? parseWhen(since, 'since', nowMs)
          : BigInt(nowMs - 5 * 60_000) * 1_000_000n;
        const untilNs = until ? parseWhen(until, 'until', nowMs) : undefined;
        // Each flow counts at its own time, but folded in slices
        // (sharing the stream's scan) rather than as 100,000 new objects in one turn.
        const map = new ServiceMap({ grouping, namespaces });
        await new Promise<void>((done) =>
          folder.fold({
            map,
            match: () => true,
            namespaces: namespaces.length > 0 ? namespaces : undefined,
            sinceNs,
            untilNs,
            done,
          }),
        );
        return { json: map.snapshot() };
      },
    },
    '/api/timeline': {
      method: 'GET',
      handle: ({ url }) => {
        const nowMs = now();
        const since = url.searchParams.get('since');
        const sinceMs = since ? Number(parseWhen(since, 'since', nowMs) / 1_000_000n) : 0;
        return { json: { events: ctx.store.timeline(sinceMs) } };
      },
    },
  };
}
