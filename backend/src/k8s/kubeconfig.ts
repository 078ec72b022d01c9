// Where flowlens finds its Kubernetes credentials, in the order kubectl users expect:
// --kubeconfig PATH, then KUBECONFIG, then ~/.kube/config, or the pod's service account with
// --in-cluster. client-node's own loadFromDefault silently falls back to http://localhost:8080
// when nothing is found; we refuse instead, with a message naming what was tried, because a
// dashboard quietly watching nothing looks exactly like an empty cluster.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export type { KubeConfig } from '@kubernetes/client-node';

export interface KubeConfigSource {
  /** --kubeconfig PATH; wins over everything else. */
  kubeconfig?: string;
  /** --in-cluster: the pod's service account, nothing else. */
  inCluster?: boolean;
  /** Defaults to process.env; injectable for tests. */
  env?: NodeJS.ProcessEnv;
  /** Defaults to os.homedir(); injectable for tests. */
  home?: string;
  /** Root for the service-account files (tests); '' in production. */
  serviceAccountRoot?: string;
}

/** Bad or missing credentials; the message is the whole story, fit for a one-line CLI error. */
export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}

export interface LoadedKubeConfig {
  config: KubeConfig;
  /** Where it came from, for the startup log and /api/status: a path or "in-cluster". */
  origin: string;
  server: string;
  context?: string;
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

export function loadKubeConfig(source: KubeConfigSource = {}): LoadedKubeConfig {
  const env = source.env ?? process.env;
  if (source.inCluster && source.kubeconfig) {
    throw new KubeConfigError('--kubeconfig and --in-cluster are mutually exclusive');
  }
  if (source.inCluster) return loadInCluster(env, source.serviceAccountRoot ?? '');
  if (source.kubeconfig) return loadFiles([source.kubeconfig], source.kubeconfig);
  const fromEnv = env.KUBECONFIG;
  if (fromEnv) {
    // KUBECONFIG is a list, like PATH; kubectl skips entries that do not exist and fails only
    // when none does.
    const files = fromEnv.split(path.delimiter).filter((f) => f !== '');
    const existing = files.filter((f) => fs.existsSync(f));
    if (existing.length === 0) {
      throw new KubeConfigError(
        files.length === 1
          ? `kubeconfig ${files[0]} (from KUBECONFIG): no such file`
          : `KUBECONFIG=${fromEnv}: none of these files exists`,
      );
    }
    return loadFiles(existing, fromEnv);
  }
  const home = source.home ?? os.homedir();
  const fallback = path.join(home, '.kube', 'config');
  if (fs.existsSync(fallback)) return loadFiles([fallback], fallback);
  throw new KubeConfigError(
    `no kubeconfig: pass --kubeconfig PATH, set KUBECONFIG, create ${fallback}, or use --in-cluster`,
  );
}

function loadFiles(files: string[], origin: string): LoadedKubeConfig {
  const kc = new KubeConfig();
  files.forEach((file, i) => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new KubeConfigError(`kubeconfig ${file}: no such file`);
      if (code === 'EISDIR') throw new KubeConfigError(`kubeconfig ${file}: is a directory`);
      throw new KubeConfigError(`kubeconfig ${file}: ${(err as Error).message}`);
    }
    const one = i === 0 ? kc : new KubeConfig();
    try {
      one.loadFromString(text);
    } catch (err) {
      throw new KubeConfigError(`kubeconfig ${file}: invalid: ${firstLine(err)}`);
    }
    // Later files only add entries, as kubectl merges them; the first file's context wins.
    if (one !== kc) kc.mergeConfig(one, true);
  });
  return finish(kc, origin);
}

function loadInCluster(env: NodeJS.ProcessEnv, root: string): LoadedKubeConfig {
  if (!env.KUBERNETES_SERVICE_HOST || !env.KUBERNETES_SERVICE_PORT) {
    throw new KubeConfigError(
      'in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not running in a pod?)',
    );
  }
  const token = `${root}${SERVICE_ACCOUNT}/token`;
  if (!fs.existsSync(token)) {
    throw new KubeConfigError(
      `in-cluster: ${token}: no such file (is automountServiceAccountToken off?)`,
    );
  }
  // loadFromCluster reads process.env itself; an injected env must be visible to it.
  const saved = {
    host: process.env.KUBERNETES_SERVICE_HOST,
    port: process.env.KUBERNETES_SERVICE_PORT,
  };
  process.env.KUBERNETES_SERVICE_HOST = env.KUBERNETES_SERVICE_HOST;
  process.env.KUBERNETES_SERVICE_PORT = env.KUBERNETES_SERVICE_PORT;
  const kc = new KubeConfig();
  try {
    kc.loadFromCluster(root);
  } finally {
    restoreEnv('KUBERNETES_SERVICE_HOST', saved.host);
    restoreEnv('KUBERNETES_SERVICE_PORT', saved.port);
  }
  return finish(kc, 'in-cluster');
}

function finish(kc: KubeConfig, origin: string): LoadedKubeConfig {
  const contextName = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new KubeConfigError(
      contextName
        ? `kubeconfig ${origin}: current context "${contextName}" names no known cluster`
        : `kubeconfig ${origin}: no current context (run kubectl config use-context NAME)`,
    );
  }
  if (!cluster.server)
    throw new KubeConfigError(`kubeconfig ${origin}: cluster "${cluster.name}" has no server`);
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    throw new KubeConfigError(
      `kubeconfig ${origin}: cluster server "${cluster.server}" is not a URL`,
    );
  }
  if (url.protocol === 'http:' && !cluster.skipTLSVerify) {
    // client-node refuses plain http unless TLS verification is off; say so before the first
    // request fails with a less helpful message.
    throw new KubeConfigError(
      `kubeconfig ${origin}: server ${cluster.server} is plain http; set insecure-skip-tls-verify: true for it`,
    );
  }
  const loaded: LoadedKubeConfig = { config: kc, origin, server: cluster.server };
  if (contextName) loaded.context = contextName;
  return loaded;
}

export interface ServerOptions {
  /** Required for http:// URLs (client-node refuses plain http otherwise). */
  skipTLSVerify?: boolean;
  token?: string;
  caData?: string;
  namespace?: string;
}

/** A KubeConfig pointing at one server: for tests (a fake API server) and `kubectl proxy`. */
export function kubeConfigForServer(server: string, opts: ServerOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  const cluster: { name: string; server: string; skipTLSVerify: boolean; caData?: string } = {
    name: 'flowlens',
    server,
    skipTLSVerify: opts.skipTLSVerify ?? server.startsWith('http:'),
  };
  if (opts.caData) cluster.caData = opts.caData;
  const user: { name: string; token?: string } = { name: 'flowlens' };
  if (opts.token) user.token = opts.token;
  kc.loadFromOptions({
    clusters: [cluster],
    users: [user],
    contexts: [
      { name: 'flowlens', cluster: 'flowlens', user: 'flowlens', namespace: opts.namespace },
    ],
    currentContext: 'flowlens',
  });
  return kc;
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0];
}
