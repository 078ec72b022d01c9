// The dashboard against a Relay that is killed and restarted mid-stream, seen the way a user
// sees it: /api/status while Relay is down and after it is back, and the flows in /api/export.
// No flow may be lost or shown twice across restarts, and a gap the server itself reports
// (lost_events) must show as such.
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../backend/src/app.ts';
import { FlowHistory } from '../../backend/src/hubble/flow-history.ts';
import { observerService } from '../../backend/src/hubble/proto.ts';
import { responseToWire } from '../../backend/src/hubble/wire.ts';
import { flowAt } from '../support/builders.ts';
import { startServer } from '../support/hubble.ts';
import { waitFor } from '../support/wait.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface Status {
  hubble: {
    state: string;
    lastError: string | null;
    retryInMs?: number;
    reconnects: number;
    duplicatesDropped: number;
    flowsReceived: number;
  };
  dropped: { lostEvents: Record<string, string | number> };
}

async function dashboard(address: string) {
  const app = new App({
    mode: 'live',
    hubbleAddress: address,
    host: '127.0.0.1',
    port: 0,
    log: () => {},
  });
  cleanup.push(() => app.stop());
  await app.start();
  const base = `http://127.0.0.1:${app.address!.port}`;
  const status = async () => (await (await fetch(`${base}/api/status`)).json()) as Status;
  const uuids = async () =>
    (await (await fetch(`${base}/api/export?format=jsonl`)).text())
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { flow: { uuid: string } }).flow.uuid);
  return { app, base, status, uuids };
}

/** Like waitFor, for a condition that needs an HTTP round trip. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a Relay killed and restarted under the dashboard', () => {
  it('shows each outage in /api/status and ends with every flow exactly once', async () => {
    const history = new FlowHistory(100_000);
    let relay = await startServer(history);
    const port = relay.port;
    const d = await dashboard(relay.address);
    let n = 0;
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 40; i++) history.push(flowAt(n++));
      await waitFor(() => d.app.store.stats.flows === n, `flows of round ${round}`);
      await relay.server.close();
      await until(async () => (await d.status()).hubble.state === 'retrying', 'retrying shown');
      const down = await d.status();
      expect(down.hubble.lastError).toEqual(expect.any(String));
      expect(down.hubble.retryInMs).toBeGreaterThanOrEqual(0);
      // The dashboard keeps serving what it has while Relay is away.
      expect((await d.uuids()).length).toBe(n);
      for (let i = 0; i < 15; i++) history.push(flowAt(n++)); // while Relay is down
      relay = await startServer(history, {}, port);
      await until(async () => (await d.status()).hubble.state === 'live', 'live again', 30_000);
    }
    cleanup.push(() => relay.server.close());
    await waitFor(() => d.app.store.stats.flows === n, 'every flow after the last restart');
    const s = await d.status();
    expect(s.hubble).toMatchObject({ state: 'live', lastError: null, flowsReceived: n });
    expect(s.hubble.reconnects).toBeGreaterThanOrEqual(4);
    expect(await d.uuids()).toEqual(Array.from({ length: n }, (_, i) => `flow-${i}`));
  }, 60_000);

  it('reports the events a Relay says it lost, and no gap it did not report', async () => {
    const def = observerService().service;
    const server = new grpc.Server();
    server.addService(def, {
      ...Object.fromEntries(Object.keys(def).map((k) => [k, () => {}])),
      GetFlows: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        for (let i = 0; i < 10; i++)
          call.write(responseToWire({ flow: flowAt(i).flow, node_name: 'n' }));
        call.write({
          lost_events: { source: 'HUBBLE_RING_BUFFER', num_events_lost: '250', cpu: { value: 0 } },
        });
        for (let i = 10; i < 20; i++)
          call.write(responseToWire({ flow: flowAt(i).flow, node_name: 'n' }));
      },
    });
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? rej(e) : res(p),
      ),
    );
    cleanup.push(() => void server.forceShutdown());
    const d = await dashboard(`127.0.0.1:${port}`);
    await waitFor(() => d.app.store.stats.flows === 20, 'the flows around the gap');
    const s = await d.status();
    expect(Number(s.dropped.lostEvents['HUBBLE_RING_BUFFER'])).toBe(250);
    expect(Object.keys(s.dropped.lostEvents)).toEqual(['HUBBLE_RING_BUFFER']);
    const metrics = await (await fetch(`${d.base}/metrics`)).text();
    expect(metrics).toMatch(/^flowlens_hubble_lost_events 250$/m);
    expect(s.hubble.duplicatesDropped).toBe(0);
  });
});
