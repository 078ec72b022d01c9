// deploy/lab is the default demo lab as real manifests: in step with the demo, and valid.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { readdirSync } from 'node:fs';
import { labManifests, labStepManifests } from '../../backend/src/demo/lab-manifests.ts';
import { SCENARIOS } from '../../backend/src/demo/scenarios/index.ts';
import { ROOT } from '../support/process.ts';

const parse = (text: string) => {
  const docs = parseAllDocuments(text);
  return (Array.isArray(docs) ? docs : [docs]).map(
    (d) => d.toJS() as { apiVersion: string; kind: string },
  );
};

const FILE = join(ROOT, 'deploy/lab/three-tier.yaml');

describe('deploy/lab/three-tier.yaml', () => {
  const committed = parse(readFileSync(FILE, 'utf8'));

  it('is what `npm run lab:manifests` generates from the three-tier demo lab', () => {
    expect(committed).toEqual(parse(labManifests(SCENARIOS['three-tier']!)));
  });

  it.each(committed.map((d, i) => [i + 1, d] as const))(
    'document %i is valid against the Kubernetes schema',
    async (_i, doc) => {
      const [group, version] = doc.apiVersion.includes('/')
        ? doc.apiVersion.split('/')
        : ['', doc.apiVersion];
      const mod = (await import(
        `kubernetes-models/${group ? `${group}/` : ''}${version}/${doc.kind}`
      )) as Record<string, new (o: unknown) => { validate(): void }>;
      expect(() => new mod[doc.kind]!(doc).validate()).not.toThrow();
    },
  );
});

describe('deploy/lab/steps', () => {
  it('holds each step of the three-tier lab, as generated', () => {
    const want = labStepManifests(SCENARIOS['three-tier']!);
    const dir = join(ROOT, 'deploy/lab/steps');
    expect(readdirSync(dir).sort()).toEqual(Object.keys(want).sort());
    for (const [name, text] of Object.entries(want)) {
      expect(parse(readFileSync(join(dir, name), 'utf8')), name).toEqual(parse(text));
    }
  });
});
