// Every manifest in deploy/ is valid against the Kubernetes schemas (kubernetes-models), the
// Deployment runs hardened, and its arguments are options flowlens actually has.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { SERVE_OPTIONS } from '../../backend/src/cli.ts';
import { parseOptions } from '../../backend/src/cli-args.ts';
import { ROOT } from '../support/process.ts';

const DIR = join(ROOT, 'deploy/kubernetes');
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
}

const docs: { file: string; doc: Doc }[] = files.flatMap((file) => {
  const parsed = parseAllDocuments(readFileSync(join(DIR, file), 'utf8'));
  return (Array.isArray(parsed) ? parsed : [parsed]).map((d) => ({ file, doc: d.toJS() as Doc }));
});

/** kubernetes-models lays its classes out as <group>/<version>/<Kind>. */
async function modelFor(doc: Doc): Promise<{ validate(): void }> {
  const [group, version] = doc.apiVersion.includes('/')
    ? doc.apiVersion.split('/')
    : ['', doc.apiVersion];
  const path = `kubernetes-models/${group ? `${group}/` : ''}${version}/${doc.kind}`;
  const mod = (await import(path)) as Record<string, new (o: unknown) => { validate(): void }>;
  return new mod[doc.kind]!(doc);
}

describe('deploy/kubernetes', () => {
  it.each(docs.map((d) => [`${d.file} ${d.doc.kind}/${d.doc.metadata.name}`, d.doc] as const))(
    '%s is valid against the Kubernetes schema',
    async (_name, doc) => {
      const model = await modelFor(doc);
      expect(() => model.validate()).not.toThrow();
    },
  );

  it('lists every manifest in the kustomization', () => {
    const k = parseAllDocuments(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8'));
    const resources = ((Array.isArray(k) ? k[0] : k)!.toJS() as { resources: string[] }).resources;
    expect([...resources].sort()).toEqual([...files].sort());
  });

  const deployment = docs.find((d) => d.doc.kind === 'Deployment')!.doc as unknown as {
    spec: {
      template: {
        spec: {
          serviceAccountName: string;
          securityContext: { runAsNonRoot: boolean };
          containers: {
            args: string[];
            securityContext: {
              readOnlyRootFilesystem: boolean;
              allowPrivilegeEscalation: boolean;
              capabilities: { drop: string[] };
            };
            resources: { requests: object; limits: object };
            readinessProbe: { httpGet: { path: string } };
            livenessProbe: { httpGet: { path: string } };
          }[];
        };
      };
    };
  };
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0]!;

  it('runs non-root with a read-only root filesystem and no capabilities', () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits).toBeDefined();
  });

  it('probes /healthz and /readyz and uses the read-only service account', () => {
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(pod.serviceAccountName).toBe('flowlens');
  });

  it('passes only options flowlens has', () => {
    const args = container.args.map((a) => (a === '$(HUBBLE_ADDR)' ? 'relay:80' : a));
    expect(() => parseOptions(args, SERVE_OPTIONS, {})).not.toThrow();
  });
});
