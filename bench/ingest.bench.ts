// Ingest: how many flows per second flowlens takes in end to end (gRPC decode → enrich → map →
// history), against a bare grpc-js client that only decodes the same stream (the Node baseline).
// The Hubble-compatible server runs in its own process, serving a recording as fast as the
// client reads.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { LabGenerator } from '../backend/src/demo/generator.ts';
import { loadLab } from '../backend/src/demo/lab-model.ts';
import { threeTier } from '../backend/src/demo/scenarios/three-tier.ts';
import { Enricher } from '../backend/src/enrich/enrich.ts';
import { HubbleClient } from '../backend/src/hubble/client.ts';
import { formatLine, responseFromRecord } from '../backend/src/hubble/json-codec.ts';
import { observerService } from '../backend/src/hubble/proto.ts';
import { ClusterModel } from '../backend/src/k8s/cluster-model.ts';
import { ServiceMap } from '../backend/src/map/service-map.ts';
import { FlowStore } from '../backend/src/store/flow-store.ts';

const N = Number(process.env['FLOWLENS_BENCH_FLOWS'] ?? 100_000);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

function recording(): string {
  const S = 1_000_000_000n;
  const start = 1_795_341_600n * S;
  const gen = new LabGenerator(threeTier, 1, start);
  const lines: string[] = [];
  for (let t = 1n; lines.length < N; t++) {
    for (const r of gen.generate(start + t * 60n * S)) {
      if (lines.length < N) lines.push(formatLine(responseFromRecord(r)));
    }
  }
  const file = join(mkdtempSync(join(tmpdir(), 'flowlens-bench-')), 'flows.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

async function startServer(file: string) {
  const code = `import('./backend/src/cli.ts').then((m) => m.main(${JSON.stringify([
    'hubble-server',
    '--replay',
    file,
    '--port',
    '0',
  ])}))`;
  const proc = spawn(process.execPath, ['--import', 'tsx', '-e', code], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const address = await new Promise<string>((resolve, reject) => {
    proc.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /Observer API on ([\d.]+:\d+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    proc.on('exit', () => reject(new Error(`hubble-server exited:\n${err}`)));
  });
  return { address, stop: () => proc.kill('SIGTERM') };
}

function baseline(address: string): Promise<number> {
  const Observer = observerService();
  const client = new Observer(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    let n = 0;
    const t0 = performance.now();
    const call = (
      client as unknown as Record<string, (r: object) => grpc.ClientReadableStream<unknown>>
    )['GetFlows']!.call(client, { number: N, first: true });
    call.on('data', () => {
      n += 1;
    });
    call.on('error', reject);
    call.on('end', () => {
      client.close();
      resolve(n / ((performance.now() - t0) / 1000));
    });
  });
}

function flowlens(address: string, fieldMask?: string[]): Promise<number> {
  const model = new ClusterModel();
  loadLab(threeTier, model);
  const enricher = new Enricher({ model });
  const store = new FlowStore({ maxFlows: N });
  const map = new ServiceMap();
  return new Promise((resolve) => {
    let n = 0;
    let t0 = 0;
    const client = new HubbleClient({
      address,
      initialHistory: N,
      statusIntervalMs: 0,
      ...(fieldMask ? { fieldMask } : {}),
      onFlow: (rec) => {
        if (n === 0) t0 = performance.now();
        const f = enricher.enrich(rec);
        store.add(f, rec);
        map.add(f, Date.now());
        n += 1;
        if (n === N) {
          const rate = N / ((performance.now() - t0) / 1000);
          client.stop();
          resolve(rate);
        }
      },
    });
    client.start();
  });
}

const file = recording();
const server = await startServer(file);
try {
  const fmt = (r: number) => `${Math.round(r).toLocaleString('en')} flows/s`;
  console.log(
    `${N.toLocaleString('en')} flows of the three-tier lab, hubble-server in another process`,
  );
  // The first read also makes the server encode (once per record and field mask).
  const cold = await baseline(server.address);
  console.log(`${'baseline: bare grpc-js decode, server encoding'.padEnd(60)} ${fmt(cold)}`);
  const base = await baseline(server.address);
  console.log(`${'baseline: bare grpc-js decode'.padEnd(60)} ${fmt(base)}`);
  await flowlens(server.address, []);
  const full = await flowlens(server.address, []);
  console.log(`${'flowlens: decode+enrich+map+store, whole flows'.padEnd(60)} ${fmt(full)}`);
  await flowlens(server.address);
  const masked = await flowlens(server.address);
  console.log(`${'flowlens: decode+enrich+map+store, field mask'.padEnd(60)} ${fmt(masked)}`);
  console.log(`${'flowlens vs baseline'.padEnd(60)} ${(masked / base).toFixed(2)}×`);
} finally {
  server.stop();
}
