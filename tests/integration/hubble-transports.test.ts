// The Hubble client over each of its flow-stream transports — our own HTTP/2 framing (`h2`,
// the default), grpc-js on this thread (`inline`) and grpc-js in a worker thread (`worker`) —
// against real grpc-js servers on loopback: the same guarantees from all three — history then
// live flows in order, a Relay restart with nothing lost or repeated, corrupt frames counted
// and skipped.
import { afterEach, describe, expect, it } from 'vitest';
import { HubbleClient } from '../../backend/src/hubble/client.ts';
import type { HubbleClientOptions, HubbleTransport } from '../../backend/src/hubble/client.ts';
import type { FlowRecord } from '../../backend/src/hubble/types.ts';
import { responseToWire } from '../../backend/src/hubble/wire.ts';
import { FlowHistory } from '../../backend/src/hubble/flow-history.ts';
import { flowAt } from '../support/builders.ts';
import { encodeResponse, startFrameServer, startServer } from '../support/hubble.ts';
import { waitFor } from '../support/wait.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function client(
  transport: HubbleTransport,
  address: string,
  over: Partial<HubbleClientOptions> = {},
) {
  const flows: FlowRecord[] = [];
  const c = new HubbleClient({
    address,
    transport,
    backoff: { initialMs: 40, maxMs: 200 },
    statusIntervalMs: 0,
    onFlow: (r) => flows.push(r),
    ...over,
  });
  cleanup.push(() => c.stop());
  c.start();
  return { c, flows };
}

const uuids = (flows: FlowRecord[]) => flows.map((r) => r.flow.uuid);

describe.each(['h2', 'inline', 'worker'] as const)('HubbleClient over %s', (transport) => {
  it('receives history in order, then live flows', async () => {
    const s = await startServer();
    cleanup.push(() => s.server.close());
    // More than one batch of history, so batches must keep their order.
    for (let i = 0; i < 700; i++) s.history.push(flowAt(i));
    const { c, flows } = client(transport, s.address, { initialHistory: 700 });
    await waitFor(() => flows.length === 700, 'history');
    expect(c.state.state).toBe('live');
    s.history.push(flowAt(700, { verdict: 'DROPPED', drop_reason_desc: 'POLICY_DENIED' }));
    await waitFor(() => flows.length === 701, 'a live flow');
    expect(uuids(flows)).toEqual(Array.from({ length: 701 }, (_, i) => `flow-${i}`));
    expect(flows[700]!.flow.drop_reason_desc).toBe('POLICY_DENIED');
    expect(flows[700]!.timeNs).toBe(flowAt(700).timeNs);
  });

  it('survives a Relay restart mid-stream with no flow lost and none twice', async () => {
    // The history outlives the server, as the agents' buffers outlive a Relay restart.
    const history = new FlowHistory(10_000);
    const a = await startServer(history);
    for (let i = 0; i < 20; i++) history.push(flowAt(i));
    const { c, flows } = client(transport, a.address);
    await waitFor(() => flows.length === 20, 'first flows');

    await a.server.close();
    await waitFor(() => c.state.state === 'retrying', 'noticing the restart');
    for (let i = 20; i < 40; i++) history.push(flowAt(i));

    const b = await startServer(history, {}, a.port);
    cleanup.push(() => b.server.close());
    await waitFor(() => flows.length === 40, 'flows after the restart', 15_000);
    for (let i = 40; i < 45; i++) history.push(flowAt(i));
    await waitFor(() => flows.length === 45, 'live flows after the restart');

    expect(uuids(flows)).toEqual(Array.from({ length: 45 }, (_, i) => `flow-${i}`));
    expect(c.stats.duplicatesDropped).toBeGreaterThan(0);
    expect(c.stats.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('counts an undecodable frame and stays connected', async () => {
    const frames = [
      encodeResponse(responseToWire({ flow: flowAt(0).flow, node_name: 'n' })),
      Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
      encodeResponse(responseToWire({ flow: { ...flowAt(1).flow, verdict: 77 }, node_name: 'n' })),
    ];
    const frameServer = await startFrameServer(frames);
    cleanup.push(() => frameServer.stop());

    const { c, flows } = client(transport, frameServer.address);
    await waitFor(() => flows.length === 2 && c.stats.malformed === 1, 'frames');
    expect(c.stats.lastMalformed).toMatch(/undecodable frame/);
    expect(flows[1]!.flow.verdict).toBe(77);
    expect(c.stats.reconnects).toBe(0);
  });
});
