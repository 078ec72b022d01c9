// An instructor advances a demo lab over HTTP; the policy change lands on the timeline.
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../backend/src/app.ts';
import { SCENARIOS } from '../../backend/src/demo/scenarios/index.ts';

const apps: App[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop();
});

async function start(scenario: string) {
  const app = new App({
    mode: 'demo',
    lab: SCENARIOS[scenario]!,
    host: '127.0.0.1',
    port: 0,
    log: () => {},
  });
  apps.push(app);
  await app.start();
  return `http://127.0.0.1:${app.address!.port}`;
}

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('demo steps over HTTP', () => {
  it('lists the steps and moves through them, marking the timeline', async () => {
    const url = await start('starwars');
    const state = (await (await fetch(`${url}/api/demo`)).json()) as {
      current: number;
      steps: { id: string }[];
    };
    expect(state.current).toBe(0);
    expect(state.steps.map((s) => s.id)).toEqual(['no-policy', 'l3-l4', 'l7']);

    const next = await post(`${url}/api/demo/step`, { step: 'next' });
    expect(await next.json()).toMatchObject({ current: 1 });
    const { events } = (await (await fetch(`${url}/api/timeline`)).json()) as {
      events: { type: string; kind: string; name: string }[];
    };
    expect(events.at(-1)).toMatchObject({
      type: 'added',
      kind: 'CiliumNetworkPolicy',
      name: 'rule1',
    });

    const back = await post(`${url}/api/demo/step`, { step: 0 });
    expect(await back.json()).toMatchObject({ current: 0 });
  });

  it('answers bad steps with 400 and the reason', async () => {
    const url = await start('starwars');
    const res = await post(`${url}/api/demo/step`, { step: 9 });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'step must be between 0 and 2, got 9' });
    expect((await post(`${url}/api/demo/step`, { step: 'sideways' })).status).toBe(400);
    const notJson = await fetch(`${url}/api/demo/step`, { method: 'POST', body: 'x' });
    expect(notJson.status).toBe(400);
    expect((await fetch(`${url}/api/demo/step`)).status).toBe(405);
  });
});
