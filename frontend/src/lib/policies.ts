// The policies a drop's explanation involves, each with the parts of its YAML to highlight:
// the rules that allowed, denied or came closest, and for a policy that only isolates the pod
// (a default-deny has no rules at all) its pod selector. Pure, tested without a browser.
import type { Explanation, RuleMatch } from './dashboard.svelte.ts';

export interface InvolvedPolicy {
  /** `ns/name`, or `name` for a clusterwide policy. */
  name: string;
  kind?: RuleMatch['kind'];
  highlights: {
    section: RuleMatch['section'] | 'selector';
    index: number;
    spec?: number;
    effect: RuleMatch['effect'] | 'selector';
  }[];
}

/** Deciding rules first (deny, allow), then near misses, then policies that only isolate. */
const ORDER: Record<string, number> = { denies: 0, allows: 1, 'near-port': 2, 'near-peer': 3 };

export function policiesInvolved(e: Explanation): InvolvedPolicy[] {
  const out = new Map<string, InvolvedPolicy>();
  const get = (name: string) => {
    let p = out.get(name);
    if (!p) out.set(name, (p = { name, highlights: [] }));
    return p;
  };
  const rules = [...(e.rules ?? [])].sort(
    (a, b) => (ORDER[a.effect] ?? 9) - (ORDER[b.effect] ?? 9),
  );
  for (const r of rules) {
    const p = get(r.policy);
    p.kind = r.kind;
    const h: InvolvedPolicy['highlights'][number] = {
      section: r.section,
      index: r.index,
      effect: r.effect,
    };
    if (r.spec !== undefined) h.spec = r.spec;
    p.highlights.push(h);
  }
  const sides = [e.egress, e.ingress];
  for (const name of sides.flatMap((s) => [...s.deniedBy, ...s.policies])) {
    const p = get(name);
    if (p.highlights.length === 0) {
      p.highlights.push({ section: 'selector', index: 0, effect: 'selector' });
    }
  }
  return [...out.values()];
}
