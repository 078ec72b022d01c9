// Faults and hostile input: a flapping Relay, fuzzed protobuf frames, oversized labels and
// documents. The process must survive, keep serving, and count what it dropped.
import { afterEach, describe, expect, it } from 'vitest';
import { HubbleClient } from '../../backend/src/hubble/client.ts';
import { FlowHistory } from '../../backend/src/hubble/flow-history.ts';
import { responseToWire } from '../../backend/src/hubble/wire.ts';
import type { FlowRecord } from '../../backend/src/hubble/types.ts';
import { seededRandom } from '../../backend/src/demo/generator.ts';
import { ClusterModel } from '../../backend/src/k8s/cluster-model.ts';
import { parseManifestText } from '../../backend/src/k8s/manifests.ts';
import { Enricher } from '../../backend/src/enrich/enrich.ts';
import { FlowStore } from '../../backend/src/store/flow-store.ts';
import { ServiceMap } from '../../backend/src/map/service-map.ts';
import { flowAt } from '../support/builders.ts';
import { encodeResponse, startFrameServer, startServer } from '../support/hubble.ts';
import { waitFor } from '../support/wait.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function follow(address: string) {
  const flows: FlowRecord[] = [];
  const c = new HubbleClient({
    address,
    initialHistory: 100_000,
    statusIntervalMs: 0,
    backoff: { initialMs: 20, maxMs: 100 },
    onFlow: (r) => flows.push(r),
  });
  c.start();
  cleanup.push(() => c.stop());
  return { c, flows };
}

describe('a flapping Relay', () => {
  it('loses and duplicates nothing over five restarts mid-stream', async () => {
    const history = new FlowHistory(100_000);
    let s = await startServer(history);
    const port = s.port;
    const { c, flows } = follow(s.address);
    let n = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 50; i++) history.push(flowAt(n++));
      await waitFor(() => flows.length === n, `flows of round ${round}`, 15_000);
      await s.server.close();
      await waitFor(() => c.state.state === 'retrying', 'noticing the restart');
      for (let i = 0; i < 10; i++) history.push(flowAt(n++)); // while Relay is down
      s = await startServer(history, {}, port);
    }
    cleanup.push(() => s.server.close());
    await waitFor(() => flows.length === n, 'every flow after the last restart', 15_000);
    expect(flows.map((f) => f.flow.uuid)).toEqual(Array.from({ length: n }, (_, i) => `flow-${i}`));
    expect(c.stats.reconnects).toBeGreaterThanOrEqual(5);
    expect(c.state.state).toBe('live');
  });
});

describe('fuzzed frames', () => {
  it('survives 500 mutated and truncated frames, counting each one it cannot read', async () => {
    const random = seededRandom(42);
    const frames: Buffer[] = [];
    for (let i = 0; i < 500; i++) {
      const valid = encodeResponse(responseToWire({ flow: flowAt(i).flow, node_name: 'n' }));
      const f = Buffer.from(valid);
      const mode = i % 3;
      if (mode === 0)
        for (let k = 0; k < 4; k++)
          f[Math.floor(random() * f.length)] ^= 1 << Math.floor(random() * 8);
      frames.push(mode === 1 ? f.subarray(0, Math.floor(random() * f.length)) : f);
    }
    const frameServer = await startFrameServer(frames);
    cleanup.push(() => frameServer.stop());
    const model = new ClusterModel();
    const enricher = new Enricher({ model });
    const store = new FlowStore();
    const map = new ServiceMap();
    const flows: FlowRecord[] = [];
    const c = new HubbleClient({
      address: frameServer.address,
      statusIntervalMs: 0,
      onFlow: (r) => {
        // Whatever decodes must also survive the rest of the pipeline.
        const f = enricher.enrich(r);
        store.add(f, r);
        map.add(f, Date.now());
        flows.push(r);
      },
    });
    c.start();
    cleanup.push(() => c.stop());
    await waitFor(
      () => flows.length + c.stats.malformed + c.stats.empty + c.stats.duplicatesDropped === 500,
      'every frame read or counted',
      15_000,
    );
    expect(c.stats.malformed).toBeGreaterThan(0);
    expect(flows.length).toBeGreaterThan(100);
    expect(c.state.state).toBe('live');
    expect(c.stats.reconnects).toBe(0);
  });
});

describe('oversized input', () => {
  it('carries a flow with 100 KB labels through enrichment, history and the map', () => {
    const big = 'x'.repeat(100 * 1024);
    const rec = flowAt(0, {
      source: { namespace: 'a', pod_name: 'p', labels: [`k8s:app=${big}`, `k8s:${big}=1`] },
      destination_names: [big],
    });
    const f = new Enricher({ model: new ClusterModel() }).enrich(rec);
    expect(f.source.labels[0]).toHaveLength(100 * 1024 + 4);
    const store = new FlowStore({ maxBytes: 4 * 1024 * 1024 });
    for (let i = 0; i < 20; i++) store.add(f, rec);
    expect(store.stats.bytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(store.stats.evicted).toBeGreaterThan(0);
    const tiny = new FlowStore({ maxBytes: 1024 });
    tiny.add(f, rec);
    expect(tiny.stats).toMatchObject({ flows: 0, bytes: 0, tooLarge: 1 });
    const map = new ServiceMap();
    map.add(f, Date.now());
    expect(map.size.edges).toBe(1);
  });

  it('reports a deeply nested YAML document instead of overflowing the stack', () => {
    const deep = `kind: Pod\nmetadata: {name: x}\nspec: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
    const { objects, problems } = parseManifestText('deep.yaml', deep);
    expect(objects.length + problems.length).toBe(1);
  });
});
