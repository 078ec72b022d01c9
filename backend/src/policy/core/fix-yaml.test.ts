import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { fixYaml } from './fix-yaml.ts';

const netpol = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'allow-frontend-to-backend-api-8080', namespace: 'api' },
  spec: {
    podSelector: { matchLabels: { app: 'backend-api', tier: 'api' } },
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } },
            podSelector: { matchLabels: { app: 'frontend' } },
          },
        ],
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
    ],
  },
};

const cnp = {
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumNetworkPolicy',
  metadata: { name: 'allow-get-cart', namespace: 'web' },
  spec: {
    endpointSelector: {},
    egress: [
      {
        toFQDNs: [{ matchPattern: '*.github.com' }],
        toPorts: [
          {
            ports: [{ port: '443', protocol: 'TCP' }],
            rules: { http: [{ method: 'GET', path: '/cart/items' }] },
          },
        ],
      },
    ],
    nested: [[1, 2], [], [{ a: true, b: null }]],
  },
};

/** Strings a reader could take for something else, or that need escapes. */
const HOSTILE = [
  '',
  'yes',
  'No',
  'ON',
  'off',
  'y',
  'N',
  'true',
  'False',
  'null',
  'NULL',
  '~',
  '0',
  '080',
  '0x1F',
  '1e3',
  '1_000',
  '1:20',
  '.inf',
  '.NaN',
  '2001-12-14',
  '- item',
  '-',
  '? key',
  ': value',
  'a: b',
  'a #b',
  '#comment',
  '"double"',
  "'single'",
  'back\\slash',
  '{flow}',
  '[seq]',
  '@at',
  '`tick',
  '%directive',
  '!tag',
  '&anchor',
  '*alias',
  '|',
  '>',
  '<<',
  '=',
  ' leading',
  'trailing ',
  'tab\there',
  'two\nlines',
  'carriage\rreturn',
  'nul\u0000byte',
  'bell\u0007',
  'del\u007f',
  'nel\u0085line',
  'ls\u2028ps\u2029',
  'bom\ufeff',
  '한국어 레이블',
  'emoji 🙂',
  '---',
  '...',
  '<script>alert(1)</script>',
  'x'.repeat(5000),
];

describe('fixYaml', () => {
  it('lays a fix out as the yaml library does', () => {
    expect(fixYaml(netpol)).toBe(stringify(netpol, { lineWidth: 0 }));
    expect(fixYaml(cnp)).toBe(stringify(cnp, { lineWidth: 0 }));
  });

  it('reads back as the same data, in YAML 1.1 and 1.2, whatever the strings', () => {
    for (const s of HOSTILE) {
      const doc = {
        metadata: { name: s, labels: { [s]: s, plain: 'v' } },
        spec: { list: [s, { [s]: [s] }], port: 80, on: true },
      };
      const text = fixYaml(doc);
      for (const version of ['1.1', '1.2'] as const) {
        expect(parse(text, { version }), `${JSON.stringify(s)} in YAML ${version}`).toEqual(doc);
      }
    }
  });

  it('writes words plain and quotes what a YAML 1.1 reader would not keep a string', () => {
    const text = fixYaml({ a: 'frontend', b: 'on', c: '8080', d: 'kubernetes.io/name', e: '' });
    expect(text).toBe('a: frontend\nb: "on"\nc: "8080"\nd: kubernetes.io/name\ne: ""\n');
    expect(fixYaml({ path: '/cart/[0-9]+', plain: '/cart/items' })).toBe(
      'path: "/cart/[0-9]+"\nplain: /cart/items\n',
    );
  });

  it('leaves out undefined values and writes empty collections in flow style', () => {
    expect(fixYaml({ a: undefined, b: {}, c: [], d: { e: undefined } })).toBe(
      'b: {}\nc: []\nd: {}\n',
    );
  });
});
