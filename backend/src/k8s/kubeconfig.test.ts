import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeConfigError, loadKubeConfig } from './kubeconfig.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'flowlens-kc-'));

function kubeconfig(server: string, skipTLS = false): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster: {server: "${server}"${skipTLS ? ', insecure-skip-tls-verify: true' : ''}}
users:
- name: me
  user: {token: abc}
contexts:
- name: lab
  context: {cluster: lab, user: me}
current-context: lab
`;
}

describe('loadKubeConfig', () => {
  it('reads --kubeconfig, naming where it came from', () => {
    const f = join(dir(), 'config');
    writeFileSync(f, kubeconfig('https://10.0.0.1:6443'));
    expect(loadKubeConfig({ kubeconfig: f })).toMatchObject({
      origin: f,
      server: 'https://10.0.0.1:6443',
      context: 'lab',
    });
  });

  it('falls back to KUBECONFIG, then ~/.kube/config', () => {
    const d = dir();
    const f = join(d, 'a');
    writeFileSync(f, kubeconfig('https://a:6443'));
    expect(loadKubeConfig({ env: { KUBECONFIG: `/nope:${f}` }, home: d }).server).toBe(
      'https://a:6443',
    );
    mkdirSync(join(d, '.kube'));
    writeFileSync(join(d, '.kube', 'config'), kubeconfig('https://home:6443'));
    expect(loadKubeConfig({ env: {}, home: d }).server).toBe('https://home:6443');
  });

  it.each([
    [{ kubeconfig: '/nonexistent/config' }, 'kubeconfig /nonexistent/config: no such file'],
    [
      { env: {}, home: '/nonexistent-home' },
      'no kubeconfig: pass --kubeconfig PATH, set KUBECONFIG, create /nonexistent-home/.kube/config, or use --in-cluster',
    ],
    [
      { inCluster: true, env: {} },
      'in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not running in a pod?)',
    ],
  ])('refuses %j with an exact reason', (source, message) => {
    expect(() => loadKubeConfig(source)).toThrow(KubeConfigError);
    expect(() => loadKubeConfig(source)).toThrow(message);
  });

  it('refuses plain http unless TLS verification is off, and broken YAML', () => {
    const d = dir();
    writeFileSync(join(d, 'http'), kubeconfig('http://127.0.0.1:8001'));
    expect(() => loadKubeConfig({ kubeconfig: join(d, 'http') })).toThrow(
      /is plain http; set insecure-skip-tls-verify: true/,
    );
    writeFileSync(join(d, 'ok'), kubeconfig('http://127.0.0.1:8001', true));
    expect(loadKubeConfig({ kubeconfig: join(d, 'ok') }).server).toBe('http://127.0.0.1:8001');
    writeFileSync(join(d, 'bad'), 'clusters: [unclosed');
    expect(() => loadKubeConfig({ kubeconfig: join(d, 'bad') })).toThrow(/invalid/);
  });
});
