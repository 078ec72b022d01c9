// flowlens' Hubble client against real gRPC servers on loopback: flowlens' own
// Hubble-compatible server, and raw servers that send what a broken Relay might.
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { HubbleClient } from '../../backend/src/hubble/client.ts';
import type { ConnectionState, HubbleClientOptions } from '../../backend/src/hubble/client.ts';
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

function client(address: string, over: Partial<HubbleClientOptions> = {}) {
  const flows: FlowRecord[] = [];
  const states: ConnectionState[] = [];
  const c = new HubbleClient({
    address,
    backoff: { initialMs: 40, maxMs: 200 },
    statusIntervalMs: 0,
    onFlow: (r) => flows.push(r),
    onState: (s) => states.push(s),
    ...over,
  });
  cleanup.push(() => c.stop());
  c.start();
  return { c, flows, states };
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const uuids = (flows: FlowRecord[]) => flows.map((r) => r.flow.uuid);

describe('HubbleClient', () => {
  it('receives history, then live flows, and reports itself live', async () => {
    const s = await startServer();
    cleanup.push(() => s.server.close());
    for (let i = 0; i < 3; i++) s.history.push(flowAt(i));
    const { c, flows } = client(s.address);
    await waitFor(() => flows.length === 3, 'history');
    expect(c.state.state).toBe('live');
    s.history.push(flowAt(3));
    await waitFor(() => flows.length === 4, 'a live flow');
    expect(uuids(flows)).toEqual(['flow-0', 'flow-1', 'flow-2', 'flow-3']);
    expect(c.stats.flowsReceived).toBe(4);
  });

  it('is live on a quiet source that has sent nothing yet', async () => {
    const s = await startServer();
    cleanup.push(() => s.server.close());
    const { c } = client(s.address);
    await waitFor(() => c.state.state === 'live', 'live state');
  });

  it('asks only for the fields it reads (field mask)', async () => {
    const s = await startServer();
    cleanup.push(() => s.server.close());
    s.history.push(
      flowAt(0, { drop_reason: 133, verdict: 'DROPPED', drop_reason_desc: 'POLICY_DENIED' }),
    );
    const { flows } = client(s.address);
    await waitFor(() => flows.length === 1, 'the flow');
    expect(flows[0].flow.drop_reason_desc).toBe('POLICY_DENIED');
    expect(flows[0].flow).not.toHaveProperty('drop_reason');
  });

  it('sends its filters to the server', async () => {
    const s = await startServer();
    cleanup.push(() => s.server.close());
    s.history.push(flowAt(0));
    s.history.push(flowAt(1, { verdict: 'DROPPED' }));
    const { flows } = client(s.address, { whitelist: [{ verdict: ['DROPPED'] }] });
    await waitFor(() => flows.length === 1, 'the dropped flow');
    await new Promise((r) => setTimeout(r, 100));
    expect(uuids(flows)).toEqual(['flow-1']);
  });

  it('retries with the reason while Relay is unreachable, then connects', async () => {
    const port = await freePort();
    const { c, flows, states } = client(`127.0.0.1:${port}`);
    await waitFor(() => c.state.state === 'retrying', 'retrying state');
    const st = c.state;
    expect(st.state === 'retrying' && st.lastError).toMatch(/UNAVAILABLE/);
    expect(st.state === 'retrying' && st.retryAt).toBeGreaterThan(Date.now() - 1000);
    await waitFor(() => states.filter((x) => x.state === 'retrying').length >= 2, 'a second retry');

    const history = new FlowHistory(100);
    history.push(flowAt(0));
    const s = await startServer(history, {}, port);
    cleanup.push(() => s.server.close());
    await waitFor(() => flows.length === 1, 'the flow after the server came up', 15_000);
    expect(c.state.state).toBe('live');
  });

  it('counts undecodable frames, node status and lost events, and stays connected', async () => {
    const valid = encodeResponse(responseToWire({ flow: flowAt(0).flow, node_name: 'n' }));
    // An extra field (number 12345, varint) that this build does not know.
    const unknownField = Buffer.concat([
      encodeResponse(responseToWire({ flow: flowAt(1).flow, node_name: 'n' })),
      Buffer.from([0xc8, 0x83, 0x06, 0x01]),
    ]);
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    const unknownEnum = encodeResponse(
      responseToWire({ flow: { ...flowAt(2).flow, verdict: 77 }, node_name: 'n' }),
    );
    const nodeStatus = encodeResponse({
      node_status: { state_change: 'NODE_UNAVAILABLE', node_names: ['x'] },
    });
    const lost = encodeResponse({
      lost_events: { source: 'PERF_EVENT_RING_BUFFER', num_events_lost: '12', cpu: { value: 1 } },
    });

    const frameServer = await startFrameServer([
      valid,
      garbage,
      unknownField,
      unknownEnum,
      nodeStatus,
      lost,
    ]);
    cleanup.push(() => frameServer.stop());

    const { c, flows } = client(frameServer.address);
    await waitFor(
      () => flows.length === 3 && c.stats.lostEvents['PERF_EVENT_RING_BUFFER'] === 12,
      'frames',
    );
    expect(c.stats.malformed).toBe(1);
    expect(c.stats.lastMalformed).toMatch(/undecodable frame/);
    expect(flows[2].flow.verdict).toBe(77);
    expect(c.nodes.get('x')?.state).toBe('NODE_UNAVAILABLE');
    expect(c.state.state).toBe('live');
    expect(c.stats.reconnects).toBe(0);
  });

  it('polls ServerStatus and GetNodes while live', async () => {
    const s = await startServer();
    cleanup.push(() => s.server.close());
    s.history.push(flowAt(0));
    const { c } = client(s.address, { statusIntervalMs: 50 });
    await waitFor(() => c.serverStatus !== undefined && c.nodes.size === 1, 'status and nodes');
    expect(c.serverStatus).toMatchObject({ num_flows: '1', version: 'test' });
    expect([...c.nodes.keys()]).toEqual(['kind-flowlens/kind-worker']);
  });

  it('rejects a missing address with an exact message', () => {
    expect(() => new HubbleClient({ address: '', onFlow: () => {} })).toThrow(
      'HubbleClient: address is required',
    );
  });
});
