import { describe, expect, it } from 'vitest';
import type { EnrichedFlow } from '../enrich/types.ts';
import { compileFilter, FilterSyntaxError, formatFilter, parseFilter } from './filter.ts';

const flow: EnrichedFlow = {
  id: 'f1',
  time: '2026-11-22T10:00:00Z',
  timeNs: '1',
  node: 'kind-flowlens/kind-worker',
  verdict: 'DROPPED',
  dropReason: 'POLICY_DENIED',
  protocol: 'TCP',
  type: 'L7',
  isReply: false,
  source: {
    ip: '10.244.1.21',
    port: 41000,
    kind: 'pod',
    namespace: 'web',
    pod: 'frontend-6f7d9b8c54-x2k4p',
    workload: { kind: 'Deployment', name: 'frontend' },
    service: 'web/frontend',
    labels: ['app=frontend', 'tier=web'],
  },
  destination: {
    ip: '140.82.112.3',
    port: 443,
    kind: 'world',
    labels: ['reserved:world'],
    names: ['api.github.com'],
  },
  l7: {
    type: 'REQUEST',
    http: { method: 'GET', url: 'https://api.github.com/repos', path: '/repos', code: 503 },
  },
  policy: { allowedBy: [], deniedBy: [] },
};

const matches = (text: string) => compileFilter(parseFilter(text))(flow);

describe('filters', () => {
  it.each([
    ['', true],
    ['namespace=web', true],
    ['ns=api', false],
    ['namespace=api namespace=web', true],
    ['from-namespace=web verdict=dropped', true],
    ['to-namespace=web', false],
    ['pod=web/frontend', true],
    ['pod=web/', true],
    ['from-pod=frontend-6f7d', true],
    ['to-pod=frontend', false],
    ['label=app=frontend', true],
    ['label=tier', true],
    ['to-label=app=frontend', false],
    ['workload=frontend', true],
    ['service=web/frontend', true],
    ['verdict=FORWARDED', false],
    ['drop-reason=policy_denied', true],
    ['protocol=tcp', true],
    ['protocol=http', true],
    ['protocol=dns', false],
    ['protocol=TCP', true],
    ['protocol=udp', false],
    ['protocol=icmp', false],
    ['port=443', true],
    ['port=80 port=443', true],
    ['from-port=41000', true],
    ['ip=140.82.112.3', true],
    ['ip=10.0.0.1', false],
    ['namespace=web verdict=dropped !port=80', true],
    ['to-port=41000', false],
    ['from-ip=10.244.1.21', true],
    ['to-fqdn=*.github.com', true],
    ['to-fqdn=*.gitlab.com', false],
    ['http-status=5+', true],
    ['http-status=200', false],
    ['http-method=get', true],
    ['http-path=/repo', true],
    ['http-path=/re*s', true],
    ['http-path=/admin', false],
    ['node=kind-worker', true],
    ['reply=false', true],
    ['world=true', true],
    ['github', true],
    ['"api.github"', true],
    ['gitlab', false],
    ['!verdict=DROPPED', false],
    ['!namespace=api', true],
    ['namespace=web !github', false],
  ])('%j → %s', (text, want) => {
    expect(matches(text)).toBe(want);
  });

  it.each([
    ['colour=red', /unknown filter key colour/],
    ['namespace=', /namespace= needs a value/],
    ['port=http', /port takes a port number, got http/],
    ['http-status=5xx', /http-status takes a code or a class like 5\+, got 5xx/],
    ['http-path=*a*a*a*a', /http-path= allows at most 3 wildcards/],
    [`dns-query=${'x'.repeat(300)}`, /dns-query= value longer than 256/],
    [Array(40).fill('web').join(' '), /at most 32 filter terms/],
  ])('rejects %j with a reason', (text, reason) => {
    expect(() => parseFilter(text)).toThrow(FilterSyntaxError);
    expect(() => parseFilter(text)).toThrow(reason);
  });

  it('formats what it parses', () => {
    const text = 'namespace=web !verdict=FORWARDED "two words" to-port=443';
    expect(formatFilter(parseFilter(text))).toBe(text);
  });

  it('matches http-path as a glob, never as a regular expression', () => {
    expect(matches('http-path=(a+)+$')).toBe(false);
    expect(matches('http-path=[')).toBe(false);
  });
});
