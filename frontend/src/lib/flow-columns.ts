// The flow table's columns — Hubble's (time, source, destination, type, verdict, summary) plus
// service, workload, policy and L7 — and the sorting and per-column filtering over them. Pure,
// so it is tested without a browser. Every value is plain text for the table to show as text.
import type { EnrichedFlow, Peer } from '../../../backend/src/enrich/types.ts';

export type ColumnId =
  | 'time'
  | 'source'
  | 'destination'
  | 'port'
  | 'type'
  | 'verdict'
  | 'summary'
  | 'service'
  | 'workload'
  | 'policy'
  | 'l7'
  | 'node';

/** Verdict second, so it stays in view on a narrow window. */
export const COLUMNS: readonly ColumnId[] = [
  'time',
  'verdict',
  'source',
  'destination',
  'port',
  'type',
  'l7',
  'summary',
  'service',
  'workload',
  'policy',
  'node',
];

/** How a peer is named in a row: namespace/pod, then Service, DNS name, or kind and address. */
export function peerLabel(p: Peer): string {
  if (p.pod && p.namespace) return `${p.namespace}/${p.pod}`;
  if (p.service) return p.service;
  if (p.names?.length) return p.names[0]!;
  return p.kind === 'unknown' ? p.ip : `${p.kind} ${p.ip}`;
}

function workloadOf(p: Peer): string {
  return p.workload ? `${p.workload.kind}/${p.workload.name}` : '';
}

export function l7Text(f: EnrichedFlow): string {
  const h = f.l7?.http;
  if (h) return `${h.method} ${h.url}${h.code ? ` ${h.code}` : ''}`;
  const d = f.l7?.dns;
  if (d) return `DNS ${d.query}${d.rcode ? ` rcode=${d.rcode}` : ''}`;
  return '';
}

/** Policies named by the dataplane, or for a policy drop the ones that isolate the pods. */
export function policyText(f: EnrichedFlow): string {
  const name = (r: { namespace?: string; name: string }) =>
    r.namespace ? `${r.namespace}/${r.name}` : r.name;
  const parts: string[] = [];
  if (f.policy.allowedBy.length) parts.push(`+${f.policy.allowedBy.map(name).join(', +')}`);
  if (f.policy.deniedBy.length) parts.push(`-${f.policy.deniedBy.map(name).join(', -')}`);
  if (parts.length === 0 && f.verdict === 'DROPPED') {
    const e = f.policy.explanation as
      { ingress?: { policies?: string[] }; egress?: { policies?: string[] } } | undefined;
    const isolating = [...(e?.egress?.policies ?? []), ...(e?.ingress?.policies ?? [])];
    if (isolating.length) parts.push(`-${[...new Set(isolating)].join(', -')}`);
  }
  return parts.join(' ');
}

/** The text a cell shows (and what its column filter and sort compare). */
export function cellText(f: EnrichedFlow, c: ColumnId): string {
  switch (c) {
    case 'time':
      return f.time.slice(11, 23);
    case 'source':
      return peerLabel(f.source);
    case 'destination': {
      const names = f.destination.names?.length ? ` (${f.destination.names.join(', ')})` : '';
      return peerLabel(f.destination) + (f.destination.pod ? '' : names);
    }
    case 'port':
      return `${f.protocol}/${f.destination.port ?? ''}`;
    case 'type':
      return [f.type, f.direction, f.isReply ? 'reply' : ''].filter(Boolean).join(' ');
    case 'verdict':
      return f.dropReason ? `${f.verdict} (${f.dropReason})` : f.verdict;
    case 'summary':
      return f.summary ?? '';
    case 'service':
      return [f.source.service, f.destination.service].filter(Boolean).join(' → ');
    case 'workload': {
      const s = workloadOf(f.source);
      const d = workloadOf(f.destination);
      return s || d ? `${s || '·'} → ${d || '·'}` : '';
    }
    case 'policy':
      return policyText(f);
    case 'l7':
      return l7Text(f);
    case 'node':
      return f.node;
  }
}

export interface SortSpec {
  column: ColumnId;
  dir: 'ascending' | 'descending';
}

/** The next sort when a header is clicked: ascending, then descending, then none. */
export function nextSort(current: SortSpec | undefined, column: ColumnId): SortSpec | undefined {
  if (current?.column !== column) return { column, dir: 'ascending' };
  return current.dir === 'ascending' ? { column, dir: 'descending' } : undefined;
}

export type ColumnFilters = Partial<Record<ColumnId, string>>;

export function activeFilters(filters: ColumnFilters): [ColumnId, string][] {
  return Object.entries(filters)
    .map(([k, v]) => [k as ColumnId, (v ?? '').trim().toLowerCase()] as [ColumnId, string])
    .filter(([, v]) => v !== '');
}

/** Nanosecond strings compare as numbers once the shorter is the smaller. */
export function compareNs(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

export function sortKey(f: EnrichedFlow, c: ColumnId): string | number {
  if (c === 'port') return f.destination.port ?? -1;
  if (c === 'time') return f.timeNs;
  return cellText(f, c).toLowerCase();
}

/** Orders two sort keys of a column (times as nanosecond strings, ports as numbers). */
export function compareKeys(c: ColumnId, a: string | number, b: string | number): number {
  if (c === 'time') return compareNs(String(a), String(b));
  return a < b ? -1 : a > b ? 1 : 0;
}
