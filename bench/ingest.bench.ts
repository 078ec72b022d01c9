// Ingest: how many flows per second flowlens takes in end to end (gRPC decode → enrich → map →
// history), against a bare grpc-js client that only decodes the same stream (the Node baseline).
// The Hubble-compatible server runs in its own process, serving a recording as fast as the
// client reads. Beside them, two references: `node:http2` splitting the same stream into
// messages and decoding none, and flowlens' own transport and decoder with nothing after them.
// Neither is a ceiling: client and server share the two cores, and what the server spends a
// flow depends on how its reader reads (it is printed beside every figure).
import { spawn } from 'node:child_process';
import http2 from 'node:http2';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import type { HubbleTransport } from '../backend/src/hubble/client.ts';
import type { FlowRecord, HubbleFlow } from '../backend/src/hubble/types.ts';
import { backendModule, cliEntry, usage } from './harness.ts';
import { measure, report, time } from './support.ts';

// flowlens' modules as `npm run build` ships them (tsx would add its per-closure `__name`
// helper to every function); the sources under FLOWLENS_BENCH_TSX=1.
const [
  { LabGenerator },
  { loadLab },
  { threeTier },
  { Enricher },
  { DEFAULT_FIELD_MASK, HubbleClient },
  { compileFieldMask },
  { decodeFrame, recordOf },
  { formatLine, responseFromRecord },
  { observerService },
  { responseToWire },
  { ClusterModel },
  { ServiceMap },
  { FlowStore },
] = await Promise.all([
  backendModule<typeof import('../backend/src/demo/generator.ts')>('demo/generator'),
  backendModule<typeof import('../backend/src/demo/lab-model.ts')>('demo/lab-model'),
  backendModule<typeof import('../backend/src/demo/scenarios/three-tier.ts')>(
    'demo/scenarios/three-tier',
  ),
  backendModule<typeof import('../backend/src/enrich/enrich.ts')>('enrich/enrich'),
  backendModule<typeof import('../backend/src/hubble/client.ts')>('hubble/client'),
  backendModule<typeof import('../backend/src/hubble/field-mask.ts')>('hubble/field-mask'),
  backendModule<typeof import('../backend/src/hubble/flow-decoder.ts')>('hubble/flow-decoder'),
  backendModule<typeof import('../backend/src/hubble/json-codec.ts')>('hubble/json-codec'),
  backendModule<typeof import('../backend/src/hubble/proto.ts')>('hubble/proto'),
  backendModule<typeof import('../backend/src/hubble/wire.ts')>('hubble/wire'),
  backendModule<typeof import('../backend/src/k8s/cluster-model.ts')>('k8s/cluster-model'),
  backendModule<typeof import('../backend/src/map/service-map.ts')>('map/service-map'),
  backendModule<typeof import('../backend/src/store/flow-store.ts')>('store/flow-store'),
]);
type Enricher = InstanceType<typeof Enricher>;
type FlowStore = InstanceType<typeof FlowStore>;
type ServiceMap = InstanceType<typeof ServiceMap>;

// `npm run bench -- --quick` is a smoke run: fewer flows, one round.
const QUICK = process.env['FLOWLENS_BENCH_QUICK'] === '1';
const N = Number(process.env['FLOWLENS_BENCH_FLOWS'] ?? (QUICK ? 20_000 : 100_000));
/** Measured runs per variant, interleaved so that load from elsewhere hits all alike. */
const ROUNDS = QUICK ? 1 : 3;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

function records(): FlowRecord[] {
  const S = 1_000_000_000n;
  const start = 1_795_341_600n * S;
  const gen = new LabGenerator(threeTier, 1, start);
  const out: FlowRecord[] = [];
  for (let t = 1n; out.length < N; t++) {
    for (const r of gen.generate(start + t * 60n * S)) if (out.length < N) out.push(r);
  }
  return out;
}

function recording(recs: FlowRecord[]): string {
  const lines = recs.map((r) => formatLine(responseFromRecord(r)));
  const file = join(mkdtempSync(join(tmpdir(), 'flowlens-bench-')), 'flows.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

async function startServer(file: string) {
  const entry = cliEntry();
  const code = `import(${JSON.stringify(pathToFileURL(entry).href)}).then((m) => m.main(${JSON.stringify(
    ['hubble-server', '--replay', file, '--port', '0'],
  )}))`;
  const proc = spawn(
    process.execPath,
    [...(entry.endsWith('.ts') ? ['--import', 'tsx'] : []), '-e', code],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  const address = await new Promise<string>((resolve, reject) => {
    proc.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /Observer API on ([\d.]+:\d+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    proc.on('exit', () => reject(new Error(`hubble-server exited:\n${err}`)));
  });
  return { address, pid: proc.pid!, stop: () => proc.kill('SIGTERM') };
}

interface Run {
  rate: number;
  /** CPU time of this process (all its threads) per flow, µs. */
  cpuUs: number;
  /**
   * Time the main thread's event loop was busy per flow, µs: what caps the rate when a core is
   * free for it. Wall time, so on a loaded machine it includes time the OS ran others.
   */
  mainUs: number;
  /** CPU time of the server process per flow, µs: when it nears 1e6 / rate, it is the limit. */
  serverUs: number;
  /**
   * Minor page faults of this process per 1,000 flows: memory touched for the first time. In
   * this machine's VM each costs some 12 µs, so a run that fills fresh memory pays for it.
   */
  faultsPerK: number;
}

interface Start {
  t0: number;
  server: number;
  cpu: NodeJS.CpuUsage;
  faults: number;
  elu: ReturnType<typeof performance.eventLoopUtilization>;
}

/** The server's pid, set once it runs: begin() and finish() read its CPU from /proc. */
const SERVER_PID = { value: 0 };

const begin = (): Start => ({
  t0: performance.now(),
  server: usage(SERVER_PID.value).cpuS,
  cpu: process.cpuUsage(),
  faults: process.resourceUsage().minorPageFault,
  elu: performance.eventLoopUtilization(),
});

function finish(n: number, s: Start): Run {
  const cpu = process.cpuUsage(s.cpu);
  const elu = performance.eventLoopUtilization(s.elu);
  return {
    rate: n / ((performance.now() - s.t0) / 1000),
    cpuUs: (cpu.user + cpu.system) / n,
    mainUs: (elu.active * 1000) / n,
    serverUs: ((usage(SERVER_PID.value).cpuS - s.server) * 1e6) / n,
    faultsPerK: ((process.resourceUsage().minorPageFault - s.faults) * 1000) / n,
  };
}

/**
 * The bare grpc-js client. `fieldMask`: read the stream flowlens reads with its field mask (the
 * server keeps one encoding per flow, of the mask read last, so runs are grouped by mask).
 */
function baseline(address: string, fieldMask?: readonly string[]): Promise<Run> {
  const Observer = observerService();
  const client = new Observer(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    let n = 0;
    const start = begin();
    const call = (
      client as unknown as Record<string, (r: object) => grpc.ClientReadableStream<unknown>>
    )['GetFlows']!.call(client, {
      number: N,
      first: true,
      ...(fieldMask ? { field_mask: { paths: fieldMask } } : {}),
    });
    call.on('data', () => {
      n += 1;
    });
    call.on('error', reject);
    call.on('end', () => {
      client.close();
      resolve(finish(n, start));
    });
  });
}

/**
 * The do-nothing reader: `node:http2` reading the same stream and splitting it into gRPC
 * messages, decoding none of them, with the windows flowlens' HTTP/2 transport asks for.
 */
function nothing(address: string, fieldMask?: readonly string[]): Promise<Run> {
  const body = observerService().service['GetFlows']!.requestSerialize({
    number: N,
    first: true,
    ...(fieldMask ? { field_mask: { paths: fieldMask } } : {}),
  });
  const framed = Buffer.alloc(5 + body.length);
  framed.writeUInt32BE(body.length, 1);
  body.copy(framed, 5);
  const session = http2.connect(`http://${address}`, {
    settings: { initialWindowSize: 4 * 1024 * 1024 },
  });
  session.on('connect', () => session.setLocalWindowSize(16 * 1024 * 1024));
  return new Promise((resolve, reject) => {
    let n = 0;
    let pending: Buffer | undefined;
    const start = begin();
    const req = session.request({
      ':method': 'POST',
      ':path': '/observer.Observer/GetFlows',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    req.on('data', (chunk: Buffer) => {
      const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = undefined;
      let off = 0;
      while (buf.length - off >= 5) {
        const len = buf.readUInt32BE(off + 1);
        if (buf.length - off - 5 < len) break;
        off += 5 + len;
        n += 1;
      }
      if (off < buf.length) pending = buf.subarray(off);
    });
    req.on('error', reject);
    req.on('close', () => {
      session.close();
      if (n === N) resolve(finish(n, start));
      else reject(new Error(`do-nothing reader: ${n} of ${N} messages`));
    });
    req.end(framed);
  });
}

/**
 * One dashboard's pipeline. A variant keeps its own across runs, as a dashboard does: its first
 * run fills an empty history, and the measured runs after it evict as they add, the steady state.
 */
interface Pipeline {
  enricher: Enricher;
  store: FlowStore;
  map: ServiceMap;
}

function pipeline(): Pipeline {
  const model = new ClusterModel();
  loadLab(threeTier, model);
  return {
    enricher: new Enricher({ model }),
    store: new FlowStore({ maxFlows: N }),
    map: new ServiceMap(),
  };
}

function flowlens(
  address: string,
  fieldMask: string[] | undefined,
  transport: HubbleTransport,
  /** Without one, flows are only counted: flowlens' transport and decoder alone. */
  dash: Pipeline | undefined,
): Promise<Run> {
  return new Promise((resolve) => {
    let n = 0;
    let start = begin();
    const client = new HubbleClient({
      address,
      initialHistory: N,
      statusIntervalMs: 0,
      transport,
      ...(fieldMask ? { fieldMask } : {}),
      onFlow: (rec) => {
        if (n === 0) start = begin();
        if (dash) {
          const f = dash.enricher.enrich(rec);
          dash.store.add(f, rec);
          dash.map.add(f, Date.now());
        }
        n += 1;
        if (n === N) {
          const run = finish(N, start);
          client.stop();
          resolve(run);
        }
      },
    });
    client.start();
  });
}

/** Where a flow's time goes on the main thread, in process, without gRPC. */
function breakdown(recs: FlowRecord[]): void {
  const getFlows = observerService().service['GetFlows']!;
  const mask = compileFieldMask<HubbleFlow>(DEFAULT_FIELD_MASK);
  const frames = recs.map((r) =>
    getFlows.responseSerialize(
      responseToWire({ flow: mask(r.flow), node_name: r.nodeName, time: r.flow.time }),
    ),
  );
  // As the client hands them on: decoded, with their wire bytes, which history copies.
  const received = frames.map((buf) => {
    const d = decodeFrame(buf);
    return { ...recordOf(d)!, wire: d.wire };
  });
  const { enricher, store, map } = pipeline();
  const enriched = received.map((r) => enricher.enrich(r));
  const now = Date.now();
  const n = frames.length;
  measure("per flow: proto-loader decode (the baseline's work)", n, (i) => {
    getFlows.responseDeserialize(frames[i]!);
  });
  measure('per flow: flow-decoder decode', n, (i) => decodeFrame(frames[i]!));
  measure('per flow: enrich', n, (i) => enricher.enrich(received[i]!));
  measure('per flow: service map', n, (i) => map.add(enriched[i]!, now));
  const fill = time(() => {
    for (let i = 0; i < n; i++) store.add(enriched[i]!, received[i]!);
  });
  report('per flow: history, filling an empty one', fill.ms / n);
  // Full from here: each add evicts the oldest, and its slab space is reused.
  measure('per flow: history', n, (i) => store.add(enriched[i]!, received[i]!));
}

const recs = records();
const file = recording(recs);
const server = await startServer(file);
SERVER_PID.value = server.pid;
const median = (runs: Run[], k: keyof Run) =>
  runs.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
try {
  const fmt = (runs: Run[]) =>
    `${Math.round(median(runs, 'rate')).toLocaleString('en')} flows/s, ` +
    `${median(runs, 'cpuUs').toFixed(1)} µs CPU/flow, ` +
    `main thread busy ${median(runs, 'mainUs').toFixed(1)} µs/flow, ` +
    `server ${median(runs, 'serverUs').toFixed(1)} µs/flow, ` +
    `${Math.round(median(runs, 'faultsPerK'))} page faults/1k flows`;
  const line = (name: string, runs: Run[]) => console.log(`${name.padEnd(60)} ${fmt(runs)}`);
  console.log(
    `${N.toLocaleString('en')} flows of the three-tier lab, hubble-server in another process; ` +
      `medians of ${ROUNDS} interleaved runs, each variant's history full from its first run`,
  );
  // The first read of each field mask also makes the server encode (once per record and mask),
  // so runs are grouped by mask, each group after a warm-up read; then each variant's first
  // run fills its history.
  const cold = await baseline(server.address);
  line('baseline: bare grpc-js decode, server encoding', [cold]);
  const dash = { whole: pipeline(), wholeGrpc: pipeline() };
  const firstFill = await flowlens(server.address, [], 'h2', dash.whole);
  await flowlens(server.address, [], 'inline', dash.wholeGrpc);
  const base: Run[] = [];
  const readerW: Run[] = [];
  const decodeW: Run[] = [];
  const whole: Run[] = [];
  const wholeGrpc: Run[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    base.push(await baseline(server.address));
    readerW.push(await nothing(server.address));
    decodeW.push(await flowlens(server.address, [], 'h2', undefined));
    whole.push(await flowlens(server.address, [], 'h2', dash.whole));
    wholeGrpc.push(await flowlens(server.address, [], 'inline', dash.wholeGrpc));
  }
  line('baseline: bare grpc-js decode', base);
  line('reference: node:http2 splitting messages, decoding none', readerW);
  line('flowlens: transport and decode only', decodeW);
  line('flowlens: decode+enrich+map+store, whole flows', whole);
  line('flowlens: same, filling an empty history', [firstFill]);
  line('flowlens: same through grpc-js (--hubble-transport grpc-js)', wholeGrpc);
  // The server encodes each record for the mask once, on this read, which is not measured.
  await flowlens(server.address, undefined, 'h2', pipeline());
  const mdash = { masked: pipeline(), maskedGrpc: pipeline(), worker: pipeline() };
  const maskedFill = await flowlens(server.address, undefined, 'h2', mdash.masked);
  await flowlens(server.address, undefined, 'inline', mdash.maskedGrpc);
  await flowlens(server.address, undefined, 'worker', mdash.worker);
  const masked: Run[] = [];
  const maskedGrpc: Run[] = [];
  const worker: Run[] = [];
  // The baseline again, between these runs and reading the same masked stream: the two cores'
  // speed swings over minutes, so each ratio is to the baseline of its own round.
  const baseM: Run[] = [];
  const readerM: Run[] = [];
  const decodeM: Run[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    baseM.push(await baseline(server.address, DEFAULT_FIELD_MASK));
    readerM.push(await nothing(server.address, DEFAULT_FIELD_MASK));
    decodeM.push(await flowlens(server.address, undefined, 'h2', undefined));
    masked.push(await flowlens(server.address, undefined, 'h2', mdash.masked));
    maskedGrpc.push(await flowlens(server.address, undefined, 'inline', mdash.maskedGrpc));
    worker.push(await flowlens(server.address, undefined, 'worker', mdash.worker));
  }
  line('baseline: bare grpc-js decode of the same field-masked stream', baseM);
  line('reference: the same, field-masked stream', readerM);
  line('flowlens: transport and decode only, field mask', decodeM);
  line('flowlens: decode+enrich+map+store, field mask', masked);
  line('flowlens: same, filling an empty history', [maskedFill]);
  line('flowlens: same through grpc-js', maskedGrpc);
  line('flowlens: same, grpc-js in a worker thread', worker);
  // Each run over the baseline run of its own round (they ran a minute apart at most), then the
  // median of those ratios.
  const ratio = (a: Run[], b: Run[], of = 'baseline') => {
    const rs = a.map((r, k) => r.rate / b[k]!.rate).sort((x, y) => x - y);
    return `${rs[Math.floor(rs.length / 2)]!.toFixed(2)}× (median of ${rs.length} rounds, each to the ${of} run of its round)`;
  };
  console.log(`${'flowlens vs baseline, whole flows'.padEnd(60)} ${ratio(whole, base)}`);
  console.log(`${'flowlens vs baseline, field mask'.padEnd(60)} ${ratio(masked, baseM)}`);
  console.log(
    `${'flowlens through grpc-js vs baseline, field mask'.padEnd(60)} ${ratio(maskedGrpc, baseM)}`,
  );
  // flowlens against a reader that does nothing with what it reads, and what enrich, map and
  // history cost end to end (flowlens against its own transport and decoder alone).
  const vs = (name: string, a: Run[], b: Run[], of: string) =>
    console.log(`${name.padEnd(60)} ${ratio(a, b, of)}`);
  vs('flowlens vs the do-nothing node:http2 reader, whole flows', whole, readerW, 'reader');
  vs('flowlens vs the do-nothing node:http2 reader, field mask', masked, readerM, 'reader');
  vs('flowlens vs its transport and decode only, whole flows', whole, decodeW, 'decode-only');
  vs('flowlens vs its transport and decode only, field mask', masked, decodeM, 'decode-only');
} finally {
  server.stop();
}
breakdown(recs);
