// The text each policy had in the manifest files the model was loaded from, so the UI shows a
// policy as its author wrote it (comments, order and all) rather than re-serialised. Read once,
// when first asked, from the same files the model came from.
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { manifestFiles } from '../k8s/manifests.ts';
import type { PolicyKind } from '../policy/core/policy-yaml.ts';

const KINDS: ReadonlySet<string> = new Set([
  'NetworkPolicy',
  'CiliumNetworkPolicy',
  'CiliumClusterwideNetworkPolicy',
]);

export function policyKey(kind: PolicyKind, namespace: string | undefined, name: string): string {
  return `${kind}|${kind === 'CiliumClusterwideNetworkPolicy' ? '' : (namespace ?? 'default')}|${name}`;
}

/** Policy documents in the files under `paths`, by policyKey; unreadable files are skipped. */
export async function readPolicyTexts(paths: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const { files } = await manifestFiles(paths);
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    const docs = parseAllDocuments(text, { prettyErrors: false });
    // An empty file parses to an EmptyStream, which has no documents.
    for (const doc of Array.isArray(docs) ? docs : []) {
      if (doc.errors.length > 0 || !doc.range) continue;
      let obj: { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
      try {
        obj = doc.toJS({ maxAliasCount: 100 }) as typeof obj;
      } catch {
        continue;
      }
      const kind = obj?.kind;
      const name = obj?.metadata?.name;
      if (typeof kind !== 'string' || !KINDS.has(kind) || typeof name !== 'string') continue;
      const ns = obj?.metadata?.namespace;
      // A document after the first starts with its `---` marker; the policy starts after it.
      const body = text.slice(doc.range[0], doc.range[2]).replace(/^---[^\n]*\n/, '');
      out.set(policyKey(kind as PolicyKind, typeof ns === 'string' ? ns : undefined, name), body);
    }
  }
  return out;
}
