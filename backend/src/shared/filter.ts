// The flow filter language of the UI, the WebSocket subscription and shareable links: the
// vocabulary of `hubble observe` in a compact text form, e.g.
//
//   namespace=shop verdict=DROPPED to-port=5432 protocol=tcp "default-deny"
//
// Terms are AND-ed; a repeated key OR-s its values (as hubble's repeated flags do); `!` negates
// a term; a bare word searches names, IPs, labels, DNS queries and HTTP paths. Pure, shared by
// backend and frontend, so a link means the same on both sides.
import type { EnrichedFlow, Peer } from '../enrich/types.ts';

export const FILTER_KEYS = [
  'namespace',
  'from-namespace',
  'to-namespace',
  'pod',
  'from-pod',
  'to-pod',
  'label',
  'from-label',
  'to-label',
  'workload',
  'service',
  'verdict',
  'drop-reason',
  'protocol',
  'port',
  'from-port',
  'to-port',
  'ip',
  'from-ip',
  'to-ip',
  'fqdn',
  'to-fqdn',
  'from-fqdn',
  'http-status',
  'http-method',
  'http-path',
  'dns-query',
  'node',
  'type',
  'reply',
  'world',
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export interface FilterTerm {
  key: FilterKey | 'text';
  value: string;
  negate: boolean;
}

export class FilterSyntaxError extends Error {
  override readonly name = 'FilterSyntaxError';
}

/** Aliases as `hubble observe` spells them. */
const ALIASES: Record<string, FilterKey> = {
  ns: 'namespace',
  n: 'namespace',
  'from-ns': 'from-namespace',
  'to-ns': 'to-namespace',
  'source-pod': 'from-pod',
  'destination-pod': 'to-pod',
  dport: 'to-port',
  sport: 'from-port',
  'dst-port': 'to-port',
  proto: 'protocol',
  status: 'http-status',
  method: 'http-method',
  path: 'http-path',
  'node-name': 'node',
};

/** Bounds on what a browser can make the server match against every flow. */
const MAX_VALUE = 256;
const MAX_STARS = 3;
const MAX_TERMS = 32;

function tokenize(text: string): string[] {
  const out: string[] = [];
  const re = /\s*(!?[A-Za-z-]+=(?:"[^"]*"|\S*)|!?"[^"]*"|\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) if (m[1]) out.push(m[1]);
  return out;
}

const unquote = (s: string) =>
  s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;

export function parseFilter(text: string): FilterTerm[] {
  const terms: FilterTerm[] = [];
  const tokens = tokenize(text.trim());
  if (tokens.length > MAX_TERMS) throw new FilterSyntaxError(`at most ${MAX_TERMS} filter terms`);
  for (const raw of tokens) {
    const negate = raw.startsWith('!');
    const t = negate ? raw.slice(1) : raw;
    const eq = t.indexOf('=');
    const quoted = t.startsWith('"');
    if (eq > 0 && !quoted) {
      const k = t.slice(0, eq).toLowerCase();
      const key = (ALIASES[k] ?? k) as FilterKey;
      if (!(FILTER_KEYS as readonly string[]).includes(key)) {
        throw new FilterSyntaxError(`unknown filter key ${k} (known: ${FILTER_KEYS.join(', ')})`);
      }
      const value = unquote(t.slice(eq + 1));
      if (value === '') throw new FilterSyntaxError(`${k}= needs a value`);
      if (value.length > MAX_VALUE)
        throw new FilterSyntaxError(`${k}= value longer than ${MAX_VALUE}`);
      if (value.split('*').length - 1 > MAX_STARS) {
        throw new FilterSyntaxError(`${k}= allows at most ${MAX_STARS} wildcards`);
      }
      if (key === 'http-status' && !/^\d{1,3}\+?$/.test(value)) {
        throw new FilterSyntaxError(`http-status takes a code or a class like 5+, got ${value}`);
      }
      if (key.endsWith('port') && !/^\d{1,5}$/.test(value)) {
        throw new FilterSyntaxError(`${k} takes a port number, got ${value}`);
      }
      terms.push({ key, value, negate });
    } else {
      const value = unquote(t);
      if (value) terms.push({ key: 'text', value, negate });
    }
  }
  return terms;
}

export function formatFilter(terms: readonly FilterTerm[]): string {
  return terms
    .map((t) => {
      const v = /[\s"]/.test(t.value) ? `"${t.value.replace(/"/g, '')}"` : t.value;
      return `${t.negate ? '!' : ''}${t.key === 'text' ? v : `${t.key}=${v}`}`;
    })
    .join(' ');
}

/** `name` (prefix), `ns/` (the namespace) or `ns/name` (prefix in the namespace), as hubble's --pod. */
export function podMatches(p: Peer, v: string): boolean {
  if (!p.pod) return false;
  const slash = v.indexOf('/');
  if (slash < 0) return p.pod.startsWith(v);
  if (slash === v.length - 1) return p.namespace === v.slice(0, -1);
  return p.namespace === v.slice(0, slash) && p.pod.startsWith(v.slice(slash + 1));
}

function labelMatches(p: Peer, v: string): boolean {
  if (v.includes('=')) return p.labels.includes(v);
  return p.labels.some((l) => l === v || l.startsWith(`${v}=`));
}

/** `*.example.com` style glob, case-insensitive, trailing dots ignored. */
function globMatches(pattern: string, name: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/\.$/, '');
  const re = new RegExp(
    `^${norm(pattern)
      .split('*')
      .map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^.]*')}$`,
  );
  return re.test(norm(name));
}

function pathGlob(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

function fqdnMatches(p: Peer, v: string): boolean {
  return (p.names ?? []).some((n) => globMatches(v, n));
}

/** Case-insensitive substring of names, addresses, labels, DNS query, URL, drop reason, verdict. */
export function textMatches(f: EnrichedFlow, needle: string): boolean {
  const n = needle.toLowerCase();
  const peer = (p: Peer) => [
    p.ip,
    p.pod,
    p.namespace,
    p.service,
    p.workload?.name,
    ...p.labels,
    ...(p.names ?? []),
  ];
  const fields = [
    ...peer(f.source),
    ...peer(f.destination),
    f.l7?.dns?.query,
    f.l7?.http?.url,
    f.dropReason,
    f.verdict,
  ];
  return fields.some((s) => s !== undefined && s.toLowerCase().includes(n));
}

function statusMatches(code: number | undefined, v: string): boolean {
  if (code === undefined) return false;
  if (v.endsWith('+')) return String(code).startsWith(v.slice(0, -1));
  return String(code) === v;
}

function termMatches(f: EnrichedFlow, t: FilterTerm): boolean {
  const s = f.source;
  const d = f.destination;
  const v = t.value;
  const either = (fn: (p: Peer) => boolean) => fn(s) || fn(d);
  switch (t.key) {
    case 'namespace':
      return s.namespace === v || d.namespace === v;
    case 'from-namespace':
      return s.namespace === v;
    case 'to-namespace':
      return d.namespace === v;
    case 'pod':
      return either((p) => podMatches(p, v));
    case 'from-pod':
      return podMatches(s, v);
    case 'to-pod':
      return podMatches(d, v);
    case 'label':
      return either((p) => labelMatches(p, v));
    case 'from-label':
      return labelMatches(s, v);
    case 'to-label':
      return labelMatches(d, v);
    case 'workload':
      return either((p) => p.workload?.name === v || `${p.namespace}/${p.workload?.name}` === v);
    case 'service':
      return either((p) => p.service === v || p.service?.endsWith(`/${v}`) === true);
    case 'verdict':
      return f.verdict === v.toUpperCase();
    case 'drop-reason':
      return f.dropReason === v.toUpperCase();
    case 'protocol': {
      const want = v.toLowerCase();
      if (want === 'http') return f.l7?.http !== undefined;
      if (want === 'dns') return f.l7?.dns !== undefined;
      if (want === 'icmp') return f.protocol.startsWith('ICMP');
      return f.protocol.toLowerCase() === want;
    }
    case 'port':
      return String(s.port) === v || String(d.port) === v;
    case 'from-port':
      return String(s.port) === v;
    case 'to-port':
      return String(d.port) === v;
    case 'ip':
      return s.ip === v || d.ip === v;
    case 'from-ip':
      return s.ip === v;
    case 'to-ip':
      return d.ip === v;
    case 'fqdn':
      return either((p) => fqdnMatches(p, v));
    case 'from-fqdn':
      return fqdnMatches(s, v);
    case 'to-fqdn':
      return fqdnMatches(d, v);
    case 'http-status':
      return statusMatches(f.l7?.http?.code, v);
    case 'http-method':
      return f.l7?.http?.method.toUpperCase() === v.toUpperCase();
    case 'http-path': {
      // A glob, not a regular expression: filters come from browsers, and a backtracking
      // pattern evaluated on every flow would let one client stall the server.
      const path = f.l7?.http?.path;
      if (path === undefined) return false;
      return v.includes('*') ? pathGlob(v).test(path) : path.startsWith(v);
    }
    case 'dns-query': {
      const q = f.l7?.dns?.query;
      return q !== undefined && (globMatches(v, q) || q.includes(v));
    }
    case 'node':
      return f.node === v || f.node.endsWith(`/${v}`);
    case 'type':
      return (
        (f.type ?? '').toLowerCase() === v.toLowerCase() ||
        f.protocol.toLowerCase() === v.toLowerCase()
      );
    case 'reply':
      return String(f.isReply === true) === v.toLowerCase();
    case 'world':
      return either((p) => p.kind === 'world') === (v.toLowerCase() !== 'false');
    case 'text':
      return textMatches(f, v);
  }
}

/** The common terms as closures over their prepared values; the rest go through termMatches. */
function compileTerm(t: FilterTerm): (f: EnrichedFlow) => boolean {
  const v = t.value;
  // Ports compare as numbers; a value that is not a plain port number matches nothing.
  const port = /^(0|[1-9]\d{0,4})$/.test(v) ? Number(v) : NaN;
  switch (t.key) {
    case 'namespace':
      return (f) => f.source.namespace === v || f.destination.namespace === v;
    case 'from-namespace':
      return (f) => f.source.namespace === v;
    case 'to-namespace':
      return (f) => f.destination.namespace === v;
    case 'verdict': {
      const want = v.toUpperCase();
      return (f) => f.verdict === want;
    }
    case 'drop-reason': {
      const want = v.toUpperCase();
      return (f) => f.dropReason === want;
    }
    case 'protocol': {
      const want = v.toLowerCase();
      if (want === 'http' || want === 'dns' || want === 'icmp') break;
      const upper = v.toUpperCase();
      // Protocols arrive upper-case from the decoder; anything else still compares folded.
      return (f) => f.protocol === upper || f.protocol.toLowerCase() === want;
    }
    case 'port':
      return (f) => f.source.port === port || f.destination.port === port;
    case 'from-port':
      return (f) => f.source.port === port;
    case 'to-port':
      return (f) => f.destination.port === port;
    case 'ip':
      return (f) => f.source.ip === v || f.destination.ip === v;
  }
  return (f) => termMatches(f, t);
}

/**
 * A predicate for the terms: different keys AND, a repeated key ORs its values, negated
 * terms must all fail. Compiled once per subscription and run on every flow for every view,
 * so the common terms become closures over prepared values.
 */
export function compileFilter(terms: readonly FilterTerm[]): (f: EnrichedFlow) => boolean {
  if (terms.length === 0) return () => true;
  const groups = new Map<string, FilterTerm[]>();
  const negated: FilterTerm[] = [];
  for (const t of terms) {
    if (t.negate) negated.push(t);
    else if (t.key === 'text') groups.set(`text:${groups.size}`, [t]);
    else groups.set(t.key, [...(groups.get(t.key) ?? []), t]);
  }
  const all = [...groups.values()].map((g) => {
    if (g.length === 1) return compileTerm(g[0]!);
    const any = g.map(compileTerm);
    return (f: EnrichedFlow) => any.some((p) => p(f));
  });
  const none = negated.map(compileTerm);
  if (all.length === 1 && none.length === 0) return all[0]!;
  return (f) => {
    for (const p of all) if (!p(f)) return false;
    for (const p of none) if (p(f)) return false;
    return true;
  };
}

/**
 * Namespaces one of which a matching flow must have on its source or destination side, or
 * undefined when the filter requires none: the values of its `namespace=` terms, else of its
 * `from-namespace=`, else of its `to-namespace=` terms (each key's values OR, keys AND, so any
 * one key's values are required).
 */
export function requiredNamespaces(terms: readonly FilterTerm[]): string[] | undefined {
  for (const key of ['namespace', 'from-namespace', 'to-namespace']) {
    const values = terms.filter((t) => !t.negate && t.key === key).map((t) => t.value);
    if (values.length > 0) return values;
  }
  return undefined;
}

/** Namespaces a filter pins the view to (for scoping the map), if any. */
export function filterNamespaces(terms: readonly FilterTerm[]): string[] {
  return terms.filter((t) => !t.negate && t.key === 'namespace').map((t) => t.value);
}
