// A policy as YAML text, with the line range of every rule and selector in it, so the UI can
// highlight the rule an Explanation names (`RuleMatch`: section, index, spec). The text is the
// manifest's own when the caller has it, else the object serialised here; lines are counted on
// that same text, never on a second rendering that could differ.
import { LineCounter, parseDocument, stringify, isMap, isPair, isScalar, type Node } from 'yaml';
import type { CiliumNetworkPolicy, NetworkPolicy } from '../../k8s/objects.ts';
import type { RuleMatch } from './types.ts';

export type PolicyKind = RuleMatch['kind'];

export interface RuleRange {
  /** `selector` is the podSelector / endpointSelector that picks the policy's pods. */
  section: RuleMatch['section'] | 'selector';
  /** 0-based within the section (0 for the selector). */
  index: number;
  /** Entry of a Cilium policy's `specs` list; absent for `spec`. */
  spec?: number;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
}

export interface PolicyText {
  kind: PolicyKind;
  namespace?: string;
  name: string;
  yaml: string;
  /** `manifest`: the text of the file it was loaded from; `serialized`: rendered from the model. */
  source: 'manifest' | 'serialized';
  rules: RuleRange[];
}

const SECTIONS = ['ingress', 'egress', 'ingressDeny', 'egressDeny'] as const;
/** Annotations that repeat the whole object (kubectl apply) only make the text longer. */
const NOISY_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration'];

function cleanMetadata(m: NetworkPolicy['metadata']): Record<string, unknown> {
  const out: Record<string, unknown> = { name: m.name };
  if (m.namespace) out['namespace'] = m.namespace;
  if (m.labels && Object.keys(m.labels).length > 0) out['labels'] = m.labels;
  const annotations = Object.entries(m.annotations ?? {}).filter(
    ([k]) => !NOISY_ANNOTATIONS.includes(k),
  );
  if (annotations.length > 0) out['annotations'] = Object.fromEntries(annotations);
  return out;
}

/** The object as a user would have written it: apiVersion, kind, metadata, spec(s). */
function document(
  kind: PolicyKind,
  p: NetworkPolicy | CiliumNetworkPolicy,
): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    apiVersion: kind === 'NetworkPolicy' ? 'networking.k8s.io/v1' : 'cilium.io/v2',
    kind,
    metadata: cleanMetadata(p.metadata),
  };
  if (p.spec) doc['spec'] = p.spec;
  const specs = (p as CiliumNetworkPolicy).specs;
  if (specs) doc['specs'] = specs;
  return doc;
}

/** The pair `key: value` in a map node, for its key's position. */
function pairIn(node: unknown, key: string) {
  if (!isMap(node)) return undefined;
  return node.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === key);
}

export function policyText(
  kind: PolicyKind,
  p: NetworkPolicy | CiliumNetworkPolicy,
  manifest?: string,
): PolicyText {
  const yaml = manifest ?? stringify(document(kind, p), { lineWidth: 0 });
  const lines = new LineCounter();
  const doc = parseDocument(yaml, { lineCounter: lines });
  const line = (offset: number) => lines.linePos(offset).line;
  const rules: RuleRange[] = [];
  const span = (start: number, end: number) => ({
    startLine: line(start),
    // A node ends where the next line begins; the last character is one before.
    endLine: line(Math.max(start, end - 1)),
  });
  const specNodes: { node: unknown; spec?: number }[] = [];
  const spec = doc.getIn(['spec'], true);
  if (spec) specNodes.push({ node: spec });
  const specs = doc.getIn(['specs'], true) as { items?: unknown[] } | undefined;
  specs?.items?.forEach((node, i) => specNodes.push({ node, spec: i }));
  for (const { node, spec: specIndex } of specNodes) {
    const at = specIndex === undefined ? {} : { spec: specIndex };
    const selector = pairIn(node, kind === 'NetworkPolicy' ? 'podSelector' : 'endpointSelector');
    const keyRange = (selector?.key as Node | undefined)?.range;
    const valueRange = (selector?.value as Node | undefined)?.range;
    if (keyRange && valueRange) {
      rules.push({ section: 'selector', index: 0, ...at, ...span(keyRange[0], valueRange[1]) });
    }
    for (const section of SECTIONS) {
      const list = pairIn(node, section)?.value as { items?: Node[] } | undefined;
      list?.items?.forEach((item, index) => {
        if (item.range)
          rules.push({ section, index, ...at, ...span(item.range[0], item.range[1]) });
      });
    }
  }
  const source = manifest === undefined ? 'serialized' : 'manifest';
  const out: PolicyText = { kind, name: p.metadata.name, yaml, source, rules };
  if (p.metadata.namespace && kind !== 'CiliumClusterwideNetworkPolicy') {
    out.namespace = p.metadata.namespace;
  }
  return out;
}
