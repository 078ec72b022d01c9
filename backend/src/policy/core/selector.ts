// Label selectors as Kubernetes defines them: matchLabels AND every matchExpression; an empty
// selector matches everything; NotIn and DoesNotExist match when the key is absent. Cilium
// writes keys with a source prefix (`k8s:app`, `any:app`); those are reduced to the key.
import type { LabelSelector } from '../../k8s/objects.ts';

export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}

const PREFIXES = ['k8s:', 'any:', 'container:', 'unspec:'];

/** `k8s:app` → `app`; reserved and other sources are kept as they are. */
export function bareKey(key: string): string {
  for (const p of PREFIXES) if (key.startsWith(p)) return key.slice(p.length);
  return key;
}

export function isEmptySelector(sel: LabelSelector | undefined): boolean {
  return (
    !sel ||
    (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)
  );
}

export function selectorMatches(
  sel: LabelSelector | undefined,
  labels: Record<string, string>,
): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (labels[bareKey(k)] !== String(v)) return false;
  }
  for (const e of sel.matchExpressions ?? []) {
    const key = bareKey(e.key);
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    const values = (e.values ?? []).map(String);
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(labels[key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        throw new SelectorError(`unknown selector operator ${String(e.operator)}`);
    }
  }
  return true;
}

/** Selector keys a selector requires, for describing it: `app=web, tier in (a,b)`. */
export function describeSelector(sel: LabelSelector | undefined): string {
  if (isEmptySelector(sel)) return '{}';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) parts.push(`${bareKey(k)}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    const key = bareKey(e.key);
    if (e.operator === 'Exists') parts.push(key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${key}`);
    else
      parts.push(`${key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`);
  }
  return parts.join(', ');
}
