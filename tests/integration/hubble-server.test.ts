// flowlens' Hubble-compatible server over real gRPC, read by a plain grpc-js client.
import { afterEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { flowAt } from '../support/builders.ts';
import { followFlows, getFlows, rawClient, startServer, unary } from '../support/hubble.ts';
import { waitFor } from '../support/wait.ts';
import { nsToTimestamp } from '../../backend/src/hubble/time.ts';
import { FlowHistory } from '../../backend/src/hubble/flow-history.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function serverWith(n: number, over = (_i: number) => ({}) as object) {
  const s = await startServer();
  for (let i = 0; i < n; i++) s.history.push(flowAt(i, over(i)));
  const client = rawClient(s.address);
  cleanup.push(
    () => client.close(),
    () => s.server.close(),
  );
  return { ...s, client };
}

const uuids = (res: { flow?: { uuid?: string } }[]) => res.map((r) => r.flow?.uuid);

describe('hubble-server GetFlows', () => {
  it('returns the last N flows, oldest first', async () => {
    const { client } = await serverWith(10);
    expect(uuids(await getFlows(client, { number: 3 }))).toEqual(['flow-7', 'flow-8', 'flow-9']);
  });

  it('returns the first N flows with first=true', async () => {
    const { client } = await serverWith(10);
    expect(uuids(await getFlows(client, { number: 2, first: true }))).toEqual(['flow-0', 'flow-1']);
  });

  it('honours since and until', async () => {
    const { client } = await serverWith(10);
    const base = flowAt(0).timeNs;
    const res = await getFlows(client, {
      since: nsToTimestamp(base + 3_000_000n),
      until: nsToTimestamp(base + 5_000_000n),
    });
    expect(uuids(res)).toEqual(['flow-3', 'flow-4', 'flow-5']);
  });

  it('applies whitelist and blacklist filters', async () => {
    const { client } = await serverWith(10, (i) =>
      i % 2 ? { verdict: 'DROPPED', drop_reason_desc: 'POLICY_DENIED' } : {},
    );
    const dropped = await getFlows(client, { number: 100, whitelist: [{ verdict: ['DROPPED'] }] });
    expect(uuids(dropped)).toEqual(['flow-1', 'flow-3', 'flow-5', 'flow-7', 'flow-9']);
    const notDropped = await getFlows(client, {
      number: 100,
      blacklist: [{ drop_reason_desc: ['POLICY_DENIED'] }],
    });
    expect(notDropped).toHaveLength(5);
    expect(notDropped.every((r) => r.flow?.verdict === 'FORWARDED')).toBe(true);
  });

  it('sends only the fields of the field mask', async () => {
    const { client } = await serverWith(1);
    const [res] = await getFlows(client, {
      number: 1,
      field_mask: { paths: ['time', 'verdict', 'source.pod_name'] },
    });
    expect(res.flow).toEqual({
      time: flowAt(0).flow.time,
      verdict: 'FORWARDED',
      source: { pod_name: 'frontend-6f7d9b8c54-x2k4p' },
    });
    expect(res.node_name).toBe('kind-flowlens/kind-worker');
  });

  it('reads the field mask from the experimental field as older clients send it', async () => {
    const { client } = await serverWith(1);
    const [res] = await getFlows(client, {
      number: 1,
      experimental: { field_mask: { paths: ['uuid'] } },
    });
    expect(res.flow).toEqual({ uuid: 'flow-0' });
  });

  it('rejects a bad filter with INVALID_ARGUMENT and the reason', async () => {
    const { client } = await serverWith(1);
    await expect(getFlows(client, { whitelist: [{ source_ip: ['nope'] }] })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('source_ip: not an IP address or CIDR: nope'),
    });
  });

  it('follows: history first, then live flows in order, none twice', async () => {
    const { client, history } = await serverWith(5);
    const f = followFlows(client, { number: 2, follow: true });
    cleanup.push(f.cancel);
    await waitFor(() => f.responses.length === 2, 'history');
    for (let i = 5; i < 8; i++) history.push(flowAt(i));
    await waitFor(() => f.responses.length === 5, 'live flows');
    expect(uuids(f.responses)).toEqual(['flow-3', 'flow-4', 'flow-5', 'flow-6', 'flow-7']);
  });

  it('filters live flows too', async () => {
    const { client, history } = await serverWith(0);
    const f = followFlows(client, { follow: true, whitelist: [{ verdict: ['DROPPED'] }] });
    cleanup.push(f.cancel);
    await new Promise((r) => setTimeout(r, 100));
    history.push(flowAt(1));
    history.push(flowAt(2, { verdict: 'DROPPED' }));
    await waitFor(() => f.responses.length === 1, 'the dropped flow');
    expect(f.responses[0].flow?.uuid).toBe('flow-2');
  });

  it('reports what a slow follower lost as lost_events instead of buffering it all', async () => {
    const s = await startServer(new FlowHistory(1000), { followerQueueLimit: 5 });
    const client = rawClient(s.address);
    cleanup.push(
      () => client.close(),
      () => s.server.close(),
    );
    const f = followFlows(client, { follow: true });
    cleanup.push(f.cancel);
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 50; i++) s.history.push(flowAt(i));
    await waitFor(() => f.responses.some((r) => r.lost_events), 'lost_events');
    const received = f.responses.filter((r) => r.flow).length;
    const lost = f.responses.reduce((n, r) => n + Number(r.lost_events?.num_events_lost ?? 0), 0);
    expect(received + lost).toBe(50);
    expect(f.responses.find((r) => r.lost_events)?.lost_events?.source).toBe(
      'OBSERVER_EVENTS_QUEUE',
    );
  });

  it('keeps unknown enum values as numbers end to end', async () => {
    const { client, history } = await serverWith(0);
    history.push(flowAt(1, { verdict: 99, drop_reason_desc: 4242 }));
    const [res] = await getFlows(client, { number: 1 });
    expect(res.flow?.verdict).toBe(99);
    expect(res.flow?.drop_reason_desc).toBe(4242);
  });

  it('answers ServerStatus, GetNodes and GetNamespaces', async () => {
    const { client } = await serverWith(3);
    const status = await unary<Record<string, unknown>>(client, 'ServerStatus');
    expect(status).toMatchObject({ num_flows: '3', seen_flows: '3', max_flows: '10000' });
    const nodes = await unary<{ nodes: { name: string; state: string }[] }>(client, 'GetNodes');
    expect(nodes.nodes).toEqual([
      expect.objectContaining({ name: 'kind-flowlens/kind-worker', state: 'NODE_CONNECTED' }),
    ]);
    const ns = await unary<{ namespaces: { namespace: string }[] }>(client, 'GetNamespaces');
    expect(ns.namespaces.map((n) => n.namespace)).toEqual(['api', 'web']);
  });
});
