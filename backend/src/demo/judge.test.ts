// The demo's verdicts come from the policy engine and agree with each scenario's story: the
// conversations marked dropped are denied by the lab's policies and only those, and each step
// changes verdicts the way its text says.
import { describe, expect, it } from 'vitest';
import { ClusterModel } from '../k8s/cluster-model.ts';
import { PolicyEngine } from '../policy/index.ts';
import { LabGenerator, type LabConnection } from './generator.ts';
import { modelReadiness, policyJudge } from './judge.ts';
import { loadLab } from './lab-model.ts';
import type { Conversation, Lab, LabPod } from './lab.ts';
import { SCENARIOS } from './scenarios/index.ts';
import { LabSteps } from './steps.ts';

function connectionOf(lab: Lab, c: Conversation, http?: Conversation['http']): LabConnection {
  const pods = new Map(lab.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  const from = typeof c.from === 'string' ? pods.get(c.from)! : c.from;
  let to: LabConnection['to'];
  let service;
  let port = c.port;
  if ('service' in c.to) {
    service = lab.services.find(
      (s) => `${s.namespace}/${s.name}` === (c.to as { service: string }).service,
    )!;
    to = lab.pods.find(
      (p) =>
        p.namespace === service!.namespace &&
        Object.entries(service!.selector).every(([k, v]) => p.labels[k] === v),
    ) as LabPod;
    port = service.ports.find((p) => p.port === c.port)?.targetPort ?? c.port;
  } else if ('pod' in c.to) to = pods.get(c.to.pod)!;
  else to = c.to.external;
  return {
    conversation: c,
    from,
    to,
    port,
    protocol: c.protocol,
    ...(service ? { service } : {}),
    ...(http?.[0] ? { http: http[0] } : {}),
  };
}

function judgeFor(lab: Lab) {
  const model = new ClusterModel();
  loadLab(lab, model);
  return {
    model,
    judge: policyJudge(model, new PolicyEngine(model)),
    steps: new LabSteps(lab, model),
  };
}

describe('three-tier: the engine agrees with every simulated verdict', () => {
  const lab = SCENARIOS['three-tier']!;
  const { judge } = judgeFor(lab);
  it.each(lab.conversations.map((c, i) => [i, c] as const))('conversation %i', (_i, c) => {
    const v = judge(connectionOf(lab, c));
    if (c.drop) expect(v.drop, JSON.stringify(c)).toMatchObject({ at: c.drop.at });
    else expect(v.drop, JSON.stringify(c)).toBeUndefined();
  });
});

describe('starwars: steps change verdicts as their text says', () => {
  const lab = SCENARIOS['starwars']!;
  const [landing, exhaust, xwing] = lab.conversations as [Conversation, Conversation, Conversation];

  it('step 0: every ship lands', () => {
    const { judge } = judgeFor(lab);
    for (const c of lab.conversations) expect(judge(connectionOf(lab, c, c.http))).toEqual({});
  });

  it('step 1: the xwing is dropped at ingress; empire ships land', () => {
    const { judge, steps } = judgeFor(lab);
    steps.goTo(1);
    expect(judge(connectionOf(lab, xwing))).toEqual({
      drop: { at: 'ingress', reason: 'POLICY_DENIED' },
    });
    expect(judge(connectionOf(lab, landing, landing.http))).toEqual({});
    expect(judge(connectionOf(lab, exhaust, exhaust.http))).toEqual({});
  });

  it('step 2: PUT /v1/exhaust-port is refused at L7; landing passes', () => {
    const { judge, steps } = judgeFor(lab);
    steps.goTo(2);
    expect(judge(connectionOf(lab, exhaust))).toEqual({});
    expect(judge(connectionOf(lab, exhaust, exhaust.http))).toEqual({ l7Denied: true });
    expect(judge(connectionOf(lab, landing, landing.http))).toEqual({});
    expect(judge(connectionOf(lab, xwing))).toMatchObject({ drop: { at: 'ingress' } });
  });

  it('the generator emits the L7 refusal as a dropped request and a 403', () => {
    const { judge, steps } = judgeFor(lab);
    steps.goTo(2);
    const S = 1_000_000_000n;
    const gen = new LabGenerator(lab, 1, 0n);
    gen.judge = judge;
    const flows = gen.generate(60n * S).map((r) => r.flow);
    const puts = flows.filter((f) => f.l7?.http?.method === 'PUT');
    expect(puts.some((f) => f.l7?.type === 'REQUEST' && f.verdict === 'DROPPED')).toBe(true);
    expect(puts.some((f) => f.l7?.type === 'RESPONSE' && f.l7.http?.code === 403)).toBe(true);
    const drops = flows.filter(
      (f) => f.verdict === 'DROPPED' && f.drop_reason_desc === 'POLICY_DENIED',
    );
    expect(drops.every((f) => f.source?.pod_name === 'xwing')).toBe(true);
  });
});

describe('dns-default-deny: DNS breaks with default-deny egress and recovers', () => {
  const lab = SCENARIOS['dns-default-deny']!;
  const S = 1_000_000_000n;

  function minute(step: number) {
    const { judge, steps } = judgeFor(lab);
    steps.goTo(step);
    const gen = new LabGenerator(lab, 2, 0n);
    gen.judge = judge;
    return gen.generate(60n * S).map((r) => r.flow);
  }

  const dnsDrops = (flows: ReturnType<typeof minute>) =>
    flows.filter((f) => f.verdict === 'DROPPED' && f.l4?.UDP?.destination_port === 53);
  const appFlows = (flows: ReturnType<typeof minute>) =>
    flows.filter((f) => f.l4?.TCP !== undefined);

  it('step 0: lookups and connections succeed', () => {
    const f = minute(0);
    expect(dnsDrops(f)).toEqual([]);
    expect(appFlows(f).some((x) => x.verdict === 'FORWARDED')).toBe(true);
  });

  it('step 1: every lookup is dropped and no connection follows', () => {
    const f = minute(1);
    expect(dnsDrops(f).length).toBeGreaterThan(10);
    expect(appFlows(f)).toEqual([]);
  });

  it('step 2: lookups resolve, the app’s connections are dropped at egress', () => {
    const f = minute(2);
    expect(dnsDrops(f)).toEqual([]);
    const tcp = appFlows(f);
    expect(tcp.length).toBeGreaterThan(0);
    expect(tcp.every((x) => x.verdict === 'DROPPED' && x.traffic_direction === 'EGRESS')).toBe(
      true,
    );
  });

  it('step 3: everything flows again', () => {
    const f = minute(3);
    expect(f.filter((x) => x.verdict === 'DROPPED')).toEqual([]);
  });
});

describe('three-tier: each step fixes what it says', () => {
  const lab = SCENARIOS['three-tier']!;
  const dropped = (step: number) => {
    const { judge, steps } = judgeFor(lab);
    steps.goTo(step);
    return lab.conversations
      .filter((c) => judge(connectionOf(lab, c)).drop)
      .map(
        (c) =>
          `${typeof c.from === 'string' ? c.from.split('/')[1]!.split('-')[0] : c.from.kind} → ${'service' in c.to ? c.to.service : 'pod' in c.to ? c.to.pod : c.to.external.ip}`,
      );
  };
  it.each([
    [0, ['backend → cache/cache', 'debug → data/database', 'report → api/backend-api']],
    [1, ['debug → data/database', 'report → api/backend-api']],
    [2, ['debug → data/database']],
  ])('step %i drops %j', (step, want) => {
    expect(dropped(step)).toEqual(want);
  });
});

describe('services: how a Service picks its backends', () => {
  const lab = SCENARIOS['services']!;
  const S = 1_000_000_000n;
  const { judge } = judgeFor(lab);
  const gen = new LabGenerator(lab, 4, 0n);
  gen.judge = judge;
  const flows = gen.generate(120n * S).map((r) => r.flow);
  const syn = flows.filter(
    (f) => f.l4?.TCP?.flags?.SYN && !f.l4.TCP.flags.ACK && f.traffic_direction === 'INGRESS',
  );
  const targets = (from: string, svc: string) =>
    new Set(
      syn
        .filter(
          (f) =>
            (f.source?.pod_name ?? f.IP?.source) === from && f.destination_service?.name === svc,
        )
        .map((f) => f.destination?.pod_name),
    );

  it('spreads a ClusterIP over its ready endpoints', () => {
    expect(targets('client-a', 'web')).toEqual(
      new Set(['web-5c7d8f9b6d-a1b2c', 'web-5c7d8f9b6d-d3e4f']),
    );
  });

  it('never sends anything to a pod that is not ready', () => {
    expect(flows.some((f) => f.destination?.pod_name === 'web-5c7d8f9b6d-g5h6i')).toBe(false);
  });

  it('takes NodePort traffic from outside to the pods’ target port', () => {
    const fromWorld = syn.filter((f) => f.IP?.source === '198.51.100.23');
    expect(fromWorld.length).toBeGreaterThan(0);
    expect(fromWorld.every((f) => f.l4?.TCP?.destination_port === 8080)).toBe(true);
  });

  it('sends traffic to the pod once a step makes it ready', () => {
    const m = judgeFor(lab);
    m.steps.goTo(3);
    const g = new LabGenerator(lab, 4, 0n);
    g.judge = m.judge;
    g.isReady = modelReadiness(m.model);
    const after = g.generate(120n * S).map((r) => r.flow);
    expect(after.some((f) => f.destination?.pod_name === 'web-5c7d8f9b6d-g5h6i')).toBe(true);
  });

  it('keeps each client on one backend with ClientIP affinity', () => {
    expect(targets('client-a', 'cart').size).toBe(1);
    expect(targets('client-b', 'cart').size).toBe(1);
  });
});
