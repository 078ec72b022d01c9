import { describe, expect, it } from 'vitest';
import { compileFilter, compileFilters, FilterError, parseLabelSelector } from './flow-filter.ts';
import type { FlowFilter } from './flow-filter.ts';
import { makeFlow } from '../../../tests/support/builders.ts';

const flow = makeFlow({
  verdict: 'DROPPED',
  drop_reason_desc: 'POLICY_DENIED',
  destination_names: ['api.github.com'],
  destination_service: { name: 'backend-api', namespace: 'api' },
  l7: { type: 'RESPONSE', http: { code: 503, method: 'GET', url: 'http://api/v1/orders?x=1' } },
});

describe('compileFilter matches Hubble semantics', () => {
  it.each<[string, FlowFilter, boolean]>([
    ['empty filter matches everything', {}, true],
    ['source pod by namespace prefix', { source_pod: ['web/'] }, true],
    ['source pod by name prefix', { source_pod: ['web/frontend'] }, true],
    ['source pod in another namespace', { source_pod: ['api/'] }, false],
    ['destination IP exact', { destination_ip: ['10.244.2.31'] }, true],
    ['destination IP by CIDR', { destination_ip: ['10.244.0.0/16'] }, true],
    ['source IP outside CIDR', { source_ip: ['192.168.0.0/16'] }, false],
    ['verdict by name', { verdict: ['DROPPED'] }, true],
    ['any of several verdicts', { verdict: ['FORWARDED', 'DROPPED'] }, true],
    ['wrong verdict', { verdict: ['FORWARDED'] }, false],
    ['drop reason', { drop_reason_desc: ['POLICY_DENIED'] }, true],
    ['label equality without source prefix', { source_label: ['app=frontend'] }, true],
    ['label equality with source prefix', { source_label: ['k8s:app=frontend'] }, true],
    ['label inequality', { source_label: ['app!=frontend'] }, false],
    ['label set membership', { destination_label: ['app in (backend-api, db)'] }, true],
    ['label absence', { destination_label: ['!team'] }, true],
    ['labels ANDed within one selector', { source_label: ['app=frontend,team=x'] }, false],
    ['protocol tcp', { protocol: ['TCP'] }, true],
    ['protocol udp', { protocol: ['udp'] }, false],
    ['protocol http (L7)', { protocol: ['http'] }, true],
    ['destination port', { destination_port: ['8080'] }, true],
    ['source port', { source_port: ['8080'] }, false],
    ['fqdn wildcard', { destination_fqdn: ['*.github.com'] }, true],
    ['fqdn exact miss', { destination_fqdn: ['github.com'] }, false],
    ['service prefix', { destination_service: ['api/backend'] }, true],
    ['workload by name', { source_workload: [{ name: 'frontend' }] }, true],
    [
      'workload by kind mismatch',
      { source_workload: [{ name: 'frontend', kind: 'StatefulSet' }] },
      false,
    ],
    ['identity', { destination_identity: [41001] }, true],
    ['http status exact', { http_status_code: ['503'] }, true],
    ['http status class', { http_status_code: ['5+'] }, true],
    ['http status class miss', { http_status_code: ['4+'] }, false],
    ['http method case-insensitive', { http_method: ['get'] }, true],
    ['http path regex on the path only', { http_path: ['^/v1/orders$'] }, true],
    ['reply false', { reply: [false] }, true],
    ['tcp flags subset', { tcp_flags: [{ SYN: true }] }, true],
    ['tcp flags not set', { tcp_flags: [{ SYN: true, ACK: true }] }, false],
    ['node name without cluster', { node_name: ['kind-worker'] }, true],
    ['node name pattern', { node_name: ['kind-flowlens/kind-*'] }, true],
    ['traffic direction', { traffic_direction: ['EGRESS'] }, false],
    ['fields ANDed', { verdict: ['DROPPED'], source_pod: ['api/'] }, false],
  ])('%s', (_name, filter, expected) => {
    expect(compileFilter(filter)(flow)).toBe(expected);
  });

  it('passes a flow when any whitelist filter matches and no blacklist filter does', () => {
    const p = compileFilters([{ verdict: ['FORWARDED'] }, { source_pod: ['web/'] }], []);
    expect(p(flow)).toBe(true);
    const q = compileFilters([{ source_pod: ['web/'] }], [{ verdict: ['DROPPED'] }]);
    expect(q(flow)).toBe(false);
    expect(compileFilters([], [])(flow)).toBe(true);
  });

  it.each<[FlowFilter, RegExp]>([
    [{ source_ip: ['not-an-ip'] }, /source_ip: not an IP address or CIDR: not-an-ip/],
    [{ destination_port: ['http'] }, /destination_port: not a port number: http/],
    [{ protocol: ['quic'] }, /protocol: unknown protocol quic/],
    [{ http_status_code: ['abc'] }, /http_status_code/],
    [{ dns_query: ['('] }, /dns_query: not a regular expression/],
    [{ source_label: ['a b c'] }, /not a label selector/],
    [{ trace_id: ['x'] } as FlowFilter, /filter field trace_id is not supported/],
  ])('rejects %j with a clear error', (filter, message) => {
    expect(() => compileFilter(filter)).toThrow(FilterError);
    expect(() => compileFilter(filter)).toThrow(message);
  });
});

describe('parseLabelSelector', () => {
  it('treats notin as matching when the key is absent, as Kubernetes does', () => {
    const [req] = parseLabelSelector('tier notin (db)');
    expect(req(new Map())).toBe(true);
    expect(req(new Map([['tier', 'db']]))).toBe(false);
    expect(req(new Map([['tier', 'web']]))).toBe(true);
  });
});
