// The `flowlens` command. Exit codes: 0 ok, 1 runtime failure, 2 bad usage.
import { readFileSync, existsSync } from 'node:fs';
import { App } from './app.ts';
import type { AppOptions } from './app.ts';
import { formatOptions, parseOptions, parsePort, UsageError } from './cli-args.ts';
import type { OptionSpec, ParsedOptions } from './cli-args.ts';
import { DEFAULT_SCENARIO, SCENARIOS } from './demo/scenarios/index.ts';
import type { Lab } from './demo/lab.ts';
import { DemoSource } from './demo/demo-source.ts';
import { FlowHistory } from './hubble/flow-history.ts';
import { HubbleServer } from './hubble/server.ts';
import type { HubbleServerTLS } from './hubble/server.ts';
import type { HubbleTLSOptions, HubbleTransport } from './hubble/client.ts';
import { loadReplayFile } from './hubble/replay-file.ts';
import { ReplayPacer } from './store/replay-pacer.ts';
import { VERSION } from './version.ts';
import { loadLab } from './demo/lab-model.ts';
import { modelReadiness, policyJudge } from './demo/judge.ts';
import { ClusterModel } from './k8s/cluster-model.ts';
import { formatProblem, loadManifests } from './k8s/manifests.ts';
import {
  formatExplanationText,
  PolicyEngine,
  PolicyInputError,
  queryFromRequest,
} from './policy/index.ts';

export const SERVE_OPTIONS: Record<string, OptionSpec> = {
  demo: {
    kind: 'optional-string',
    valueName: 'SCENARIO',
    help: `built-in simulated lab cluster (default when no source is given): ${Object.keys(SCENARIOS).join(', ')}`,
  },
  hubble: {
    kind: 'string',
    valueName: 'ADDR',
    env: 'HUBBLE_ADDR',
    help: 'Hubble Relay address, e.g. 127.0.0.1:4245',
  },
  'hubble-tls': { kind: 'boolean', help: 'connect to Relay with TLS' },
  'hubble-ca': {
    kind: 'string',
    valueName: 'FILE',
    help: 'CA bundle to verify Relay (implies TLS)',
  },
  'hubble-cert': { kind: 'string', valueName: 'FILE', help: 'client certificate for mTLS' },
  'hubble-key': { kind: 'string', valueName: 'FILE', help: 'client key for mTLS' },
  'hubble-server-name': {
    kind: 'string',
    valueName: 'NAME',
    help: "name to verify Relay's certificate against",
  },
  'hubble-transport': {
    kind: 'string',
    valueName: 'h2|grpc-js',
    help: 'how the flow stream is read: our own HTTP/2 framing (default, faster) or grpc-js',
  },
  replay: {
    kind: 'string',
    valueName: 'FILE',
    help: 'flows from `hubble observe -o json` lines or a flowlens recording',
  },
  'replay-speed': {
    kind: 'string',
    valueName: 'N|max',
    help: 'replay pace: 1 = as recorded, 10 = ten times faster, max = all at once (default)',
  },
  record: {
    kind: 'string',
    valueName: 'FILE',
    help: 'append every received flow (Hubble JSON lines)',
  },
  'record-max-mb': {
    kind: 'string',
    valueName: 'N',
    help: 'rotate the recording at this size, keeping 5 old files (default 100; 0 = never)',
  },
  'history-flows': {
    kind: 'string',
    valueName: 'N',
    help: 'flows kept in history for scrubbing and new views (default 100000)',
  },
  'history-mb': {
    kind: 'string',
    valueName: 'N',
    help: 'memory history may take, estimated (default 256)',
  },
  'heap-budget-mb': {
    kind: 'string',
    valueName: 'N',
    help: 'collect garbage so the JS heap stays near this size (default 288; 0 = leave it to V8)',
  },
  kubeconfig: {
    kind: 'string',
    valueName: 'PATH',
    help: 'live cluster model from this kubeconfig (default with --hubble: KUBECONFIG or ~/.kube/config)',
  },
  'in-cluster': { kind: 'boolean', help: 'live cluster model from the pod service account' },
  manifests: {
    kind: 'string[]',
    valueName: 'PATH',
    help: 'offline cluster model from YAML files or folders (repeatable)',
  },
  host: {
    kind: 'string',
    valueName: 'HOST',
    env: 'HOST',
    help: 'listen address (default 127.0.0.1)',
  },
  port: { kind: 'string', valueName: 'PORT', env: 'PORT', help: 'listen port (default 8080)' },
  token: {
    kind: 'string',
    valueName: 'TOKEN',
    env: 'FLOWLENS_TOKEN',
    help: 'require this token (Authorization: Bearer, or open the UI once with ?token=)',
  },
  seed: { kind: 'string', valueName: 'N', help: 'demo random seed (default 1)' },
  help: { kind: 'boolean', help: 'show this help' },
};

const HUBBLE_SERVER_OPTIONS: Record<string, OptionSpec> = {
  replay: { kind: 'string', valueName: 'FILE', help: 'serve the flows of this file' },
  demo: {
    kind: 'optional-string',
    valueName: 'SCENARIO',
    help: `serve a simulated lab: ${Object.keys(SCENARIOS).join(', ')}`,
  },
  host: { kind: 'string', valueName: 'HOST', help: 'listen address (default 127.0.0.1)' },
  port: { kind: 'string', valueName: 'PORT', help: 'listen port (default 4245)' },
  'replay-speed': {
    kind: 'string',
    valueName: 'N|max',
    help: 'replay pace: 1 = as recorded, max = all at once (default)',
  },
  loop: { kind: 'boolean', help: 'start the recording over when it ends' },
  'demo-rate': {
    kind: 'string',
    valueName: 'X',
    help: "multiply the demo lab's traffic by X (load tests; default 1)",
  },
  seed: { kind: 'string', valueName: 'N', help: 'demo random seed (default 1)' },
  'tls-cert': { kind: 'string', valueName: 'FILE', help: 'serve TLS with this certificate' },
  'tls-key': { kind: 'string', valueName: 'FILE', help: 'private key of --tls-cert' },
  'tls-client-ca': {
    kind: 'string',
    valueName: 'FILE',
    help: 'require client certificates signed by this CA (mTLS)',
  },
  help: { kind: 'boolean', help: 'show this help' },
};

const EXPLAIN_OPTIONS: Record<string, OptionSpec> = {
  manifests: {
    kind: 'string[]',
    valueName: 'PATH',
    help: 'YAML files or folders with the cluster objects and policies (repeatable)',
  },
  from: { kind: 'string', valueName: 'NS/POD|IP', help: 'where the connection starts' },
  to: { kind: 'string', valueName: 'NS/POD|NS/svc/NAME|IP', help: 'where it goes' },
  port: {
    kind: 'string',
    valueName: 'N|NAME[/PROTO]',
    help: 'destination port (of the Service, for a Service)',
  },
  http: {
    kind: 'string',
    valueName: '"METHOD PATH"',
    help: 'an HTTP request, for Cilium L7 rules',
  },
  json: { kind: 'boolean', help: 'print the Explanation JSON' },
  lang: { kind: 'string', valueName: 'en|ko', help: 'language of the explanation (default en)' },
  help: { kind: 'boolean', help: 'show this help' },
};

const USAGE = `flowlens ${VERSION} — what talks to what in your cluster, what was dropped, and why

Usage:
  flowlens [serve] [options]          the dashboard (demo mode when no source is given)
  flowlens explain [options]          why a connection is allowed or denied, from manifests alone
  flowlens hubble-server [options]    a Hubble-compatible Observer API serving a recording or the demo
  flowlens --version

serve options:
${formatOptions(SERVE_OPTIONS)}

explain options:
${formatOptions(EXPLAIN_OPTIONS)}

hubble-server options:
${formatOptions(HUBBLE_SERVER_OPTIONS)}`;

function readFile(path: string, option: string): Buffer {
  if (!existsSync(path)) throw new UsageError(`${option}: no such file: ${path}`);
  return readFileSync(path);
}

function scenario(value: string | boolean | string[] | undefined): Lab {
  const name = typeof value === 'string' ? value : DEFAULT_SCENARIO;
  const lab = SCENARIOS[name];
  if (!lab) {
    throw new UsageError(
      `unknown demo scenario ${name} (known: ${Object.keys(SCENARIOS).join(', ')})`,
    );
  }
  return lab;
}

function seedOf(o: ParsedOptions): number {
  const seed = o['seed'] === undefined ? 1 : Number(o['seed']);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got ${o['seed']}`);
  return seed;
}

function replaySpeed(o: ParsedOptions): number {
  const v = o['replay-speed'];
  if (v === undefined || v === 'max') return Infinity;
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new UsageError(`--replay-speed must be a positive number or max, got ${String(v)}`);
  }
  return n;
}

function recordMaxBytes(o: ParsedOptions): number | undefined {
  const v = o['record-max-mb'];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n >= 0) || !Number.isFinite(n)) {
    throw new UsageError(`--record-max-mb must be a number of megabytes, got ${String(v)}`);
  }
  return Math.round(n * 1024 * 1024);
}

/** A number option: integers of at least `min`, or the default when absent. */
function count(o: ParsedOptions, name: string, fallback: number, min: number): number {
  const v = o[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`--${name} must be a whole number of at least ${min}, got ${String(v)}`);
  }
  return n;
}

function hubbleTransport(o: ParsedOptions): HubbleTransport | undefined {
  const v = o['hubble-transport'];
  if (v === undefined) return undefined;
  if (v === 'h2') return 'h2';
  if (v === 'grpc-js') return 'inline';
  throw new UsageError(`--hubble-transport must be h2 or grpc-js, got ${String(v)}`);
}

function str(o: ParsedOptions, name: string): string | undefined {
  const v = o[name];
  return typeof v === 'string' ? v : undefined;
}

export function serveOptions(o: ParsedOptions): AppOptions {
  const sources = ['hubble', 'replay', 'demo'].filter((k) => o[k] !== undefined);
  if (sources.length > 1) {
    throw new UsageError(
      `choose one flow source, not ${sources.map((s) => `--${s}`).join(' and ')}`,
    );
  }
  const host = str(o, 'host') ?? '127.0.0.1';
  const port = parsePort(str(o, 'port') ?? '8080', '--port');
  const manifests = o['manifests'] as string[] | undefined;
  for (const m of manifests ?? []) {
    if (!existsSync(m)) throw new UsageError(`--manifests: no such file or folder: ${m}`);
  }
  const kubeconfig = str(o, 'kubeconfig');
  const inCluster = o['in-cluster'] === true;
  if (kubeconfig !== undefined && inCluster) {
    throw new UsageError('choose one of --kubeconfig and --in-cluster');
  }
  if (kubeconfig !== undefined && !existsSync(kubeconfig)) {
    throw new UsageError(`--kubeconfig: no such file: ${kubeconfig}`);
  }
  if ((kubeconfig !== undefined || inCluster) && manifests) {
    throw new UsageError(
      'choose a live cluster (--kubeconfig/--in-cluster) or --manifests, not both',
    );
  }
  if ((kubeconfig !== undefined || inCluster) && o['demo'] !== undefined) {
    throw new UsageError(
      '--demo brings its own cluster; use --kubeconfig with --hubble or --replay',
    );
  }
  if (manifests && o['demo'] !== undefined) {
    throw new UsageError(
      '--demo brings its own cluster; use --manifests with --hubble or --replay',
    );
  }
  const token = str(o, 'token') || undefined;
  if (token !== undefined && token.length < 8) {
    throw new UsageError('--token must be at least 8 characters');
  }
  const kubernetes =
    kubeconfig !== undefined || inCluster ? { kubeconfig, inCluster, explicit: true } : undefined;
  const base = {
    host,
    port,
    token,
    kubernetes,
    recordFile: str(o, 'record'),
    recordMaxBytes: recordMaxBytes(o),
    manifests,
    historyFlows: count(o, 'history-flows', 100_000, 1),
    historyBytes: count(o, 'history-mb', 256, 1) * 1024 * 1024,
    heapBudgetBytes: count(o, 'heap-budget-mb', 288, 0) * 1024 * 1024 || undefined,
    hubbleTransport: hubbleTransport(o),
  };
  const hubble = str(o, 'hubble');
  if (hubble !== undefined) {
    let tls: HubbleTLSOptions | undefined;
    const ca = str(o, 'hubble-ca');
    const cert = str(o, 'hubble-cert');
    const key = str(o, 'hubble-key');
    if ((cert === undefined) !== (key === undefined)) {
      throw new UsageError('--hubble-cert and --hubble-key go together');
    }
    if (o['hubble-tls'] || ca || cert) {
      tls = {
        ca: ca ? readFile(ca, '--hubble-ca') : undefined,
        cert: cert ? readFile(cert, '--hubble-cert') : undefined,
        key: key ? readFile(key, '--hubble-key') : undefined,
        serverName: str(o, 'hubble-server-name'),
      };
    }
    // With a live Relay, a kubeconfig in the usual places is used unless manifests are given.
    const k8s = base.kubernetes ?? (manifests ? undefined : { inCluster: false, explicit: false });
    return { ...base, kubernetes: k8s, mode: 'live', hubbleAddress: hubble, hubbleTLS: tls };
  }
  const replay = str(o, 'replay');
  if (replay !== undefined) {
    readFile(replay, '--replay');
    return { ...base, mode: 'replay', replayFile: replay, replaySpeed: replaySpeed(o) };
  }
  if (manifests) {
    if (base.recordFile) throw new UsageError('--record needs a flow source');
    return { ...base, mode: 'offline' };
  }
  return { ...base, mode: 'demo', lab: scenario(o['demo']), seed: seedOf(o) };
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

async function serve(argv: string[]): Promise<number> {
  const o = parseOptions(argv, SERVE_OPTIONS);
  if (o['help']) {
    console.log(USAGE);
    return 0;
  }
  const opts = serveOptions(o);
  if (!['127.0.0.1', '::1', 'localhost'].includes(opts.host) && !opts.token) {
    console.error(
      `flowlens: warning: listening on ${opts.host} without --token; anyone who can reach it sees your flows`,
    );
  }
  const app = new App(opts);
  await app.start();
  const addr = app.address;
  console.error(
    `flowlens: dashboard on http://${addr?.host}:${addr?.port}/ (${app.status().mode} mode)`,
  );
  await waitForSignal();
  await app.stop();
  return 0;
}

async function explain(argv: string[]): Promise<number> {
  const o = parseOptions(argv, EXPLAIN_OPTIONS);
  if (o['help']) {
    console.log(USAGE);
    return 0;
  }
  const manifests = o['manifests'] as string[] | undefined;
  if (!manifests?.length) throw new UsageError('explain needs --manifests PATH');
  for (const m of manifests) {
    if (!existsSync(m)) throw new UsageError(`--manifests: no such file or folder: ${m}`);
  }
  for (const k of ['from', 'to', 'port']) {
    if (str(o, k) === undefined) throw new UsageError(`explain needs --${k}`);
  }
  const lang = str(o, 'lang') ?? 'en';
  if (lang !== 'en' && lang !== 'ko') throw new UsageError(`--lang must be en or ko, got ${lang}`);
  let http: { method: string; path: string } | undefined;
  const h = str(o, 'http');
  if (h !== undefined) {
    const m = /^([A-Za-z]+)\s+(\S+)$/.exec(h.trim());
    if (!m) throw new UsageError(`--http must look like "GET /path", got ${h}`);
    http = { method: m[1]!.toUpperCase(), path: m[2]! };
  }
  const model = new ClusterModel();
  const loaded = await loadManifests(manifests, model);
  for (const p of loaded.problems) console.error(`flowlens: ${formatProblem(p)}`);
  let q;
  try {
    q = queryFromRequest(model, {
      from: str(o, 'from')!,
      to: str(o, 'to')!,
      port: str(o, 'port')!,
      ...(http ? { http } : {}),
    });
  } catch (err) {
    if (err instanceof PolicyInputError) throw new UsageError(err.message);
    throw err;
  }
  const e = new PolicyEngine(model).explain(q, lang);
  process.stdout.write(
    o['json'] ? JSON.stringify(e, null, 2) + '\n' : formatExplanationText(e, lang),
  );
  return 0;
}

async function hubbleServer(argv: string[]): Promise<number> {
  const o = parseOptions(argv, HUBBLE_SERVER_OPTIONS);
  if (o['help']) {
    console.log(USAGE);
    return 0;
  }
  const replay = str(o, 'replay');
  if (replay !== undefined && o['demo'] !== undefined) {
    throw new UsageError('choose one of --replay and --demo');
  }
  let tls: HubbleServerTLS | undefined;
  const cert = str(o, 'tls-cert');
  const key = str(o, 'tls-key');
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together');
  }
  if (cert && key) {
    const ca = str(o, 'tls-client-ca');
    tls = {
      cert: readFile(cert, '--tls-cert'),
      key: readFile(key, '--tls-key'),
      clientCA: ca ? readFile(ca, '--tls-client-ca') : undefined,
    };
  }
  const host = str(o, 'host') ?? '127.0.0.1';
  const port = parsePort(str(o, 'port') ?? '4245', '--port');
  const history = new FlowHistory(100_000);
  let demo: DemoSource | undefined;
  let pacer: ReplayPacer | undefined;
  if (replay !== undefined) {
    readFile(replay, '--replay');
    const loaded = await loadReplayFile(replay);
    for (const e of loaded.errors) console.error(`flowlens: ${replay}: ${e}`);
    pacer = new ReplayPacer(loaded.records, history, {
      speed: replaySpeed(o),
      loop: o['loop'] === true,
    });
    pacer.start();
    console.error(`flowlens: serving ${loaded.records.length} flows from ${replay}`);
  } else {
    const rate = Number(str(o, 'demo-rate') ?? 1);
    if (!(rate > 0))
      throw new UsageError(`--demo-rate must be a positive number, got ${String(o['demo-rate'])}`);
    const lab = scenario(o['demo']);
    const model = new ClusterModel();
    loadLab(lab, model);
    demo = new DemoSource(lab, history, {
      judge: policyJudge(model, new PolicyEngine(model)),
      isReady: modelReadiness(model),
      seed: seedOf(o),
      rateScale: rate,
      // A load test starts from now; a class gets half a minute of history to look at.
      warmupMs: rate === 1 ? undefined : 0,
    });
    demo.start();
  }
  const server = new HubbleServer({
    history,
    tls,
    version: `flowlens ${VERSION}`,
    nodes: demo ? () => demo.generator.nodeNames : undefined,
  });
  const bound = await server.listen(host, port);
  console.error(`flowlens: Hubble Observer API on ${host}:${bound}${tls ? ' (TLS)' : ''}`);
  await waitForSignal();
  demo?.stop();
  pacer?.stop();
  await server.close();
  return 0;
}

/** Runs the command line; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === '--version' || first === 'version') {
      console.log(VERSION);
      return 0;
    }
    if (first === 'help' || first === '-h') {
      console.log(USAGE);
      return 0;
    }
    if (first === 'hubble-server') return await hubbleServer(rest);
    if (first === 'explain') return await explain(rest);
    if (first === 'serve') return await serve(rest);
    if (first !== undefined && !first.startsWith('--')) {
      throw new UsageError(`unknown command ${first}`);
    }
    return await serve(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`flowlens: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    console.error(`flowlens: ${(err as Error).message}`);
    return 1;
  }
}
