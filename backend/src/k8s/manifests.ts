// Offline cluster model: loads Kubernetes YAML (files or folders, multi-document files, `List`
// kinds, `kubectl get -o yaml` output with status) into a ClusterModel, so `flowlens explain`
// and the dashboard work with no cluster. A bad document is reported with its file, document
// index and reason; the rest still load.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  CLUSTER_SCOPED,
  ClusterModel,
  isResourceKind,
  type ResourceKind,
} from './cluster-model.ts';
import type { KubeObject, LabelSelector, Pod } from './objects.ts';

export interface ManifestProblem {
  file: string;
  /** 1-based document index within the file; absent for file-level problems. */
  document?: number;
  reason: string;
}

export interface ManifestLoadResult {
  files: number;
  /** Objects loaded, per kind. */
  loaded: Partial<Record<ResourceKind, number>>;
  /** Documents of kinds flowlens does not model (ConfigMaps, Ingresses, …), per kind. */
  ignored: Record<string, number>;
  /** Pods stood in for workloads that had no pod in the manifests. */
  synthesizedPods: number;
  problems: ManifestProblem[];
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
/** Guards against a wrong path like `/` walking the whole disk. */
const MAX_FILES = 5000;

export const SYNTHESIZED_ANNOTATION = 'flowlens.io/synthesized-from';

/** Lists the manifest files under the given paths (files are taken as given). */
export async function manifestFiles(
  paths: string[],
): Promise<{ files: string[]; problems: ManifestProblem[] }> {
  const files: string[] = [];
  const problems: ManifestProblem[] = [];
  async function walk(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && MANIFEST_EXTENSIONS.has(extname(e.name).toLowerCase())) {
        if (files.length >= MAX_FILES) {
          throw new Error(
            `more than ${MAX_FILES} manifest files under ${dir}; point at a narrower folder`,
          );
        }
        files.push(full);
      }
    }
  }
  for (const p of paths) {
    try {
      const s = await stat(p);
      if (s.isDirectory()) await walk(p);
      else files.push(p);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      problems.push({
        file: p,
        reason: e.code === 'ENOENT' ? 'no such file or folder' : e.message,
      });
    }
  }
  return { files, problems };
}

/** Parses one file's text into objects; problems are collected, never thrown. */
export function parseManifestText(
  file: string,
  text: string,
): { objects: KubeObject[]; problems: ManifestProblem[] } {
  const objects: KubeObject[] = [];
  const problems: ManifestProblem[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const document = i + 1;
    if (doc.errors.length > 0) {
      problems.push({ file, document, reason: firstLine(doc.errors[0]!.message) });
      return;
    }
    let value: unknown;
    try {
      // The alias limit turns a "billion laughs" document into an error instead of a hang.
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      problems.push({ file, document, reason: firstLine((err as Error).message) });
      return;
    }
    if (value === null || value === undefined) return; // empty document, e.g. a trailing `---`
    collect(value, file, document, objects, problems);
  });
  return { objects, problems };
}

function collect(
  value: unknown,
  file: string,
  document: number,
  objects: KubeObject[],
  problems: ManifestProblem[],
): void {
  if (typeof value !== 'object' || Array.isArray(value) || value === null) {
    problems.push({
      file,
      document,
      reason: 'expected a Kubernetes object (a mapping with kind and metadata)',
    });
    return;
  }
  const obj = value as Record<string, unknown>;
  const kind = obj['kind'];
  if (typeof kind !== 'string' || kind === '') {
    problems.push({ file, document, reason: 'missing kind' });
    return;
  }
  if (kind === 'List' || (kind.endsWith('List') && Array.isArray(obj['items']))) {
    const items = obj['items'];
    if (!Array.isArray(items)) {
      problems.push({ file, document, reason: `${kind} without items` });
      return;
    }
    // `kubectl get pods -o yaml` items carry no kind of their own when the list is typed.
    const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
    for (const item of items) {
      const withKind =
        itemKind && typeof item === 'object' && item !== null && !('kind' in item)
          ? { kind: itemKind, ...(item as object) }
          : item;
      collect(withKind, file, document, objects, problems);
    }
    return;
  }
  const meta = obj['metadata'];
  if (
    typeof meta !== 'object' ||
    meta === null ||
    typeof (meta as { name?: unknown }).name !== 'string'
  ) {
    problems.push({ file, document, reason: `${kind} without metadata.name` });
    return;
  }
  objects.push(obj as unknown as KubeObject);
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

/** Loads manifests into the model. Unknown kinds are counted, bad documents reported. */
export async function loadManifests(
  paths: string[],
  model: ClusterModel,
): Promise<ManifestLoadResult> {
  const { files, problems } = await manifestFiles(paths);
  const result: ManifestLoadResult = {
    files: files.length,
    loaded: {},
    ignored: {},
    synthesizedPods: 0,
    problems,
  };
  const all: { kind: ResourceKind; obj: KubeObject }[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      problems.push({ file, reason: (err as Error).message });
      continue;
    }
    const parsed = parseManifestText(file, text);
    problems.push(...parsed.problems);
    for (const obj of parsed.objects) {
      const kind = obj.kind;
      if (!isResourceKind(kind)) {
        const k = String(kind);
        result.ignored[k] = (result.ignored[k] ?? 0) + 1;
        continue;
      }
      // kubectl applies a namespaced object without a namespace to `default`.
      if (!CLUSTER_SCOPED.has(kind) && !obj.metadata.namespace) {
        obj.metadata = { ...obj.metadata, namespace: 'default' };
      }
      all.push({ kind, obj });
    }
  }
  for (const { kind, obj } of all) {
    if (model.apply(kind, 'ADDED', obj)) result.loaded[kind] = (result.loaded[kind] ?? 0) + 1;
  }
  addImplicitNamespaces(model, result);
  result.synthesizedPods = synthesizePods(model, all);
  if (result.synthesizedPods > 0) {
    result.loaded.Pod = (result.loaded.Pod ?? 0) + result.synthesizedPods;
  }
  return result;
}

/** Namespaces that objects live in but that no manifest declares. */
function addImplicitNamespaces(model: ClusterModel, result: ManifestLoadResult): void {
  const used = new Set<string>();
  for (const kind of [
    'Pod',
    'Service',
    'NetworkPolicy',
    'CiliumNetworkPolicy',
    'Deployment',
    'StatefulSet',
    'DaemonSet',
  ] as const) {
    for (const o of model.objects(kind)) if (o.metadata.namespace) used.add(o.metadata.namespace);
  }
  for (const name of used) {
    if (model.namespace(name)) continue;
    model.apply('Namespace', 'ADDED', {
      kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
    });
    result.loaded.Namespace = (result.loaded.Namespace ?? 0) + 1;
  }
}

interface PodTemplateOwner extends KubeObject {
  spec?: {
    selector?: LabelSelector;
    template?: { metadata?: { labels?: Record<string, string> }; spec?: Pod['spec'] };
    jobTemplate?: {
      spec?: { template?: { metadata?: { labels?: Record<string, string> }; spec?: Pod['spec'] } };
    };
  };
}

/**
 * Manifests usually hold Deployments, not Pods. For each workload without a matching pod, a
 * stand-in pod carries the template's labels and ports, named after the workload, so policies
 * can be evaluated and `--from shop/web` finds it. It has no IP and is marked by an annotation.
 */
function synthesizePods(
  model: ClusterModel,
  all: { kind: ResourceKind; obj: KubeObject }[],
): number {
  let count = 0;
  for (const { kind, obj } of all) {
    if (!['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicaSet'].includes(kind))
      continue;
    const w = obj as PodTemplateOwner;
    // A ReplicaSet owned by a Deployment is covered by the Deployment.
    if (kind === 'ReplicaSet' && (w.metadata.ownerReferences ?? []).length > 0) continue;
    const template = kind === 'CronJob' ? w.spec?.jobTemplate?.spec?.template : w.spec?.template;
    const labels = template?.metadata?.labels ?? {};
    const ns = w.metadata.namespace ?? 'default';
    const covered = model
      .pods(ns)
      .some(
        (p) =>
          Object.keys(labels).length > 0 &&
          Object.entries(labels).every(([k, v]) => p.metadata.labels?.[k] === v),
      );
    if (covered || model.pod(ns, w.metadata.name)) continue;
    const pod: Pod = {
      kind: 'Pod',
      metadata: {
        name: w.metadata.name,
        namespace: ns,
        labels,
        annotations: { [SYNTHESIZED_ANNOTATION]: `${kind}/${w.metadata.name}` },
        ownerReferences: [{ kind, name: w.metadata.name, controller: true }],
      },
      spec: template?.spec ?? {},
      status: { phase: 'Pending' },
    };
    model.apply('Pod', 'ADDED', pod);
    count += 1;
  }
  return count;
}

/** One line per problem, as `file: document N: reason`. */
export function formatProblem(p: ManifestProblem): string {
  return p.document === undefined
    ? `${p.file}: ${p.reason}`
    : `${p.file}: document ${p.document}: ${p.reason}`;
}
