import { describe, expect, it } from 'vitest';
import { LabGenerator } from './generator.ts';
import { threeTier } from './scenarios/three-tier.ts';
import type { Lab } from './lab.ts';
import { validateFlow } from '../hubble/json-codec.ts';

const S = 1_000_000_000n;
const T0 = 1_795_341_600n * S;

function minute(seed: number) {
  return new LabGenerator(threeTier, seed, T0).generate(T0 + 60n * S);
}

describe('LabGenerator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(minute(7)).toEqual(minute(7));
    expect(minute(7)).not.toEqual(minute(8));
  });

  it('returns flows in time order and never ahead of the clock', () => {
    const gen = new LabGenerator(threeTier, 1, T0);
    const first = gen.generate(T0 + 10n * S);
    const second = gen.generate(T0 + 20n * S);
    for (const batch of [first, second]) {
      for (let i = 1; i < batch.length; i++) {
        expect(batch[i].timeNs >= batch[i - 1].timeNs).toBe(true);
      }
    }
    expect(first.every((r) => r.timeNs < T0 + 10n * S)).toBe(true);
    expect(second.every((r) => r.timeNs >= first[first.length - 1].timeNs)).toBe(true);
  });

  it('emits valid Hubble flows with unique uuids', () => {
    const flows = minute(1);
    expect(flows.length).toBeGreaterThan(500);
    for (const r of flows) validateFlow(r.flow);
    expect(new Set(flows.map((r) => r.flow.uuid)).size).toBe(flows.length);
  });

  it('shows a full TCP conversation: handshake with reply, HTTP, FIN', () => {
    const flows = minute(1).map((r) => r.flow);
    const toApi = flows.filter(
      (f) => f.source?.pod_name?.startsWith('frontend') && f.destination?.namespace === 'api',
    );
    expect(toApi.some((f) => f.l4?.TCP?.flags?.SYN && !f.is_reply)).toBe(true);
    expect(toApi.some((f) => f.l7?.http?.method && f.l7.type === 'REQUEST')).toBe(true);
    const replies = flows.filter((f) => f.is_reply && f.source?.namespace === 'api');
    expect(replies.some((f) => f.l4?.TCP?.flags?.SYN && f.l4.TCP.flags.ACK)).toBe(true);
    expect(replies.some((f) => f.l7?.type === 'RESPONSE' && f.l7.http?.code)).toBe(true);
    expect(toApi.every((f) => f.destination_service?.name === 'backend-api')).toBe(true);
  });

  it('looks up names through kube-dns before connecting', () => {
    const flows = minute(1).map((r) => r.flow);
    const dns = flows.filter((f) => f.l7?.dns?.query === 'database.data.svc.cluster.local.');
    expect(dns.some((f) => f.l7?.type === 'REQUEST')).toBe(true);
    const answer = dns.find((f) => f.l7?.type === 'RESPONSE');
    expect(answer?.l7?.dns?.ips).toEqual(['10.96.30.54']);
    expect(answer?.source?.labels).toContain('k8s:k8s-app=kube-dns');
  });

  it('drops the debug pod at the database with POLICY_DENIED, retrying the SYN', () => {
    const drops = minute(1)
      .map((r) => r.flow)
      .filter((f) => f.verdict === 'DROPPED' && f.source?.pod_name === 'debug');
    expect(drops.length).toBeGreaterThanOrEqual(3);
    for (const f of drops) {
      expect(f.drop_reason_desc).toBe('POLICY_DENIED');
      expect(f.destination?.pod_name).toBe('postgres-0');
      expect(f.traffic_direction).toBe('INGRESS');
      expect(f.l4?.TCP?.flags).toEqual({ SYN: true });
    }
  });

  it('names world peers by DNS and gives them the reserved world identity', () => {
    const f = minute(1)
      .map((r) => r.flow)
      .find((x) => x.destination_names?.includes('fonts.googleapis.com'));
    expect(f?.destination?.labels).toEqual(['reserved:world']);
    expect(f?.destination?.identity).toBe(2);
  });

  it('rejects a lab whose conversations name things it does not define', () => {
    const broken: Lab = {
      ...threeTier,
      conversations: [
        {
          from: 'web/ghost',
          to: { service: 'web/frontend' },
          port: 80,
          protocol: 'TCP',
          everyMs: 100,
        },
      ],
    };
    expect(() => new LabGenerator(broken)).toThrow(/unknown source pod web\/ghost/);
  });
});
