// History memory: what one history entry really takes (its columns, its share of peers, the
// record's wire bytes in off-heap slabs), measured with forced collections, beside FlowStore's
// estimate, which is what `--history-mb` bounds. The flows take the dashboard's own path: the fixed-rate load source
// over gRPC into an App in this process.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { App } from '../backend/src/app.ts';
import { figure, int, QUICK, sleep, startLoadSource } from './harness.ts';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** The JS heap and the off-heap buffers (history's record slabs), after full collections. */
const heap = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

const FLOWS = QUICK ? 20_000 : 100_000;
const source = await startLoadSource(20_000, 120);

async function filled(maxFlows: number): Promise<{ flows: number; heap: number; est: number }> {
  const app = new App({
    mode: 'live',
    hubbleAddress: source.address,
    host: '127.0.0.1',
    port: 0,
    log: () => {},
    historyFlows: maxFlows,
    historyBytes: 2 ** 40,
  });
  await app.start();
  while (app.store.stats.flows < maxFlows) await sleep(200);
  await app.stop();
  const r = { flows: app.store.stats.flows, heap: heap(), est: app.store.stats.bytes };
  return r;
}

try {
  // The same App with a tiny history is the baseline: model, maps, code, buffers.
  const small = await filled(100);
  await sleep(1000);
  const full = await filled(FLOWS);
  const perFlow = (full.heap - small.heap) / (full.flows - small.flows);
  const estPerFlow = (full.est - small.est) / (full.flows - small.flows);
  const MiB = 2 ** 20;
  figure(
    `history: ${int(full.flows)} three-tier flows, heap held`,
    `${((full.heap - small.heap) / MiB).toFixed(0)} MiB`,
  );
  figure(
    'history: heap per flow, measured / estimated',
    `${int(perFlow)} / ${int(estPerFlow)} bytes`,
    'estimate ≥ measured, within 1.5×',
  );
} finally {
  source.stop();
}
process.exit(0);
