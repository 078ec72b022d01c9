// Turns a Lab into the flows Hubble would report: a DNS lookup through kube-dns, the TCP
// handshake with its replies, HTTP requests and responses, the FIN, and retried SYNs that a
// policy drops. Deterministic for a seed: the same seed and time window give the same flows.
import type { Conversation, Lab, LabExternal, LabHTTP, LabPod, LabService } from './lab.ts';
import type { Endpoint, FlowRecord, HubbleFlow, Layer4, TCPFlags } from '../hubble/types.ts';
import { formatTimeNs } from '../hubble/time.ts';

/** mulberry32: tiny, fast, and good enough to make traffic look organic. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RESERVED_IDENTITY: Record<LabExternal['kind'], number> = {
  host: 1,
  world: 2,
  'remote-node': 6,
  'kube-apiserver': 7,
};

// Cilium's monitor message types: 4 is a trace notification, 1 a drop, 129 an L7 record.
const EVENT_TRACE = 4;
const EVENT_DROP = 1;
const EVENT_L7 = 129;
const DROP_REASON_CODES: Record<string, number> = { POLICY_DENIED: 133, POLICY_DENY: 181 };

interface Peer {
  ip: string;
  endpoint: Endpoint;
  node?: string;
  names?: string[];
  pod?: LabPod;
}

/** What the dataplane does with a connection (or one HTTP request on it). */
export interface LabVerdict {
  drop?: { at: 'egress' | 'ingress'; reason: string };
  /** The HTTP request is refused by the L7 proxy (403). */
  l7Denied?: boolean;
}

/** A connection as the judge sees it: ends, the Service it went through, the target port. */
export interface LabConnection {
  conversation: Conversation;
  from: LabPod | LabExternal;
  to: LabPod | LabExternal;
  service?: LabService;
  port: number;
  protocol: 'TCP' | 'UDP';
  http?: LabHTTP;
}

/** Decides verdicts from the cluster's policies (the demo source plugs the policy engine in). */
export type LabJudge = (c: LabConnection) => LabVerdict;

export class LabGenerator {
  /** When set, verdicts come from here instead of the conversations' `drop` fields. */
  judge: LabJudge | undefined;
  /** When set, readiness comes from here (the cluster model) instead of the lab's data. */
  isReady: ((p: LabPod) => boolean) | undefined;
  private readonly lab: Lab;
  private readonly random: () => number;
  private readonly pods = new Map<string, LabPod>();
  private readonly services = new Map<string, LabService>();
  private readonly dnsPods: LabPod[];
  private readonly nextAt: bigint[];
  private ephemeralPort = 40000;
  private readonly pending: FlowRecord[] = [];

  /** `rateScale` multiplies every conversation's rate (benchmarks drive a lab at load). */
  constructor(
    lab: Lab,
    seed = 1,
    startNs = 0n,
    private readonly rateScale = 1,
  ) {
    if (!(rateScale > 0)) throw new RangeError(`rateScale must be positive, got ${rateScale}`);
    this.lab = lab;
    this.random = seededRandom(seed);
    for (const p of lab.pods) this.pods.set(`${p.namespace}/${p.name}`, p);
    for (const s of lab.services) this.services.set(`${s.namespace}/${s.name}`, s);
    this.dnsPods = lab.pods.filter((p) => p.labels['k8s-app'] === 'kube-dns');
    this.nextAt = lab.conversations.map((c) => startNs + this.jitter(c.everyMs));
    this.validate();
  }

  /** Rejects a lab whose conversations name pods or services it does not define. */
  private validate(): void {
    for (const c of this.lab.conversations) {
      if (typeof c.from === 'string' && !this.pods.has(c.from)) {
        throw new Error(`lab ${this.lab.name}: unknown source pod ${c.from}`);
      }
      if ('service' in c.to && !this.services.has(c.to.service)) {
        throw new Error(`lab ${this.lab.name}: unknown service ${c.to.service}`);
      }
      if ('pod' in c.to && !this.pods.has(c.to.pod)) {
        throw new Error(`lab ${this.lab.name}: unknown target pod ${c.to.pod}`);
      }
    }
  }

  get nodeNames(): string[] {
    return this.lab.nodes.map((n) => `${this.lab.cluster}/${n.name}`);
  }

  /** Every flow with a time before `toNs` not returned yet, oldest first. */
  generate(toNs: bigint): FlowRecord[] {
    const pending = this.pending;
    this.lab.conversations.forEach((c, i) => {
      while (this.nextAt[i] < toNs) {
        this.connection(c, this.nextAt[i], pending);
        this.nextAt[i] += this.jitter(c.everyMs);
      }
    });
    pending.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
    // A connection's later packets (retried SYNs, the FIN) wait until their time has come, so
    // no flow is ever published ahead of the clock.
    let due = 0;
    while (due < pending.length && pending[due].timeNs < toNs) due++;
    return pending.splice(0, due);
  }

  private jitter(everyMs: number): bigint {
    const ms = (everyMs / this.rateScale) * (0.5 + this.random());
    return BigInt(Math.round(ms * 1e6));
  }

  private uuid(): string {
    const hex = () =>
      Math.floor(this.random() * 0x10000)
        .toString(16)
        .padStart(4, '0');
    const v = (0x4000 | (Math.floor(this.random() * 0x1000) & 0x0fff)).toString(16);
    const r = (0x8000 | (Math.floor(this.random() * 0x4000) & 0x3fff)).toString(16);
    return `${hex()}${hex()}-${hex()}-${v}-${r}-${hex()}${hex()}${hex()}`;
  }

  private podPeer(p: LabPod): Peer {
    const labels = Object.entries(p.labels).map(([k, v]) => `k8s:${k}=${v}`);
    labels.push(`k8s:io.kubernetes.pod.namespace=${p.namespace}`);
    labels.push(`k8s:io.cilium.k8s.policy.cluster=${this.lab.cluster}`);
    labels.sort();
    const endpoint: Endpoint = {
      ID: 100 + (p.identity % 3000) + p.ip.length,
      identity: p.identity,
      cluster_name: this.lab.cluster,
      namespace: p.namespace,
      labels,
      pod_name: p.name,
    };
    if (p.workload) endpoint.workloads = [{ name: p.workload.name, kind: p.workload.kind }];
    return { ip: p.ip, endpoint, node: p.node, pod: p };
  }

  private externalPeer(e: LabExternal): Peer {
    return {
      ip: e.ip,
      endpoint: { identity: RESERVED_IDENTITY[e.kind], labels: [`reserved:${e.kind}`] },
      names: e.names,
    };
  }

  private pick<T>(xs: T[]): T {
    return xs[Math.floor(this.random() * xs.length)];
  }

  /** Ready pods the Service selects: a pod that is not ready is left out of its endpoints. */
  private backendsOf(svc: LabService): LabPod[] {
    return this.lab.pods.filter(
      (p) =>
        (this.isReady ? this.isReady(p) : p.ready !== false) &&
        p.namespace === svc.namespace &&
        Object.entries(svc.selector).every(([k, v]) => p.labels[k] === v),
    );
  }

  /** With ClientIP affinity a client always lands on the same backend. */
  private chooseBackend(svc: LabService, backends: LabPod[], clientIp: string): LabPod {
    if (svc.sessionAffinity !== 'ClientIP') return this.pick(backends);
    let h = 0;
    for (const ch of clientIp) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    return backends[h % backends.length]!;
  }

  private connection(c: Conversation, t0: bigint, out: FlowRecord[]): void {
    const src =
      typeof c.from === 'string'
        ? this.podPeer(this.pods.get(c.from) as LabPod)
        : this.externalPeer(c.from);
    let t = t0;
    if (c.dns && src.pod) {
      const after = this.dnsLookup(src, c.dns, c, t, out);
      // A name that does not resolve means no connection at all: the app gives up.
      if (after === undefined) return;
      t = after;
    }

    let dst: Peer;
    let dstPort = c.port;
    let service: LabService | undefined;
    if ('service' in c.to) {
      service = this.services.get(c.to.service) as LabService;
      const backends = this.backendsOf(service);
      if (backends.length === 0) return;
      dst = this.podPeer(this.chooseBackend(service, backends, src.ip));
      // From outside, a NodePort Service is addressed by its node port.
      const sp = service.ports.find(
        (p) => (p.port === c.port || p.nodePort === c.port) && p.protocol === c.protocol,
      );
      dstPort = sp?.targetPort ?? c.port;
    } else if ('pod' in c.to) {
      dst = this.podPeer(this.pods.get(c.to.pod) as LabPod);
    } else {
      dst = this.externalPeer(c.to.external);
    }
    const flow = new FlowBuilder(this, src, dst, this.nextPort(), dstPort, c.protocol, service);
    const req = c.http && c.http.length > 0 ? this.pick(c.http) : undefined;
    const connection: LabConnection = {
      conversation: c,
      from: typeof c.from === 'string' ? (this.pods.get(c.from) as LabPod) : c.from,
      to: dst.pod ?? ('external' in c.to ? c.to.external : (dst.pod as unknown as LabPod)),
      port: dstPort,
      protocol: c.protocol,
      ...(service ? { service } : {}),
    };
    const l4 = this.judge ? this.judge(connection) : c.drop ? { drop: c.drop } : {};
    const l7 = this.judge && req ? this.judge({ ...connection, http: req }) : {};

    if (l4.drop) {
      // A dropped SYN is retried by the client's TCP stack: 1 s, then 2 s later.
      for (const delay of [0n, 1_000_000_000n, 3_000_000_000n]) {
        out.push(flow.l4(t + delay, { SYN: true }, false, 'drop', l4.drop.at, l4.drop.reason));
      }
      return;
    }
    const step = () => (t += BigInt(150_000 + Math.floor(this.random() * 900_000)));
    out.push(flow.l4(step(), { SYN: true }, false, 'forward', 'egress'));
    out.push(flow.l4(step(), { SYN: true }, false, 'forward', 'ingress'));
    out.push(flow.l4(step(), { SYN: true, ACK: true }, true, 'forward', 'ingress'));
    out.push(flow.l4(step(), { ACK: true }, false, 'forward', 'ingress'));
    if (req && l7.l7Denied) {
      // The proxy refuses the request and answers 403 itself.
      out.push(flow.http(step(), req, 'REQUEST', true));
      out.push(flow.http(t + 500_000n, { ...req, code: 403 }, 'RESPONSE'));
      t += 1_000_000n;
    } else if (req) {
      out.push(flow.http(step(), req, 'REQUEST'));
      out.push(flow.http(t + BigInt(Math.floor(2e6 + this.random() * 30e6)), req, 'RESPONSE'));
      t += 35_000_000n;
    } else {
      out.push(flow.l4(step(), { PSH: true, ACK: true }, false, 'forward', 'ingress'));
    }
    out.push(flow.l4(step(), { FIN: true, ACK: true }, false, 'forward', 'ingress'));
    out.push(flow.l4(step(), { FIN: true, ACK: true }, true, 'forward', 'ingress'));
  }

  /** Resolves `name` through kube-dns; undefined when the lookup is dropped. */
  private dnsLookup(
    src: Peer,
    name: string,
    c: Conversation,
    t: bigint,
    out: FlowRecord[],
  ): bigint | undefined {
    const kubeDns = this.services.get('kube-system/kube-dns');
    const dnsPod = this.pick(this.dnsPods);
    if (!dnsPod || !kubeDns) return t;
    const dst = this.podPeer(dnsPod);
    const f = new FlowBuilder(this, src, dst, this.nextPort(), 53, 'UDP', kubeDns);
    const verdict = this.judge?.({
      conversation: c,
      from: src.pod as LabPod,
      to: dnsPod,
      service: kubeDns,
      port: 53,
      protocol: 'UDP',
    });
    if (verdict?.drop) {
      // The resolver retries a lost query: 5 s later (glibc's default timeout), then gives up.
      for (const delay of [0n, 5_000_000_000n]) {
        out.push(f.l4(t + delay, undefined, false, 'drop', verdict.drop.at, verdict.drop.reason));
      }
      return undefined;
    }
    const answer = this.answerFor(name, c);
    out.push(f.l4(t + 100_000n, undefined, false, 'forward', 'egress'));
    out.push(f.dns(t + 200_000n, name, 'REQUEST', []));
    out.push(f.dns(t + 900_000n, name, 'RESPONSE', answer));
    out.push(f.l4(t + 1_000_000n, undefined, true, 'forward', 'ingress'));
    return t + 1_200_000n;
  }

  private answerFor(name: string, c: Conversation): string[] {
    // Every name a conversation looks up resolves to where the conversation then goes.
    if ('service' in c.to) return [this.services.get(c.to.service)?.clusterIP ?? ''];
    if ('external' in c.to) return [c.to.external.ip];
    return [this.pods.get(c.to.pod)?.ip ?? name];
  }

  private nextPort(): number {
    this.ephemeralPort = this.ephemeralPort >= 60999 ? 40000 : this.ephemeralPort + 1;
    return this.ephemeralPort + Math.floor(this.random() * 7);
  }

  /** Used by FlowBuilder; kept here so every random draw comes from the one seeded source. */
  newUuid(): string {
    return this.uuid();
  }

  nodeOf(peer: Peer): string {
    return `${this.lab.cluster}/${peer.node ?? this.lab.nodes[0].name}`;
  }
}

/** Builds the flows of one connection between two fixed peers and ports. */
class FlowBuilder {
  constructor(
    private readonly gen: LabGenerator,
    private readonly src: Peer,
    private readonly dst: Peer,
    private readonly srcPort: number,
    private readonly dstPort: number,
    private readonly protocol: 'TCP' | 'UDP',
    private readonly service: LabService | undefined,
  ) {}

  private base(timeNs: bigint, reply: boolean, at: 'egress' | 'ingress'): HubbleFlow {
    const [a, b] = reply ? [this.dst, this.src] : [this.src, this.dst];
    // Hubble reports a flow from the node that saw it: the sender's at egress, else the receiver's.
    const observer = at === 'egress' ? a : b;
    const node = this.gen.nodeOf(observer.pod ? observer : at === 'egress' ? b : a);
    const [sp, dp] = reply ? [this.dstPort, this.srcPort] : [this.srcPort, this.dstPort];
    const l4: Layer4 =
      this.protocol === 'TCP'
        ? { TCP: { source_port: sp, destination_port: dp } }
        : { UDP: { source_port: sp, destination_port: dp } };
    const flow: HubbleFlow = {
      time: formatTimeNs(timeNs),
      uuid: this.gen.newUuid(),
      verdict: 'FORWARDED',
      IP: { source: a.ip, destination: b.ip, ipVersion: 'IPv4' },
      l4,
      source: a.endpoint,
      destination: b.endpoint,
      Type: 'L3_L4',
      node_name: node,
    };
    if (a.names) flow.source_names = a.names;
    if (b.names) flow.destination_names = b.names;
    flow.is_reply = reply;
    flow.event_type = { type: EVENT_TRACE };
    if (this.service && !reply) {
      flow.destination_service = { name: this.service.name, namespace: this.service.namespace };
    }
    if (this.service && reply) {
      flow.source_service = { name: this.service.name, namespace: this.service.namespace };
    }
    flow.traffic_direction = at === 'egress' ? 'EGRESS' : 'INGRESS';
    flow.trace_observation_point = at === 'egress' ? 'TO_STACK' : 'TO_ENDPOINT';
    return flow;
  }

  l4(
    timeNs: bigint,
    flags: TCPFlags | undefined,
    reply: boolean,
    verdict: 'forward' | 'drop',
    at: 'egress' | 'ingress',
    dropReason = 'POLICY_DENIED',
  ): FlowRecord {
    const flow = this.base(timeNs, reply, at);
    if (flags && flow.l4?.TCP) flow.l4.TCP.flags = flags;
    const flagText = flags
      ? Object.keys(flags)
          .filter((k) => flags[k as keyof TCPFlags])
          .join(', ')
      : '';
    flow.Summary = flagText ? `TCP Flags: ${flagText}` : this.protocol;
    if (verdict === 'drop') {
      flow.verdict = 'DROPPED';
      flow.drop_reason = DROP_REASON_CODES[dropReason] ?? 0;
      flow.drop_reason_desc = dropReason;
      flow.event_type = { type: EVENT_DROP, sub_type: DROP_REASON_CODES[dropReason] ?? 0 };
      delete flow.trace_observation_point;
      flow.Summary = dropReason;
      flow.policy_match_type = 0;
    }
    return { flow, nodeName: flow.node_name ?? '', timeNs };
  }

  private l7(timeNs: bigint, type: 'REQUEST' | 'RESPONSE'): HubbleFlow {
    const flow = this.base(timeNs, type === 'RESPONSE', 'egress');
    flow.Type = 'L7';
    flow.event_type = { type: EVENT_L7 };
    delete flow.trace_observation_point;
    return flow;
  }

  dns(timeNs: bigint, query: string, type: 'REQUEST' | 'RESPONSE', ips: string[]): FlowRecord {
    const flow = this.l7(timeNs, type);
    flow.l7 = {
      type,
      dns: {
        query,
        qtypes: ['A'],
        observation_source: 'proxy',
        ...(type === 'RESPONSE' ? { ips, rcode: 0, ttl: 30, rrtypes: ['A'] } : {}),
      },
    };
    if (type === 'RESPONSE') flow.l7.latency_ns = '650000';
    flow.Summary = `DNS ${type === 'REQUEST' ? 'Query' : 'Answer'} ${query} A`;
    return { flow, nodeName: flow.node_name ?? '', timeNs };
  }

  http(
    timeNs: bigint,
    req: { method: string; path: string; code: number },
    type: string,
    denied = false,
  ) {
    const flow = this.l7(timeNs, type as 'REQUEST' | 'RESPONSE');
    if (denied) {
      // Hubble reports an L7 refusal as a DROPPED request with no datapath drop reason.
      flow.verdict = 'DROPPED';
      flow.traffic_direction = 'INGRESS';
    }
    const host = this.service ? `${this.service.name}.${this.service.namespace}` : this.dst.ip;
    flow.l7 = {
      type: type as 'REQUEST' | 'RESPONSE',
      http: {
        method: req.method,
        url: `http://${host}:${this.dstPort}${req.path}`,
        protocol: 'HTTP/1.1',
        ...(type === 'RESPONSE' ? { code: req.code } : {}),
      },
    };
    if (type === 'RESPONSE') flow.l7.latency_ns = '4200000';
    flow.Summary = `HTTP/1.1 ${req.method} ${req.path}${type === 'RESPONSE' ? ` ${req.code}` : ''}`;
    const rec: FlowRecord = { flow, nodeName: flow.node_name ?? '', timeNs };
    return rec;
  }
}
