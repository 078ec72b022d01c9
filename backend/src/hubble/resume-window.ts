// What makes a reconnect lossless and duplicate-free: the client asks Relay again for everything
// since (newest flow time − slack) and drops what it already has. Relay merges node streams
// through a short sort window, so a flow can arrive after a slightly newer one; the slack covers
// that, and the keys of every flow inside it are kept to recognise the overlap.
import type { HubbleFlow } from './types.ts';

export function flowKey(flow: HubbleFlow, nodeName: string): string {
  if (flow.uuid) return flow.uuid;
  // Without a uuid (old agents, some recordings) the tuple below is what tells two flows apart.
  const l4 = flow.l4;
  const pp = l4?.TCP ?? l4?.UDP ?? l4?.SCTP;
  return [
    flow.time,
    nodeName,
    flow.IP?.source,
    pp?.source_port,
    flow.IP?.destination,
    pp?.destination_port,
    flow.verdict,
    flow.Type,
    flow.is_reply,
    flow.traffic_direction,
    flow.trace_observation_point,
    flow.l7?.type,
  ].join('|');
}

export class ResumeWindow {
  private readonly keys = new Set<string>();
  private readonly order: { timeNs: bigint; key: string }[] = [];
  private head = 0;
  private newest = 0n;

  constructor(
    private readonly slackNs: bigint,
    private readonly maxKeys: number,
  ) {}

  /** The `since` to resume from; undefined before any flow was seen. */
  resumeFrom(): bigint | undefined {
    return this.newest === 0n ? undefined : this.newest - this.slackNs;
  }

  /** Records the flow and returns true, or returns false if it was seen already. */
  admit(key: string, timeNs: bigint): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    this.order.push({ timeNs, key });
    if (timeNs > this.newest) this.newest = timeNs;
    this.evict();
    return true;
  }

  private evict(): void {
    const horizon = this.newest - this.slackNs;
    while (this.head < this.order.length) {
      const e = this.order[this.head];
      if (e.timeNs >= horizon && this.keys.size <= this.maxKeys) break;
      this.keys.delete(e.key);
      this.head += 1;
    }
    // Compact now and then rather than shift() per flow, which is O(n) each time.
    if (this.head > 4096 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }
}
