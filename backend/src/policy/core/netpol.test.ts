// NetworkPolicy semantics, table-driven on the upstream netpol e2e model (kubernetes/kubernetes
// test/e2e/network/netpol): namespaces x, y, z; pods a, b, c serving 80 and 81 on TCP, UDP and
// SCTP. Each case names the upstream test it re-expresses. Every DENIED case's suggestion is
// applied and must turn the verdict to ALLOWED.
import { describe, expect, it } from 'vitest';
import { applyYaml, e2eModel, e2ePod, judge } from './testing.ts';

type Probe = [from: string, to: string, port: string, verdict: 'ALLOWED' | 'DENIED'];

interface Case {
  name: string;
  policies: string;
  probes: Probe[];
}

const np = (ns: string, name: string, spec: string) =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: ${spec}\n`;

const CASES: Case[] = [
  {
    name: "should support a 'default-deny-ingress' policy",
    policies: np('x', 'deny-all', '{podSelector: {}, policyTypes: [Ingress]}'),
    probes: [
      ['x/b', 'x/a', '80', 'DENIED'],
      ['y/a', 'x/c', '81', 'DENIED'],
      ['x/a', 'y/a', '80', 'ALLOWED'],
    ],
  },
  {
    name: 'should support a default-deny-all policy (ingress and egress)',
    policies: np('x', 'deny-all', '{podSelector: {}, policyTypes: [Ingress, Egress]}'),
    probes: [
      ['x/a', 'y/a', '80', 'DENIED'],
      ['y/a', 'x/a', '80', 'DENIED'],
      ['y/a', 'z/a', '80', 'ALLOWED'],
    ],
  },
  {
    name: 'should enforce policy to allow traffic from pods within server namespace based on PodSelector',
    policies: np(
      'x',
      'allow-b',
      '{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]}',
    ),
    probes: [
      ['x/b', 'x/a', '80', 'ALLOWED'],
      ['x/c', 'x/a', '80', 'DENIED'],
      ['y/b', 'x/a', '80', 'DENIED'],
      ['x/c', 'x/b', '80', 'ALLOWED'],
    ],
  },
  {
    name: 'should enforce policy based on NamespaceSelector with MatchExpressions',
    policies: np(
      'x',
      'allow-ns-y',
      '{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: ns, operator: In, values: [y]}]}}]}]}',
    ),
    probes: [
      ['y/c', 'x/a', '80', 'ALLOWED'],
      ['z/a', 'x/a', '80', 'DENIED'],
      ['x/b', 'x/a', '80', 'DENIED'],
    ],
  },
  {
    name: 'should enforce policy based on PodSelector or NamespaceSelector',
    policies: np(
      'x',
      'or',
      '{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}, {namespaceSelector: {matchLabels: {ns: y}}}]}]}',
    ),
    probes: [
      ['x/b', 'x/a', '80', 'ALLOWED'],
      ['y/c', 'x/a', '80', 'ALLOWED'],
      ['z/b', 'x/a', '80', 'DENIED'],
    ],
  },
  {
    name: 'should enforce policy based on PodSelector and NamespaceSelector',
    policies: np(
      'x',
      'and',
      '{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}, podSelector: {matchLabels: {pod: b}}}]}]}',
    ),
    probes: [
      ['y/b', 'x/a', '80', 'ALLOWED'],
      ['y/c', 'x/a', '80', 'DENIED'],
      ['x/b', 'x/a', '80', 'DENIED'],
    ],
  },
  {
    name: 'should enforce policy based on the automatic kubernetes.io/metadata.name label',
    policies: np(
      'x',
      'meta',
      "{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': z}}}]}]}",
    ),
    probes: [
      ['z/a', 'x/b', '80', 'ALLOWED'],
      ['y/a', 'x/b', '80', 'DENIED'],
    ],
  },
  {
    name: 'should enforce policy based on Ports',
    policies: np(
      'x',
      'port-81',
      '{podSelector: {matchLabels: {pod: a}}, ingress: [{ports: [{port: 81}]}]}',
    ),
    probes: [
      ['y/b', 'x/a', '81', 'ALLOWED'],
      ['y/b', 'x/a', '80', 'DENIED'],
    ],
  },
  {
    name: 'should support allow-all policy',
    policies: np('x', 'allow-all', '{podSelector: {}, ingress: [{}]}'),
    probes: [
      ['y/b', 'x/a', '80', 'ALLOWED'],
      ['z/c', 'x/c', '81/UDP', 'ALLOWED'],
    ],
  },
  {
    name: 'should deny everything with an empty ingress list',
    policies: np('x', 'none', '{podSelector: {}, policyTypes: [Ingress], ingress: []}'),
    probes: [['x/b', 'x/a', '80', 'DENIED']],
  },
  {
    name: 'should enforce policy based on NamedPorts',
    policies: np('x', 'named', '{podSelector: {}, ingress: [{ports: [{port: serve-81-tcp}]}]}'),
    probes: [
      ['y/a', 'x/a', '81', 'ALLOWED'],
      ['y/a', 'x/a', '80', 'DENIED'],
      ['y/a', 'x/a', '81/UDP', 'DENIED'],
    ],
  },
  {
    name: 'should resolve a named port per protocol',
    policies: np(
      'x',
      'named-udp',
      '{podSelector: {}, ingress: [{ports: [{port: serve-80-udp, protocol: UDP}]}]}',
    ),
    probes: [
      ['y/a', 'x/a', '80/UDP', 'ALLOWED'],
      ['y/a', 'x/a', '80', 'DENIED'],
    ],
  },
  {
    name: 'should enforce ingress policy allowing any port traffic to a server on a specific protocol',
    policies: np('x', 'udp-only', '{podSelector: {}, ingress: [{ports: [{protocol: UDP}]}]}'),
    probes: [
      ['y/a', 'x/a', '80/UDP', 'ALLOWED'],
      ['y/a', 'x/a', '81/UDP', 'ALLOWED'],
      ['y/a', 'x/a', '80', 'DENIED'],
    ],
  },
  {
    name: 'should support SCTP',
    policies: np(
      'x',
      'sctp',
      '{podSelector: {}, ingress: [{ports: [{protocol: SCTP, port: 80}]}]}',
    ),
    probes: [
      ['y/a', 'x/a', '80/SCTP', 'ALLOWED'],
      ['y/a', 'x/a', '81/SCTP', 'DENIED'],
      ['y/a', 'x/a', '80', 'DENIED'],
    ],
  },
  {
    name: 'should enforce policy with endPort ranges',
    policies: np('x', 'range', '{podSelector: {}, ingress: [{ports: [{port: 80, endPort: 81}]}]}'),
    probes: [
      ['y/a', 'x/a', '80', 'ALLOWED'],
      ['y/a', 'x/a', '81', 'ALLOWED'],
      ['y/a', 'x/a', '82', 'DENIED'],
    ],
  },
  {
    name: 'should enforce policies to check ingress and egress policies can be controlled independently',
    policies: np(
      'x',
      'egress-deny',
      '{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress]}',
    ),
    probes: [
      ['x/a', 'x/b', '80', 'DENIED'],
      ['x/b', 'x/a', '80', 'ALLOWED'],
    ],
  },
  {
    name: 'should work with Ingress, Egress specified together',
    policies: np(
      'x',
      'both',
      '{podSelector: {matchLabels: {pod: a}}, policyTypes: [Ingress, Egress], ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}], egress: [{to: [{namespaceSelector: {matchLabels: {ns: y}}}], ports: [{port: 80}]}]}',
    ),
    probes: [
      ['x/b', 'x/a', '80', 'ALLOWED'],
      ['x/c', 'x/a', '80', 'DENIED'],
      ['x/a', 'y/c', '80', 'ALLOWED'],
      ['x/a', 'y/c', '81', 'DENIED'],
      ['x/a', 'z/c', '80', 'DENIED'],
    ],
  },
  {
    name: 'should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)',
    policies:
      np(
        'x',
        'client-egress',
        '{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {ns: z}}}]}]}',
      ) +
      '---\n' +
      np(
        'y',
        'server-allows',
        '{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: x}}}]}]}',
      ),
    probes: [
      ['x/a', 'y/a', '80', 'DENIED'],
      ['x/b', 'y/a', '80', 'ALLOWED'],
      ['x/a', 'z/a', '80', 'ALLOWED'],
    ],
  },
  {
    name: 'should default policyTypes to Ingress only when there are no egress rules',
    policies: np('x', 'ingress-only', '{podSelector: {}, ingress: [{from: [{podSelector: {}}]}]}'),
    probes: [
      ['x/a', 'z/a', '80', 'ALLOWED'],
      ['z/a', 'x/a', '80', 'DENIED'],
      ['x/b', 'x/a', '80', 'ALLOWED'],
    ],
  },
  {
    name: 'should ignore an egress section when policyTypes says Ingress',
    policies: np(
      'x',
      'explicit',
      '{podSelector: {}, policyTypes: [Ingress], ingress: [{}], egress: [{to: [{podSelector: {matchLabels: {pod: nothing}}}]}]}',
    ),
    probes: [['x/a', 'y/a', '80', 'ALLOWED']],
  },
  {
    name: 'should match NotIn when the key is absent and DoesNotExist',
    policies: np(
      'x',
      'notin',
      '{podSelector: {}, ingress: [{from: [{namespaceSelector: {}, podSelector: {matchExpressions: [{key: role, operator: NotIn, values: [db]}, {key: tier, operator: DoesNotExist}]}}]}]}',
    ),
    probes: [['z/b', 'x/a', '80', 'ALLOWED']],
  },
  {
    name: 'should treat rules with only peers as allowing every port',
    policies: np(
      'x',
      'peers-only',
      '{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}]}]}',
    ),
    probes: [
      ['y/a', 'x/a', '81/SCTP', 'ALLOWED'],
      ['z/a', 'x/a', '81/SCTP', 'DENIED'],
    ],
  },
  {
    name: 'should allow egress access to addresses in a CIDR block, except the excepted range',
    policies: np(
      'x',
      'cidr',
      '{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 192.0.2.0/24, except: [192.0.2.128/25]}}], ports: [{port: 80}]}]}',
    ),
    probes: [
      ['x/a', '192.0.2.10', '80', 'ALLOWED'],
      ['x/a', '192.0.2.200', '80', 'DENIED'],
      ['x/a', '198.51.100.1', '80', 'DENIED'],
    ],
  },
  {
    name: 'should union all policies selecting a pod',
    policies:
      np(
        'x',
        'from-y',
        '{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}]}]}',
      ) +
      '---\n' +
      np(
        'x',
        'from-z-81',
        '{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: z}}}], ports: [{port: 81}]}]}',
      ),
    probes: [
      ['y/a', 'x/a', '80', 'ALLOWED'],
      ['z/a', 'x/a', '81', 'ALLOWED'],
      ['z/a', 'x/a', '80', 'DENIED'],
      ['z/a', 'x/b', '81', 'DENIED'],
    ],
  },
];

describe('NetworkPolicy semantics (upstream netpol e2e cases)', () => {
  for (const c of CASES) {
    describe(c.name, () => {
      it.each(c.probes)('%s → %s:%s is %s', (from, to, port, verdict) => {
        const model = e2eModel();
        applyYaml(model, c.policies);
        const e = judge(model, { from, to, port });
        expect(e.verdict, e.reason).toBe(verdict);
        if (verdict === 'DENIED') {
          expect(e.suggestion).toBeDefined();
          applyYaml(model, e.suggestion!);
          expect(judge(model, { from, to, port }).verdict, e.suggestion).toBe('ALLOWED');
        }
      });
    });
  }
});

describe('NetworkPolicy explanations', () => {
  it('names the isolating policy and the missing rule, in English and Korean', () => {
    const model = e2eModel();
    applyYaml(model, np('x', 'default-deny', '{podSelector: {}, policyTypes: [Ingress]}'));
    const en = judge(model, { from: 'y/b', to: 'x/a', port: '80' });
    expect(en).toMatchObject({
      verdict: 'DENIED',
      decidedAt: 'ingress',
      ingress: { isolated: true, policies: ['x/default-deny'], allowedBy: [], deniedBy: [] },
      egress: { isolated: false, policies: [], allowedBy: [], deniedBy: [] },
    });
    expect(en.reason).toBe(
      'x/a is isolated for ingress by x/default-deny; no rule allows pod=b from namespace y on TCP/80.',
    );
    const ko = judge(model, { from: 'y/b', to: 'x/a', port: '80' }, 'ko');
    expect(ko.reason).toContain('x/default-deny');
    expect(ko.reason).toMatch(/격리/);
  });

  it('suggests one fix for every replica of a workload, and another for another peer', () => {
    const model = e2eModel();
    applyYaml(model, np('x', 'default-deny', '{podSelector: {}, policyTypes: [Ingress]}'));
    const replica = e2ePod('x', 'a-2', '10.0.1.9');
    replica.metadata.labels = { pod: 'a' };
    model.apply('Pod', 'ADDED', replica);
    const first = judge(model, { from: 'y/b', to: 'x/a', port: '80' }).suggestion!;
    const second = judge(model, { from: 'y/b', to: 'x/a-2', port: '80' }).suggestion!;
    const other = judge(model, { from: 'y/c', to: 'x/a', port: '80' }).suggestion!;
    expect(second).toBe(first);
    expect(first).toContain('pod: b');
    expect(other).toContain('pod: c');
    expect(other).not.toBe(first);
    applyYaml(model, first);
    expect(judge(model, { from: 'y/b', to: 'x/a-2', port: '80' }).verdict).toBe('ALLOWED');
    expect(judge(model, { from: 'y/c', to: 'x/a-2', port: '80' }).verdict).toBe('DENIED');
  });

  it('suggests a fix for a pod with oversized labels as for any other', () => {
    const model = e2eModel();
    applyYaml(model, np('x', 'default-deny', '{podSelector: {}, policyTypes: [Ingress]}'));
    const big = e2ePod('x', 'big', '10.0.1.8');
    big.metadata.labels = { pod: 'big', note: 'n'.repeat(10_000) };
    model.apply('Pod', 'ADDED', big);
    for (let i = 0; i < 2; i++) {
      const fix = judge(model, { from: 'y/b', to: 'x/big', port: '80' }).suggestion!;
      expect(fix).toContain('n'.repeat(10_000));
      const probe = e2eModel();
      applyYaml(probe, np('x', 'default-deny', '{podSelector: {}, policyTypes: [Ingress]}'));
      probe.apply('Pod', 'ADDED', big);
      applyYaml(probe, fix);
      expect(judge(probe, { from: 'y/b', to: 'x/big', port: '80' }).verdict).toBe('ALLOWED');
    }
  });

  it('always allows the pod’s own node (kubelet probes), which policies cannot block', () => {
    const model = e2eModel();
    model.apply('Node', 'ADDED', {
      kind: 'Node',
      metadata: { name: 'node-1' },
      status: { addresses: [{ type: 'InternalIP', address: '172.18.0.9' }] },
    } as never);
    applyYaml(model, np('x', 'deny-all', '{podSelector: {}, policyTypes: [Ingress]}'));
    const e = judge(model, { from: '172.18.0.9', to: 'x/a', port: '80' });
    expect(e.verdict).toBe('ALLOWED');
    expect(e.reason).toContain('own node');
  });

  it('explains which rule allows an allowed connection', () => {
    const model = e2eModel();
    applyYaml(
      model,
      np(
        'x',
        'allow-b',
        '{podSelector: {}, ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]}',
      ),
    );
    const e = judge(model, { from: 'x/b', to: 'x/a', port: '80' });
    expect(e.verdict).toBe('ALLOWED');
    expect(e.ingress.allowedBy).toEqual(['x/allow-b']);
    expect(e.reason).toBe('x/a is isolated for ingress, and x/allow-b allows it.');
  });

  it('mentions the rule that nearly matched', () => {
    const model = e2eModel();
    applyYaml(
      model,
      np(
        'x',
        'port-81',
        '{podSelector: {}, ingress: [{from: [{namespaceSelector: {}}], ports: [{port: 81}]}]}',
      ),
    );
    const e = judge(model, { from: 'y/b', to: 'x/a', port: '80' });
    expect(e.reason).toContain('x/port-81 rule 1 matches the peer but only on TCP/81');
  });

  it('evaluates a Service target on its backend with the resolved target port', () => {
    const model = e2eModel();
    applyYaml(
      model,
      `apiVersion: v1\nkind: Service\nmetadata: {name: s-a, namespace: x}\nspec: {selector: {pod: a}, ports: [{name: web, port: 8080, targetPort: serve-81-tcp}]}\n---\n` +
        np('x', 'p81', '{podSelector: {}, ingress: [{ports: [{port: 81}]}]}'),
    );
    const e = judge(model, { from: 'y/b', to: 'x/svc/s-a', port: '8080' });
    expect(e.verdict).toBe('ALLOWED');
    expect(e.target).toEqual({
      from: 'y/b',
      to: 'x/a',
      port: 81,
      protocol: 'TCP',
      service: 'x/s-a',
    });
    expect(judge(model, { from: 'y/b', to: 'x/svc/s-a', port: 'web' }).target.port).toBe(81);
  });

  it('reports pitfalls: no DNS egress, a policy selecting nothing, a peer matching nothing, an undefined named port', () => {
    const model = e2eModel();
    applyYaml(
      model,
      `apiVersion: v1\nkind: Pod\nmetadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}\nstatus: {podIP: 10.96.0.2}\n---\n` +
        np(
          'x',
          'egress-lockdown',
          '{podSelector: {}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {pod: b}}}]}]}',
        ) +
        '---\n' +
        np(
          'x',
          'ghost',
          '{podSelector: {matchLabels: {app: ghost}}, ingress: [{from: [{podSelector: {matchLabels: {app: nobody}}}], ports: [{port: no-such-port}]}]}',
        ),
    );
    const e = judge(model, { from: 'x/a', to: 'x/b', port: '80' });
    expect(e.verdict).toBe('ALLOWED');
    expect(e.pitfalls).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /x\/a is isolated for egress by x\/egress-lockdown without an allowance for DNS/,
        ),
        'x/ghost selects no pods.',
        'x/ghost has a peer (pods {app=nobody}) that matches no pod.',
        'x/ghost uses the named port "no-such-port", which no pod it could reach defines.',
      ]),
    );
  });

  it('caches by model revision, so an updated policy is seen (should enforce updated policy)', () => {
    const model = e2eModel();
    applyYaml(model, np('x', 'p', '{podSelector: {}, ingress: [{ports: [{port: 80}]}]}'));
    expect(judge(model, { from: 'y/a', to: 'x/a', port: '81' }).verdict).toBe('DENIED');
    applyYaml(model, np('x', 'p', '{podSelector: {}, ingress: [{ports: [{port: 81}]}]}'));
    expect(judge(model, { from: 'y/a', to: 'x/a', port: '81' }).verdict).toBe('ALLOWED');
  });

  it.each([
    [{ from: 'x/nope', to: 'x/a', port: '80' }, '--from: no pod x/nope in the cluster model'],
    [{ from: 'x/a', to: 'x/svc/none', port: '80' }, '--to: no service x/none in the cluster model'],
    [
      { from: 'x/a', to: 'x/b', port: 'http' },
      '--port: no container of x/b names a TCP port "http"',
    ],
    [
      { from: 'x/a', to: 'x/b', port: '80/ICMP' },
      '--port: protocol must be TCP, UDP or SCTP, got ICMP',
    ],
    [{ from: 'x/a', to: 'x/b', port: '70000' }, '--port: 70000 is not a port number (1-65535)'],
    [
      { from: 'x', to: 'x/b', port: '80' },
      '--from: expected NAMESPACE/POD, NAMESPACE/svc/NAME or an IP, got x',
    ],
  ])('refuses %j with an exact reason', (req, message) => {
    expect(() => judge(e2eModel(), req)).toThrow(message);
  });
});
