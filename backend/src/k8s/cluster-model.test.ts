import { describe, expect, it } from 'vitest';
import { ClusterModel, type ModelChange } from './cluster-model.ts';
import type { EndpointSlice, KubeObject, Node, Pod, Service } from './objects.ts';

function pod(ns: string, name: string, over: Partial<Pod> & { ip?: string } = {}): Pod {
  const { ip, ...rest } = over;
  return {
    kind: 'Pod',
    metadata: { name, namespace: ns, resourceVersion: '1', labels: { app: name } },
    spec: { nodeName: 'worker-1' },
    status: ip ? { phase: 'Running', podIP: ip, podIPs: [{ ip }] } : { phase: 'Running' },
    ...rest,
  };
}

function svc(
  ns: string,
  name: string,
  clusterIP: string,
  selector: Record<string, string>,
): Service {
  return {
    kind: 'Service',
    metadata: { name, namespace: ns, resourceVersion: '1' },
    spec: { clusterIP, clusterIPs: [clusterIP], selector, ports: [{ port: 80, targetPort: 8080 }] },
  };
}

function rv(o: KubeObject, resourceVersion: string): KubeObject {
  return { ...o, metadata: { ...o.metadata, resourceVersion } };
}

describe('ClusterModel.apply', () => {
  it('announces added, modified and deleted with a rising revision', () => {
    const model = new ClusterModel(() => 1000);
    const seen: ModelChange[] = [];
    model.onChange((c) => seen.push(c));
    const p = pod('shop', 'web', { ip: '10.0.0.5' });
    model.apply('Pod', 'ADDED', p);
    model.apply('Pod', 'MODIFIED', rv(p, '2'));
    model.apply('Pod', 'DELETED', rv(p, '2'));
    expect(seen.map((c) => [c.revision, c.type, c.kind, c.namespace, c.name, c.time])).toEqual([
      [1, 'added', 'Pod', 'shop', 'web', 1000],
      [2, 'modified', 'Pod', 'shop', 'web', 1000],
      [3, 'deleted', 'Pod', 'shop', 'web', 1000],
    ]);
    expect(model.revision).toBe(3);
    expect(model.pods()).toEqual([]);
  });

  it('ignores an event that repeats the resourceVersion it already holds', () => {
    const model = new ClusterModel();
    const p = pod('shop', 'web');
    expect(model.apply('Pod', 'ADDED', p)).toBeDefined();
    expect(model.apply('Pod', 'MODIFIED', p)).toBeUndefined();
    expect(model.revision).toBe(1);
  });

  it('ignores the deletion of an object it never had', () => {
    const model = new ClusterModel();
    expect(model.apply('Pod', 'DELETED', pod('shop', 'ghost'))).toBeUndefined();
    expect(model.revision).toBe(0);
  });

  it('keeps same-named objects of different namespaces apart', () => {
    const model = new ClusterModel();
    model.apply('Pod', 'ADDED', pod('a', 'web'));
    model.apply('Pod', 'ADDED', pod('b', 'web'));
    expect(model.pods().map((p) => p.metadata.namespace)).toEqual(['a', 'b']);
    expect(model.pods('b')).toHaveLength(1);
  });
});

describe('ClusterModel.replace', () => {
  it('applies only the differences of a relist', () => {
    const model = new ClusterModel();
    model.replace('Pod', [pod('a', 'keep'), pod('a', 'change'), pod('a', 'gone')]);
    const before = model.revision;
    const changes = model.replace('Pod', [
      pod('a', 'keep'),
      rv(pod('a', 'change'), '7'),
      pod('a', 'new'),
    ]);
    expect(changes.map((c) => `${c.type} ${c.name}`).sort()).toEqual([
      'added new',
      'deleted gone',
      'modified change',
    ]);
    expect(model.revision).toBe(before + 3);
  });

  it('limits a namespaced relist to that namespace', () => {
    const model = new ClusterModel();
    model.replace('Pod', [pod('a', 'x'), pod('b', 'y')]);
    model.replace('Pod', [], 'a');
    expect(model.pods().map((p) => p.metadata.name)).toEqual(['y']);
  });
});

describe('ClusterModel indexes', () => {
  it('finds pods by every IP and forgets an IP when the pod moves', () => {
    const model = new ClusterModel();
    const p: Pod = {
      ...pod('shop', 'web'),
      status: { podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }, { ip: 'fd00::5' }] },
    };
    model.apply('Pod', 'ADDED', p);
    expect(model.podByIP('fd00::5')?.metadata.name).toBe('web');
    model.apply('Pod', 'MODIFIED', {
      ...rv(p, '2'),
      status: { podIP: '10.0.0.9', podIPs: [{ ip: '10.0.0.9' }] },
    } as Pod);
    expect(model.podByIP('10.0.0.5')).toBeUndefined();
    expect(model.podByIP('10.0.0.9')?.metadata.name).toBe('web');
  });

  it('prefers a pod-network pod over hostNetwork pods and finished pods sharing an IP', () => {
    const model = new ClusterModel();
    const host = pod('kube-system', 'agent', { ip: '10.0.0.1' });
    host.spec = { nodeName: 'worker-1', hostNetwork: true };
    const done = pod('jobs', 'old', { ip: '10.0.0.7' });
    done.status = { ...done.status, phase: 'Succeeded' };
    model.apply('Pod', 'ADDED', host);
    model.apply('Pod', 'ADDED', done);
    expect(model.podByIP('10.0.0.1')?.metadata.name).toBe('agent');
    model.apply('Pod', 'ADDED', pod('shop', 'new', { ip: '10.0.0.7' }));
    expect(model.podByIP('10.0.0.7')?.metadata.name).toBe('new');
    expect(model.hostNetworkPodsOn('worker-1').map((p) => p.metadata.name)).toEqual(['agent']);
  });

  it('finds services by ClusterIP and by selector, ignoring headless IPs', () => {
    const model = new ClusterModel();
    model.apply('Service', 'ADDED', svc('shop', 'web', '10.96.0.10', { app: 'web' }));
    model.apply('Service', 'ADDED', svc('shop', 'headless', 'None', { app: 'web' }));
    const external: Service = {
      kind: 'Service',
      metadata: { name: 'external', namespace: 'shop' },
      spec: { type: 'ExternalName', externalName: 'example.com' },
    };
    model.apply('Service', 'ADDED', external);
    expect(model.serviceByClusterIP('10.96.0.10')?.metadata.name).toBe('web');
    expect(model.serviceByClusterIP('None')).toBeUndefined();
    const names = model.servicesSelecting(pod('shop', 'web')).map((s) => s.metadata.name);
    expect(names).toEqual(['headless', 'web']);
    expect(model.servicesSelecting(pod('other', 'web'))).toEqual([]);
  });

  it('lists service backends from EndpointSlices, or from the selector without them', () => {
    const model = new ClusterModel();
    model.apply('Service', 'ADDED', svc('shop', 'web', '10.96.0.10', { app: 'web' }));
    model.apply('Pod', 'ADDED', pod('shop', 'web', { ip: '10.0.0.5' }));
    expect(model.serviceBackends('shop', 'web').map((b) => [b.ip, b.pod?.metadata.name])).toEqual([
      ['10.0.0.5', 'web'],
    ]);
    const slice: EndpointSlice = {
      kind: 'EndpointSlice',
      metadata: {
        name: 'web-abc',
        namespace: 'shop',
        labels: { 'kubernetes.io/service-name': 'web' },
      },
      addressType: 'IPv4',
      endpoints: [
        {
          addresses: ['10.0.0.5'],
          conditions: { ready: true },
          targetRef: { kind: 'Pod', name: 'web', namespace: 'shop' },
        },
        { addresses: ['10.0.0.6'], conditions: { ready: false }, nodeName: 'worker-2' },
      ],
    };
    model.apply('EndpointSlice', 'ADDED', slice);
    expect(model.endpointSlicesOf('shop', 'web')).toHaveLength(1);
    expect(
      model
        .serviceBackends('shop', 'web')
        .map((b) => [b.ip, b.ready, b.pod?.metadata.name, b.nodeName]),
    ).toEqual([
      ['10.0.0.5', true, 'web', 'worker-1'],
      ['10.0.0.6', false, undefined, 'worker-2'],
    ]);
    model.apply('EndpointSlice', 'DELETED', slice);
    expect(model.endpointSlicesOf('shop', 'web')).toEqual([]);
  });

  it('finds nodes by their internal and external addresses', () => {
    const model = new ClusterModel();
    const node: Node = {
      kind: 'Node',
      metadata: { name: 'worker-1' },
      status: {
        addresses: [
          { type: 'InternalIP', address: '172.18.0.3' },
          { type: 'Hostname', address: 'worker-1' },
        ],
      },
    };
    model.apply('Node', 'ADDED', node);
    expect(model.nodeByIP('172.18.0.3')?.metadata.name).toBe('worker-1');
    expect(model.nodeByIP('worker-1')).toBeUndefined();
  });

  it('adds the automatic kubernetes.io/metadata.name label to namespaces', () => {
    const model = new ClusterModel();
    model.apply('Namespace', 'ADDED', { metadata: { name: 'shop', labels: { team: 'a' } } });
    expect(model.namespaceLabels('shop')).toEqual({
      team: 'a',
      'kubernetes.io/metadata.name': 'shop',
    });
    expect(model.namespaceLabels('unknown')).toEqual({ 'kubernetes.io/metadata.name': 'unknown' });
  });
});

describe('ClusterModel.workloadOf', () => {
  const owned = (kind: string, name: string) => [{ kind, name, controller: true }];

  it('climbs ReplicaSet to Deployment', () => {
    const model = new ClusterModel();
    model.apply('ReplicaSet', 'ADDED', {
      metadata: {
        name: 'web-5d9c',
        namespace: 'shop',
        ownerReferences: owned('Deployment', 'web'),
      },
    });
    const p = pod('shop', 'web-5d9c-x1');
    p.metadata.ownerReferences = owned('ReplicaSet', 'web-5d9c');
    expect(model.workloadOf(p)).toEqual({ kind: 'Deployment', name: 'web' });
  });

  it('names the Deployment from pod-template-hash when the ReplicaSet is unknown', () => {
    const model = new ClusterModel();
    const p = pod('shop', 'web-5d9c-x1');
    p.metadata.labels = { 'pod-template-hash': '5d9c' };
    p.metadata.ownerReferences = owned('ReplicaSet', 'web-5d9c');
    expect(model.workloadOf(p)).toEqual({ kind: 'Deployment', name: 'web' });
  });

  it('climbs Job to CronJob and stops at a StatefulSet', () => {
    const model = new ClusterModel();
    model.apply('Job', 'ADDED', {
      metadata: {
        name: 'backup-123',
        namespace: 'ops',
        ownerReferences: owned('CronJob', 'backup'),
      },
    });
    const j = pod('ops', 'backup-123-abc');
    j.metadata.ownerReferences = owned('Job', 'backup-123');
    expect(model.workloadOf(j)).toEqual({ kind: 'CronJob', name: 'backup' });
    const s = pod('db', 'pg-0');
    s.metadata.ownerReferences = owned('StatefulSet', 'pg');
    expect(model.workloadOf(s)).toEqual({ kind: 'StatefulSet', name: 'pg' });
    expect(model.workloadOf(pod('x', 'bare'))).toBeUndefined();
  });
});
