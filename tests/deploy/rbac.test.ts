// deploy/kubernetes/rbac.yaml grants exactly what flowlens watches, read-only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../support/process.ts';
import { RESOURCES } from '../../backend/src/k8s/resources.ts';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes/rbac.yaml'), 'utf8'));
const objects = (Array.isArray(docs) ? docs : [docs]).map(
  (d) => d.toJS() as { kind: string; rules?: Rule[] },
);
const role = objects.find((o) => o.kind === 'ClusterRole');

/** group/resource of everything the live source lists and watches: one table for both. */
const WATCHED = RESOURCES.map((r) => `${r.group}/${r.plural}`);

describe('deploy/kubernetes/rbac.yaml', () => {
  it('grants only get, list and watch', () => {
    const verbs = new Set(role?.rules?.flatMap((r) => r.verbs));
    expect([...verbs].sort()).toEqual(['get', 'list', 'watch']);
  });

  it('covers exactly the resources flowlens watches, with no wildcards', () => {
    const granted = role!.rules!.flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`)),
    );
    expect(granted.sort()).toEqual([...WATCHED].sort());
    expect(granted.some((g) => g.includes('*'))).toBe(false);
  });

  it('binds the role to the flowlens service account', () => {
    expect(objects.map((o) => o.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
    ]);
  });
});
