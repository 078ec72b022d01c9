// The peers of a history full of flows are few: a pod's flows differ by port and little else.
// History keeps one copy of each peer without its port (a template) and the port beside it, so
// a flow in history holds no peer objects of its own. A fresh peer per flow was held as long as
// the flow, and the garbage collector copied and marked each one again and again: that, more
// than any work done on a flow, was what held ingest back.
import type { Peer } from '../enrich/types.ts';

/** Templates kept before the table starts over (slots already holding one keep it). */
const MAX_TEMPLATES = 100_000;

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameWorkload(a: Peer['workload'], b: Peer['workload']): boolean {
  return a === b || (a !== undefined && b !== undefined && a.kind === b.kind && a.name === b.name);
}

/** Whether two peers agree on everything but the port. */
function samePeer(t: Peer, p: Peer): boolean {
  return (
    t.kind === p.kind &&
    t.namespace === p.namespace &&
    t.pod === p.pod &&
    t.service === p.service &&
    t.identity === p.identity &&
    t.node === p.node &&
    sameWorkload(t.workload, p.workload) &&
    sameList(t.labels, p.labels) &&
    sameList(t.names, p.names)
  );
}

/** A peer in the contract's field order (absent fields undefined, which JSON leaves out). */
export function withPort(t: Peer, port: number | undefined): Peer {
  return {
    ip: t.ip,
    port,
    kind: t.kind,
    namespace: t.namespace,
    pod: t.pod,
    workload: t.workload,
    service: t.service,
    labels: t.labels,
    names: t.names,
    identity: t.identity,
    node: t.node,
  };
}

export class PeerTemplates {
  private readonly byIp = new Map<string, Peer[]>();
  private size = 0;

  /** The template for this peer: its fields without the port, shared by every flow alike. */
  of(p: Peer): Peer {
    let list = this.byIp.get(p.ip);
    if (list) {
      for (const t of list) if (samePeer(t, p)) return t;
    } else {
      if (this.size >= MAX_TEMPLATES) {
        this.byIp.clear();
        this.size = 0;
      }
      list = [];
      this.byIp.set(p.ip, list);
    }
    // Hostile input can give one address endless variants; a long list is started over.
    if (list.length >= 64) list.length = 0;
    const t = Object.freeze(withPort(p, undefined)) as Peer;
    list.push(t);
    this.size += 1;
    return t;
  }
}
