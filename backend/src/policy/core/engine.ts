// The policy engine: for one connection, what Kubernetes NetworkPolicies and Cilium policies
// say on both sides (the source's egress, the destination's ingress, then L7), in plain words,
// with the smallest fix. Pure: it reads a ClusterView; results are cached per model revision.
import type { ClusterView } from '../../k8s/cluster-model.ts';
import type { Pod } from '../../k8s/objects.ts';
import { evaluateCilium, type CiliumSideVerdict } from './cilium.ts';
import { fixYaml } from './fix-yaml.ts';
import { MESSAGES } from './messages.ts';
import { evaluateNetpol, type Direction, type SideVerdict } from './netpol.ts';
import { namespacePitfalls, sourcePitfalls } from './pitfalls.ts';
import { identifyingLabels, isStandIn, l7Fix, netpolFix } from './suggest.ts';
import type {
  ConnectionQuery,
  DirectionResult,
  Endpoint,
  Explanation,
  Lang,
  RuleMatch,
} from './types.ts';

export function describeEndpoint(e: Endpoint): string {
  if (e.kind === 'ip')
    return e.entity === 'unknown' || e.entity === 'world' ? e.ip : `${e.entity} ${e.ip}`;
  return `${e.pod.metadata.namespace ?? 'default'}/${e.pod.metadata.name}`;
}

/** How a peer is described in a reason: its identifying labels and namespace, or its address. */
function describePeer(e: Endpoint, lang: Lang): string {
  if (e.kind === 'ip') return describeEndpoint(e);
  const labels = Object.entries(identifyingLabels(e.pod))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const ns = e.pod.metadata.namespace ?? 'default';
  const who = labels || e.pod.metadata.name;
  return lang === 'ko' ? `네임스페이스 ${ns}의 ${who}` : `${who} from namespace ${ns}`;
}

interface Side extends DirectionResult {
  unsupported: string[];
  rules: RuleMatch[];
  /** Traffic from the pod's own node, which no policy can block. */
  hostExempt?: boolean;
  l7Pending?: { policy: string; allowed: string[] };
}

const OPEN: Side = {
  isolated: false,
  policies: [],
  allowedBy: [],
  deniedBy: [],
  allowed: true,
  nearMisses: [],
  unsupported: [],
  rules: [],
};

function evaluateSide(view: ClusterView, q: ConnectionQuery, dir: Direction): Side {
  const subject = dir === 'egress' ? q.from : q.to;
  const peer = dir === 'egress' ? q.to : q.from;
  if (subject.kind !== 'pod') return OPEN; // only pods have policies
  // A pod cannot block its own node (kubelet probes): Kubernetes and Cilium always allow it.
  if (dir === 'ingress' && peer.kind === 'ip' && peer.entity === 'host') {
    return { ...OPEN, hostExempt: true };
  }
  const receiver = q.to.kind === 'pod' ? q.to.pod : undefined;
  const sideQuery = {
    view,
    direction: dir,
    subject: subject.pod,
    peer,
    port: q.port,
    protocol: q.protocol,
    receiver,
  };
  const k8s: SideVerdict = evaluateNetpol(sideQuery);
  const via = q.viaService?.metadata;
  const cil: CiliumSideVerdict = evaluateCilium({
    ...sideQuery,
    ...(via ? { viaService: { name: via.name, namespace: via.namespace } } : {}),
    destinationNames: q.destinationNames ?? (q.to.kind === 'ip' ? q.to.names : undefined),
    ...(q.http ? { http: q.http } : {}),
  });
  const policies = [...k8s.selecting, ...cil.isolating];
  const allowedBy = [...k8s.allowedBy, ...cil.allowedBy.filter((p) => !k8s.allowedBy.includes(p))];
  const isolated = policies.length > 0;
  const side: Side = {
    isolated,
    policies,
    allowedBy,
    deniedBy: cil.deniedBy,
    allowed: cil.deniedBy.length === 0 && (!isolated || allowedBy.length > 0),
    nearMisses: [...k8s.nearMisses, ...cil.nearMisses],
    unsupported: [...k8s.unsupported, ...cil.unsupported],
    rules: [...k8s.rules, ...cil.rules],
  };
  if (side.allowed && cil.l7Refusal) side.l7Refusal = cil.l7Refusal;
  if (cil.l7Pending) side.l7Pending = cil.l7Pending;
  return side;
}

function publicSide(s: Side) {
  return {
    isolated: s.isolated,
    policies: s.policies,
    allowedBy: s.allowedBy,
    deniedBy: s.deniedBy,
  };
}

function portText(q: ConnectionQuery): string {
  return `${q.protocol}/${q.port}`;
}

function sideReason(s: Side, dir: Direction, q: ConnectionQuery, lang: Lang): string[] {
  const m = MESSAGES[lang];
  const who = describeEndpoint(dir === 'egress' ? q.from : q.to);
  const peer = describePeer(dir === 'egress' ? q.to : q.from, lang);
  if (s.deniedBy.length > 0) return [m.deniedBy(who, dir, s.deniedBy)];
  if (!s.allowed) {
    const out = [m.isolatedNoRule(who, dir, s.policies, peer, portText(q))];
    for (const n of s.nearMisses.slice(0, 2)) {
      out.push(
        n.missing === 'port'
          ? m.nearPort(n.policy, n.rule, n.ports)
          : m.nearPeer(n.policy, n.rule, n.peers),
      );
    }
    return out;
  }
  return [];
}

export class PolicyEngine {
  private cache = new Map<string, Explanation>();
  private cacheRevision = -1;
  /** Bounds the cache between model changes. */
  private static readonly MAX_CACHED = 20_000;

  constructor(private readonly view: ClusterView) {}

  private key(q: ConnectionQuery, lang: Lang): string {
    const ep = (e: Endpoint) =>
      e.kind === 'pod'
        ? `p:${describeEndpoint(e)}:${JSON.stringify(e.pod.metadata.labels ?? {})}`
        : `i:${e.ip}:${e.entity}`;
    return [
      lang,
      ep(q.from),
      ep(q.to),
      q.viaService ? `${q.viaService.metadata.namespace}/${q.viaService.metadata.name}` : '',
      q.port,
      q.protocol,
      (q.destinationNames ?? []).join(','),
      q.http ? `${q.http.method} ${q.http.path} ${JSON.stringify(q.http.headers ?? {})}` : '',
    ].join('|');
  }

  explain(q: ConnectionQuery, lang: Lang = 'en'): Explanation {
    if (this.view.revision !== this.cacheRevision) {
      this.cache.clear();
      this.pitfallCache.clear();
      this.cacheRevision = this.view.revision;
    }
    const key = this.key(q, lang);
    const hit = this.cache.get(key);
    if (hit) return hit;
    const e = this.compute(q, lang);
    if (this.cache.size >= PolicyEngine.MAX_CACHED) this.cache.clear();
    this.cache.set(key, e);
    return e;
  }

  /** Pitfalls depend on the source pod and the namespaces involved, not on the port. */
  private readonly pitfallCache = new Map<string, string[]>();

  private cachedPitfalls(k: string, make: () => string[]): string[] {
    let hit = this.pitfallCache.get(k);
    if (!hit) {
      hit = make();
      this.pitfallCache.set(k, hit);
    }
    return hit;
  }

  private pitfalls(q: ConnectionQuery, lang: Lang): string[] {
    const out: string[] = [];
    if (q.from.kind === 'pod') {
      const pod = q.from.pod;
      const k = `${lang}|dns|${describeEndpoint(q.from)}`;
      out.push(...this.cachedPitfalls(k, () => sourcePitfalls(this.view, pod, lang)));
    }
    const namespaces = new Set<string>();
    for (const e of [q.from, q.to]) {
      if (e.kind === 'pod') namespaces.add(e.pod.metadata.namespace ?? 'default');
    }
    for (const ns of namespaces) {
      out.push(
        ...this.cachedPitfalls(`${lang}|ns|${ns}`, () => namespacePitfalls(this.view, ns, lang)),
      );
    }
    return [...new Set(out)];
  }

  private compute(q: ConnectionQuery, lang: Lang): Explanation {
    const m = MESSAGES[lang];
    const egress = evaluateSide(this.view, q, 'egress');
    const ingress = evaluateSide(this.view, q, 'ingress');
    const l7 =
      egress.allowed && ingress.allowed ? (ingress.l7Refusal ?? egress.l7Refusal) : undefined;
    const allowed = egress.allowed && ingress.allowed && !l7;
    const reason: string[] = [];
    let decidedAt: Explanation['decidedAt'];
    if (!egress.allowed) {
      decidedAt = 'egress';
      reason.push(...sideReason(egress, 'egress', q, lang));
    }
    if (!ingress.allowed) {
      decidedAt ??= 'ingress';
      reason.push(...sideReason(ingress, 'ingress', q, lang));
    }
    if (l7 && q.http) {
      decidedAt = 'l7';
      reason.push(m.l7Refused(`${q.http.method} ${q.http.path}`, l7.policy, l7.allowed));
    }
    if (allowed) {
      const sides = (['egress', 'ingress'] as const).filter(
        (d) => (d === 'egress' ? egress : ingress).isolated,
      );
      if (sides.length === 0)
        reason.push(m.allowedOpen(describeEndpoint(q.from), describeEndpoint(q.to)));
      for (const d of sides) {
        const s = d === 'egress' ? egress : ingress;
        reason.push(m.allowedBy(describeEndpoint(d === 'egress' ? q.from : q.to), d, s.allowedBy));
      }
      if (ingress.hostExempt) reason.push(m.hostAlways(describeEndpoint(q.to)));
      const pending = ingress.l7Pending ?? egress.l7Pending;
      if (pending) reason.push(m.l7Pending(pending.policy, pending.allowed));
    }
    const unsupported = [...new Set([...egress.unsupported, ...ingress.unsupported])];
    if (unsupported.length > 0) reason.push(m.notEvaluated(unsupported.length));

    const out: Explanation = {
      verdict: allowed ? 'ALLOWED' : 'DENIED',
      egress: publicSide(egress),
      ingress: publicSide(ingress),
      reason: reason.join(' '),
      pitfalls: this.pitfalls(q, lang),
      unsupported,
      target: {
        from: describeEndpoint(q.from),
        to: describeEndpoint(q.to),
        port: q.port,
        protocol: q.protocol,
        ...(q.viaService
          ? { service: `${q.viaService.metadata.namespace}/${q.viaService.metadata.name}` }
          : {}),
      },
    };
    if (decidedAt) out.decidedAt = decidedAt;
    const rules = [...egress.rules, ...ingress.rules];
    if (rules.length > 0) out.rules = rules;
    for (const e of [q.from, q.to]) {
      if (e.kind === 'pod' && isStandIn(e.pod))
        out.pitfalls.push(m.pitfallStandIn(describeEndpoint(e)));
    }
    if (!allowed) {
      const denied = [...egress.deniedBy, ...ingress.deniedBy];
      if (denied.length > 0) {
        out.suggestion = `# ${m.fixDeny(denied)}\n`;
      } else {
        const docs: Record<string, unknown>[] = [];
        if (!egress.allowed) docs.push(netpolFix(q, 'egress'));
        if (!ingress.allowed) docs.push(netpolFix(q, 'ingress'));
        if (l7 && q.http) docs.push(l7Fix(q, q.http));
        out.suggestion = docs.map(fixYaml).join('---\n');
      }
    }
    return out;
  }
}

/** The pod a connection's endpoint stands for, if any. */
export function podOf(e: Endpoint): Pod | undefined {
  return e.kind === 'pod' ? e.pod : undefined;
}
