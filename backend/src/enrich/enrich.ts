// Hubble flow + cluster model → EnrichedFlow. Pure: the model is read, never written, and the
// policy explanation comes from an injected function so this module stays free of the engine's
// internals (and tests can stub it).
import type { ClusterView } from '../k8s/cluster-model.ts';
import type { FlowRecord, HubbleFlow, Layer4, PolicyRefWire } from '../hubble/types.ts';
import { VERDICTS } from '../hubble/types.ts';
import { PodFactsCache, resolvePeer } from './peers.ts';
import type { EnrichedFlow, EnrichedL7, EnrichedVerdict, Peer, PolicyRef } from './types.ts';

/** Drop reasons that mean "a policy said no". */
export const POLICY_DROP_REASONS = new Set(['POLICY_DENIED', 'POLICY_DENY', 'AUTH_REQUIRED']);

export interface ExplainResult {
  verdict: 'ALLOWED' | 'DENIED';
}

/** Explains the policy decision for an enriched flow, or says nothing (undefined). */
export type FlowExplainer<E extends ExplainResult> = (flow: EnrichedFlow<E>) => E | undefined;

export interface EnricherOptions<E extends ExplainResult> {
  model: ClusterView;
  explain?: FlowExplainer<E>;
  /** Explain every flow, not only policy drops (costly at high rates; the engine caches). */
  explainAll?: boolean;
}

function verdictOf(v: HubbleFlow['verdict']): EnrichedVerdict {
  if (
    typeof v === 'string' &&
    v !== 'VERDICT_UNKNOWN' &&
    (VERDICTS as readonly string[]).includes(v)
  ) {
    return v as EnrichedVerdict;
  }
  return 'UNKNOWN';
}

const L4_KEYS = ['TCP', 'UDP', 'SCTP', 'ICMPv4', 'ICMPv6'] as const;

function l4Of(l4: Layer4 | undefined): { protocol: string; sport?: number; dport?: number } {
  if (!l4) return { protocol: 'UNKNOWN' };
  for (const k of L4_KEYS) {
    const v = l4[k];
    if (!v) continue;
    if (k === 'ICMPv4' || k === 'ICMPv6') return { protocol: k };
    const p = v as { source_port?: number; destination_port?: number };
    return { protocol: k, sport: p.source_port, dport: p.destination_port };
  }
  const other = Object.keys(l4)[0];
  return { protocol: other ?? 'UNKNOWN' };
}

function policyRefs(list: PolicyRefWire[] | undefined, out: PolicyRef[]): void {
  for (const p of list ?? []) {
    if (!p.name) continue;
    const ref: PolicyRef = { kind: p.kind || 'NetworkPolicy', name: p.name };
    if (p.namespace) ref.namespace = p.namespace;
    if (
      !out.some((o) => o.kind === ref.kind && o.namespace === ref.namespace && o.name === ref.name)
    ) {
      out.push(ref);
    }
  }
}

/**
 * Most flows name no policy; they all share this one empty list instead of holding two each in
 * history. Enriched flows are read-only; frozen, a push here would fail loudly.
 */
const NO_REFS = Object.freeze([]) as unknown as PolicyRef[];

function refsOf(a: PolicyRefWire[] | undefined, b: PolicyRefWire[] | undefined): PolicyRef[] {
  if (!a?.length && !b?.length) return NO_REFS;
  const out: PolicyRef[] = [];
  policyRefs(a, out);
  policyRefs(b, out);
  return out;
}

/**
 * The paths of recent URLs: a service's flows repeat a few URLs, and parsing one with URL took
 * a quarter of enriching an HTTP flow. Bounded (cleared when full), and long URLs are not kept,
 * so a scanner's random paths cannot grow it.
 */
const PATHS = new Map<string, string>();
const MAX_PATHS = 1024;
const MAX_PATH_URL = 512;

function pathOf(url: string): string {
  const known = PATHS.get(url);
  if (known !== undefined) return known;
  let path: string;
  try {
    path = new URL(url, 'http://x.invalid').pathname;
  } catch {
    path = url;
  }
  if (url.length <= MAX_PATH_URL) {
    if (PATHS.size >= MAX_PATHS) PATHS.clear();
    PATHS.set(url, path);
  }
  return path;
}

function l7Of(flow: HubbleFlow): EnrichedL7 | undefined {
  const l7 = flow.l7;
  if (!l7) return undefined;
  const out: EnrichedL7 = { type: typeof l7.type === 'string' ? l7.type : 'UNKNOWN_L7_TYPE' };
  if (l7.dns) {
    out.dns = { query: l7.dns.query ?? '', ips: l7.dns.ips ?? [] };
    if (l7.dns.rcode !== undefined) out.dns.rcode = l7.dns.rcode;
  }
  if (l7.http) {
    const url = l7.http.url ?? '';
    out.http = { method: l7.http.method ?? '', url, path: pathOf(url) };
    if (l7.http.code !== undefined) out.http.code = l7.http.code;
  }
  return out;
}

function dropReasonOf(flow: HubbleFlow): string | undefined {
  const d = flow.drop_reason_desc;
  if (typeof d === 'string' && d !== 'DROP_REASON_UNKNOWN') return d;
  if (typeof d === 'number' && d !== 0) return `DROP_REASON_${d}`;
  if (flow.drop_reason) return `DROP_REASON_${flow.drop_reason}`;
  return undefined;
}

export class Enricher<E extends ExplainResult = ExplainResult> {
  private seq = 0;
  private readonly cache = new PodFactsCache();
  private readonly serviceNames = new Map<string, string>();

  constructor(private readonly opts: EnricherOptions<E>) {}

  enrich(rec: FlowRecord): EnrichedFlow<E> {
    const flow = rec.flow;
    const node = rec.nodeName || flow.node_name || '';
    const { protocol, sport, dport } = l4Of(flow.l4);
    const ctx = { model: this.opts.model, observedOn: node, cache: this.cache };
    const source = resolvePeer(flow.source, flow.IP?.source ?? '', sport, flow.source_names, ctx);
    const destination = resolvePeer(
      flow.destination,
      flow.IP?.destination ?? '',
      dport,
      flow.destination_names,
      ctx,
    );
    this.linkServices(flow, source, destination);

    const allowedBy = refsOf(flow.egress_allowed_by, flow.ingress_allowed_by);
    const deniedBy = refsOf(flow.egress_denied_by, flow.ingress_denied_by);

    this.seq += 1;
    const verdict = verdictOf(flow.verdict);
    const drop = verdict === 'DROPPED' ? dropReasonOf(flow) : undefined;
    const dir = flow.traffic_direction;
    // Every field in one literal, in the contract's order (absent ones undefined, which JSON
    // leaves out): one compact object shape, where adding fields one by one made V8 grow a
    // second array for them on most flows, held in history as long as the flow.
    const out: EnrichedFlow<E> = {
      id: flow.uuid || `${node}:${rec.timeNs}:${this.seq}`,
      time: flow.time ?? '',
      timeNs: rec.timeNs.toString(),
      node,
      verdict,
      protocol,
      source,
      destination,
      policy: { allowedBy, deniedBy },
      dropReason: drop,
      direction: dir === 'INGRESS' || dir === 'EGRESS' ? dir : undefined,
      isReply: flow.is_reply ?? flow.reply,
      type: typeof flow.Type === 'string' ? flow.Type : undefined,
      l7: l7Of(flow),
      summary: flow.Summary || undefined,
    };

    if (this.opts.explain && (this.opts.explainAll || this.isPolicyDrop(out))) {
      this.attachExplanation(out);
    }
    return out;
  }

  /** Explains a flow on demand (the UI's "why?" on a forwarded flow). */
  explain(flow: EnrichedFlow<E>): EnrichedFlow<E> {
    if (this.opts.explain && !flow.policy.explanation) this.attachExplanation(flow);
    return flow;
  }

  isPolicyDrop(f: EnrichedFlow<E>): boolean {
    return (
      f.verdict === 'DROPPED' && f.dropReason !== undefined && POLICY_DROP_REASONS.has(f.dropReason)
    );
  }

  private attachExplanation(out: EnrichedFlow<E>): void {
    const e = this.opts.explain?.(out);
    if (!e) return;
    out.policy.explanation = e;
    // Replies ride on connection tracking, not policy; only requests can disagree.
    if (out.isReply) return;
    if (this.isPolicyDrop(out) && e.verdict === 'ALLOWED') {
      out.policy.disagreement =
        'the dataplane dropped this flow by policy, but the policies flowlens knows allow it';
    } else if (out.verdict === 'FORWARDED' && e.verdict === 'DENIED' && out.type !== 'L7') {
      out.policy.disagreement =
        'the dataplane forwarded this flow, but the policies flowlens knows deny it';
    }
  }

  private linkServices(flow: HubbleFlow, source: Peer, destination: Peer): void {
    const ds = flow.destination_service;
    if (ds?.name) destination.service = this.serviceName(ds.namespace, ds.name);
    const ss = flow.source_service;
    if (ss?.name && !source.service) source.service = this.serviceName(ss.namespace, ss.name);
  }

  /** `ns/name`, one string per Service rather than one per flow (history holds them all). */
  private serviceName(namespace: string | undefined, name: string): string {
    const key = namespace ? `${namespace}/${name}` : name;
    let s = this.serviceNames.get(key);
    if (s === undefined) {
      if (this.serviceNames.size >= 10_000) this.serviceNames.clear();
      s = key;
      this.serviceNames.set(s, s);
    }
    return s;
  }
}
