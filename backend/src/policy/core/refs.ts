// From what a user types (`NS/POD`, `NS/svc/NAME`, an IP; `5432`, `http`, `53/UDP`) or what a
// flow says, to a ConnectionQuery: Services resolve to a backend pod and their target port,
// named ports to numbers, addresses to pods, nodes or the world when the model knows them.
import type { ClusterView } from '../../k8s/cluster-model.ts';
import type { Pod, Service } from '../../k8s/objects.ts';
import type { EnrichedFlow, Peer } from '../../enrich/types.ts';
import { labelMap } from '../../enrich/peers.ts';
import { resolveNamedPort } from './netpol.ts';
import {
  PolicyInputError,
  type ConnectionQuery,
  type Endpoint,
  type Entity,
  type Protocol,
} from './types.ts';

const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);
const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+:[0-9a-fA-F:.]*)$/;

export interface PortSpec {
  port: number | string;
  protocol: Protocol;
}

export function parsePortSpec(text: string): PortSpec {
  const [p, proto] = text.split('/');
  const protocol = (proto ?? 'TCP').toUpperCase();
  if (!PROTOCOLS.has(protocol))
    throw new PolicyInputError(`--port: protocol must be TCP, UDP or SCTP, got ${proto}`);
  if (!p) throw new PolicyInputError('--port: expected N, NAME, N/PROTOCOL or NAME/PROTOCOL');
  if (/^\d+$/.test(p)) {
    const n = Number(p);
    if (n < 1 || n > 65535)
      throw new PolicyInputError(`--port: ${n} is not a port number (1-65535)`);
    return { port: n, protocol: protocol as Protocol };
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p))
    throw new PolicyInputError(`--port: ${p} is not a port number or name`);
  return { port: p, protocol: protocol as Protocol };
}

/** An address as an endpoint: a pod, a node (host), or the world. */
export function endpointForIp(view: ClusterView, ip: string, names?: string[]): Endpoint {
  const pod = view.podByIP(ip);
  if (pod && !pod.spec?.hostNetwork) return { kind: 'pod', pod };
  const entity: Entity = view.nodeByIP(ip) || pod ? 'host' : 'world';
  return names ? { kind: 'ip', ip, entity, names } : { kind: 'ip', ip, entity };
}

export type Target = { endpoint: Endpoint; service?: Service };

export function parseEndpointRef(view: ClusterView, text: string, flag: string): Target {
  if (IP.test(text)) return { endpoint: endpointForIp(view, text) };
  const parts = text.split('/');
  if (parts.length === 3 && (parts[1] === 'svc' || parts[1] === 'service')) {
    const svc = view.service(parts[0]!, parts[2]!);
    if (!svc)
      throw new PolicyInputError(
        `${flag}: no service ${parts[0]}/${parts[2]} in the cluster model`,
      );
    const backend =
      view.serviceBackends(parts[0]!, parts[2]!).find((b) => b.pod && b.ready) ??
      view.serviceBackends(parts[0]!, parts[2]!).find((b) => b.pod);
    if (!backend?.pod)
      throw new PolicyInputError(`${flag}: service ${parts[0]}/${parts[2]} has no backend pod`);
    return { endpoint: { kind: 'pod', pod: backend.pod }, service: svc };
  }
  if (parts.length === 2) {
    const pod = view.pod(parts[0]!, parts[1]!);
    if (!pod) throw new PolicyInputError(`${flag}: no pod ${text} in the cluster model`);
    return { endpoint: { kind: 'pod', pod } };
  }
  throw new PolicyInputError(
    `${flag}: expected NAMESPACE/POD, NAMESPACE/svc/NAME or an IP, got ${text}`,
  );
}

/**
 * The destination port after the Service: a Service port (by number or name) maps to its
 * targetPort, which may itself be a name on the backend pod.
 */
export function resolveTargetPort(spec: PortSpec, to: Endpoint, service?: Service): number {
  let port: number | string = spec.port;
  if (service) {
    const sp = (service.spec?.ports ?? []).find(
      (p) =>
        (p.protocol ?? 'TCP') === spec.protocol && (p.port === spec.port || p.name === spec.port),
    );
    if (!sp) {
      throw new PolicyInputError(
        `--port: service ${service.metadata.namespace}/${service.metadata.name} has no ${spec.protocol} port ${spec.port}`,
      );
    }
    port = sp.targetPort ?? sp.port;
  }
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const pod = to.kind === 'pod' ? to.pod : undefined;
  const n = resolveNamedPort(pod, port, spec.protocol);
  if (n === undefined) {
    throw new PolicyInputError(
      `--port: no container of ${pod ? `${pod.metadata.namespace}/${pod.metadata.name}` : 'the destination'} names a ${spec.protocol} port "${port}"`,
    );
  }
  return n;
}

export interface ExplainRequest {
  from: string;
  to: string;
  port: string | number;
  http?: { method: string; path: string };
}

/** The CLI's and the API's request, resolved against the model. */
export function queryFromRequest(view: ClusterView, req: ExplainRequest): ConnectionQuery {
  const from = parseEndpointRef(view, req.from, '--from');
  if (from.service)
    throw new PolicyInputError('--from: a connection starts at a pod or an address, not a Service');
  const to = parseEndpointRef(view, req.to, '--to');
  const spec = parsePortSpec(String(req.port));
  const q: ConnectionQuery = {
    from: from.endpoint,
    to: to.endpoint,
    port: resolveTargetPort(spec, to.endpoint, to.service),
    protocol: spec.protocol,
  };
  if (to.service) q.viaService = to.service;
  if (req.http) q.http = req.http;
  return q;
}

const ENTITY_OF: Record<Peer['kind'], Entity> = {
  pod: 'cluster',
  service: 'cluster',
  world: 'world',
  host: 'host',
  'remote-node': 'remote-node',
  'kube-apiserver': 'kube-apiserver',
  unknown: 'unknown',
};

/** A pod the model may not know (yet): built from what Hubble said about it. */
function podFromPeer(view: ClusterView, p: Peer): Pod | undefined {
  if (p.kind !== 'pod' || !p.pod || !p.namespace) return undefined;
  return (
    view.pod(p.namespace, p.pod) ?? {
      kind: 'Pod',
      metadata: { name: p.pod, namespace: p.namespace, labels: labelMap(p.labels) },
    }
  );
}

function serviceOf(view: ClusterView, q: string | undefined): Service | undefined {
  if (!q) return undefined;
  const i = q.indexOf('/');
  return i < 0 ? undefined : view.service(q.slice(0, i), q.slice(i + 1));
}

/** An enriched flow as a connection to judge; undefined when it carries no port to judge. */
export function queryFromFlow(view: ClusterView, f: EnrichedFlow): ConnectionQuery | undefined {
  const proto = f.protocol.toUpperCase();
  if (!PROTOCOLS.has(proto)) return undefined;
  // A reply is judged as the connection it answers.
  const client = f.isReply ? f.destination : f.source;
  const server = f.isReply ? f.source : f.destination;
  const port = server.port;
  if (port === undefined) return undefined;
  const endpoint = (p: Peer): Endpoint => {
    const pod = podFromPeer(view, p);
    if (pod) return { kind: 'pod', pod };
    return p.names
      ? { kind: 'ip', ip: p.ip, entity: ENTITY_OF[p.kind], names: p.names }
      : { kind: 'ip', ip: p.ip, entity: ENTITY_OF[p.kind] };
  };
  let to = endpoint(server);
  const viaService = serviceOf(view, server.service);
  let dport = port;
  if (server.kind === 'service' && viaService) {
    // Sent to a ClusterIP before translation: judge it at a backend on the target port.
    const ns = viaService.metadata.namespace ?? 'default';
    const backend = view.serviceBackends(ns, viaService.metadata.name).find((b) => b.pod);
    if (backend?.pod) {
      to = { kind: 'pod', pod: backend.pod };
      try {
        dport = resolveTargetPort({ port, protocol: proto as Protocol }, to, viaService);
      } catch {
        return undefined;
      }
    }
  }
  const q: ConnectionQuery = {
    from: endpoint(client),
    to,
    port: dport,
    protocol: proto as Protocol,
  };
  if (viaService) q.viaService = viaService;
  if (server.names?.length) q.destinationNames = server.names;
  const http = f.l7?.http;
  if (http && f.l7?.type === 'REQUEST' && http.method)
    q.http = { method: http.method, path: http.path };
  return q;
}
