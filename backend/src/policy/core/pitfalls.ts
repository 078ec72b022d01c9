// Common mistakes in the policies around a connection: a default-deny egress without DNS, a
// policy that selects no pods, a peer selector that matches nothing, a named port no pod
// defines. Reported beside the verdict; they do not change it.
import type { ClusterView } from '../../k8s/cluster-model.ts';
import type { NetworkPolicy, NetworkPolicyPeer, Pod } from '../../k8s/objects.ts';
import { evaluateCilium } from './cilium.ts';
import { MESSAGES } from './messages.ts';
import { evaluateNetpol, peerMatches, policyName, resolveNamedPort } from './netpol.ts';
import { describeSelector, selectorMatches, SelectorError } from './selector.ts';
import type { ConnectionQuery, Lang } from './types.ts';

function dnsPitfall(view: ClusterView, pod: Pod, lang: Lang): string | undefined {
  const dnsPod = view
    .pods('kube-system')
    .find((p) => p.metadata.labels?.['k8s-app'] === 'kube-dns');
  if (!dnsPod) return undefined;
  const q = {
    view,
    direction: 'egress' as const,
    subject: pod,
    peer: { kind: 'pod' as const, pod: dnsPod },
    port: 53,
    protocol: 'UDP' as const,
    receiver: dnsPod,
  };
  const k8s = evaluateNetpol(q);
  const cil = evaluateCilium(q);
  const isolating = [...k8s.selecting, ...cil.isolating];
  if (isolating.length === 0) return undefined;
  if (cil.deniedBy.length === 0 && (k8s.allowedBy.length > 0 || cil.allowedBy.length > 0))
    return undefined;
  return MESSAGES[lang].pitfallDns(`${pod.metadata.namespace}/${pod.metadata.name}`, isolating);
}

function peersOf(np: NetworkPolicy): NetworkPolicyPeer[] {
  return [
    ...(np.spec?.ingress ?? []).flatMap((r) => r.from ?? []),
    ...(np.spec?.egress ?? []).flatMap((r) => r.to ?? []),
  ];
}

/** The DNS pitfall of a source pod (undefined when it can resolve names). */
export function sourcePitfalls(view: ClusterView, pod: Pod, lang: Lang): string[] {
  const dns = dnsPitfall(view, pod, lang);
  return dns ? [dns] : [];
}

/** Pitfalls of the policies in one namespace; they do not depend on the connection. */
export function namespacePitfalls(view: ClusterView, ns: string, lang: Lang): string[] {
  const m = MESSAGES[lang];
  const out: string[] = [];
  const allPods = view.pods();
  const pods = view.pods(ns);
  for (const np of view.networkPolicies(ns)) {
    const name = policyName(np);
    try {
      if (!pods.some((p) => selectorMatches(np.spec?.podSelector, p.metadata.labels ?? {}))) {
        out.push(m.pitfallNoPods(name));
      }
      for (const peer of peersOf(np)) {
        if (peer.ipBlock) continue;
        const probe = (p: Pod) => peerMatches(peer, ns, { kind: 'pod', pod: p }, view);
        if (!allPods.some(probe)) {
          const desc = [
            peer.namespaceSelector
              ? `namespaces {${describeSelector(peer.namespaceSelector)}}`
              : '',
            peer.podSelector ? `pods {${describeSelector(peer.podSelector)}}` : '',
          ]
            .filter(Boolean)
            .join(' and ');
          out.push(m.pitfallPeerNothing(name, desc));
        }
      }
      const named = [...(np.spec?.ingress ?? []), ...(np.spec?.egress ?? [])]
        .flatMap((r) => r.ports ?? [])
        .filter((p) => typeof p.port === 'string' && !/^\d+$/.test(p.port));
      for (const p of named) {
        const port = String(p.port);
        if (
          !allPods.some((pod) => resolveNamedPort(pod, port, p.protocol ?? 'TCP') !== undefined)
        ) {
          out.push(m.pitfallNamedPort(name, port));
        }
      }
    } catch (err) {
      if (!(err instanceof SelectorError)) throw err;
    }
  }
  return [...new Set(out)];
}

export function findPitfalls(view: ClusterView, q: ConnectionQuery, lang: Lang): string[] {
  const out = q.from.kind === 'pod' ? sourcePitfalls(view, q.from.pod, lang) : [];
  const namespaces = new Set<string>();
  for (const e of [q.from, q.to])
    if (e.kind === 'pod') namespaces.add(e.pod.metadata.namespace ?? 'default');
  for (const ns of namespaces) out.push(...namespacePitfalls(view, ns, lang));
  return [...new Set(out)];
}
