// The endpoints behind the UI's detail views, over real HTTP against a running flowlens: a
// policy's YAML with the line range of the rule an explanation names, a flow's raw Hubble JSON,
// and the replay's pace.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EnrichedFlow } from '../../backend/src/enrich/types.ts';
import type { Explanation } from '../../backend/src/policy/index.ts';
import type { PolicyText } from '../../backend/src/policy/core/policy-yaml.ts';
import { ROOT } from '../support/process.ts';
import { startApp, stopApps } from '../support/app.ts';
import { waitFor } from '../support/wait.ts';

afterEach(stopApps);

async function get<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

async function post<T>(url: string, body: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

type Drop = EnrichedFlow<Explanation> & { policy: { explanation: Explanation } };

describe('policy, flow and replay endpoints', () => {
  it("serves a drop's policy as YAML with a line range for every rule it names", async () => {
    const { app, http } = await startApp();
    let drop: Drop | undefined;
    await waitFor(
      () => {
        drop = app.store
          .query({ limit: 5000, verdict: 'DROPPED' })
          .map((e) => e.flow as Drop)
          .find((f) => f.policy.explanation?.rules?.length);
        return drop !== undefined;
      },
      'a policy drop whose explanation names a rule',
      20_000,
    );
    const e = drop!.policy.explanation;
    for (const r of e.rules!) {
      const q = new URLSearchParams({ kind: r.kind, name: r.policy });
      const { status, body } = await get<PolicyText>(`${http}/api/policy?${q}`);
      expect(status).toBe(200);
      expect(body.kind).toBe(r.kind);
      expect(body.yaml).toContain(`kind: ${r.kind}`);
      const range = body.rules.find(
        (x) => x.section === r.section && x.index === r.index && x.spec === r.spec,
      );
      expect(range, `${r.policy} ${r.section}[${r.index}]`).toBeDefined();
      const lines = body.yaml.split('\n').slice(range!.startLine - 1, range!.endLine);
      expect(lines.join('\n')).toMatch(/from|to|port/i);
    }
    // Every isolating policy opens too, by `ns/name` alone (the form explanations use).
    const isolating = [...e.ingress.policies, ...e.egress.policies];
    for (const name of isolating) {
      const { status, body } = await get<PolicyText>(
        `${http}/api/policy?name=${encodeURIComponent(name)}`,
      );
      expect(status).toBe(200);
      expect(body.rules.some((r) => r.section === 'selector')).toBe(true);
    }
  });

  it('shows a policy loaded from manifests as its file has it, comments and all', async () => {
    const { http } = await startApp({
      mode: 'offline',
      manifests: [join(ROOT, 'tests/fixtures/manifests/shop')],
    });
    const e = await post<Explanation>(`${http}/api/explain`, {
      from: 'shop/frontend',
      to: 'data/svc/db',
      port: 5432,
    });
    const rule = e.body.rules?.find((r) => r.policy === 'data/db-from-api');
    expect(rule).toMatchObject({ section: 'ingress', index: 0, effect: 'near-peer' });
    const { status, body } = await get<PolicyText>(
      `${http}/api/policy?${new URLSearchParams({ kind: rule!.kind, name: rule!.policy })}`,
    );
    expect(status).toBe(200);
    expect(body.source).toBe('manifest');
    // The author's flow style survives; a re-serialisation would have expanded it.
    expect(body.yaml).toContain('matchLabels: { app: db }');
    const range = body.rules.find((r) => r.section === 'ingress' && r.index === 0)!;
    const lines = body.yaml
      .split('\n')
      .slice(range.startLine - 1, range.endLine)
      .join('\n');
    expect(lines).toMatch(/^ *- from:[\s\S]*namespaceSelector[\s\S]*port: 5432 }$/);
  });

  it('answers unknown policies with 404 and bad queries with 400', async () => {
    const { http } = await startApp();
    expect((await get(`${http}/api/policy?name=shop/nope`)).status).toBe(404);
    expect((await get(`${http}/api/policy?kind=Ingress&name=x`)).status).toBe(400);
    expect((await get(`${http}/api/policy`)).status).toBe(400);
  });

  it('gives a flow with the exact Hubble JSON it came from', async () => {
    const { app, http } = await startApp();
    await waitFor(() => app.store.stats.flows > 5, 'flows');
    const entry = app.store.query({ limit: 1 })[0]!;
    const { status, body } = await get<{
      flow: EnrichedFlow;
      hubble: { flow: { uuid?: string; time: string } };
    }>(`${http}/api/flow?id=${encodeURIComponent(entry.flow.id)}`);
    expect(status).toBe(200);
    expect(body.flow.id).toBe(entry.flow.id);
    expect(body.hubble.flow.time).toBe(entry.flow.time);
    expect((await get(`${http}/api/flow?id=gone`)).status).toBe(404);
  });

  it('reports and changes the replay pace, and only while replaying', async () => {
    const demo = await startApp();
    expect((await get(`${demo.http}/api/replay`)).status).toBe(400);
    const { http } = await startApp({
      mode: 'replay',
      replayFile: join(ROOT, 'tests/fixtures/hubble/real-lines.jsonl'),
      replaySpeed: 1,
    });
    const before = await get<{ speed: number | string; total: number }>(`${http}/api/replay`);
    expect(before.body.speed).toBe(1);
    const faster = await post<{ speed: number }>(`${http}/api/replay/speed`, { speed: 4 });
    expect(faster.body.speed).toBe(4);
    const max = await post<{ speed: string; played: number; done: boolean }>(
      `${http}/api/replay/speed`,
      { speed: 'max' },
    );
    expect(max.body).toMatchObject({ speed: 'max', played: before.body.total, done: true });
    expect((await post(`${http}/api/replay/speed`, { speed: -1 })).status).toBe(400);
  });
});
