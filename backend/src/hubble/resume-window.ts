// What makes a reconnect lossless and duplicate-free: the client asks Relay again for everything
// since (newest flow time − slack) and drops what it already has. Relay merges node streams
// through a short sort window, so a flow can arrive after a slightly newer one; the slack covers
// that, and the keys of the flows inside it are kept to recognise the overlap.
//
// Only a resumed stream can repeat a flow, and only one no newer than the newest flow before the
// reconnect. So while flows stream, their keys and times just go into a ring (no hashing: at
// 100,000 flows/s a Set of keys cost more than enriching the flow; and a UUID, the usual key, as
// 16 bytes, not a string the collector would copy and mark); a resume builds the set of keys
// inside the slack once, and only flows of the resumed stream old enough to be repeats are
// looked up in it.
import { packUuid, uuidOf } from '../shared/uuid.ts';
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
  /** The latest `maxKeys` flows' keys and times, oldest overwritten first. */
  private readonly times: BigInt64Array;
  /** A key that is a UUID, as four words; any other key is in `keys`. */
  private readonly uuids: Uint32Array;
  private readonly keys: (string | undefined)[];
  private filled = 0;
  private next = 0;
  private newest = 0n;
  /** Keys inside the slack when the stream was last resumed, and the newest flow then. */
  private seen: Set<string> | undefined;
  private seenNewest = 0n;

  constructor(
    private readonly slackNs: bigint,
    private readonly maxKeys: number,
  ) {
    this.times = new BigInt64Array(maxKeys);
    this.uuids = new Uint32Array(maxKeys * 4);
    this.keys = new Array<string | undefined>(maxKeys).fill(undefined);
  }

  /**
   * The `since` to ask a new stream for, undefined before any flow was seen. The flows already
   * had from there on are what `admit` then rejects.
   */
  resume(): bigint | undefined {
    if (this.newest === 0n) return undefined;
    const since = this.newest - this.slackNs;
    const seen = new Set<string>();
    for (let i = 0; i < this.filled; i++) {
      if (this.times[i]! >= since) seen.add(this.keys[i] ?? uuidOf(this.uuids, i * 4));
    }
    this.seen = seen;
    this.seenNewest = this.newest;
    return since;
  }

  /** Records the flow and returns true, or returns false if it was had before the resume. */
  admit(key: string, timeNs: bigint): boolean {
    const seen = this.seen;
    if (seen !== undefined) {
      if (timeNs <= this.seenNewest) {
        if (seen.has(key)) return false;
      } else if (timeNs > this.seenNewest + this.slackNs) {
        // Past the sort window: nothing older can come on this stream any more.
        this.seen = undefined;
      }
    }
    const i = this.next;
    if (packUuid(key, this.uuids, i * 4)) {
      if (this.keys[i] !== undefined) this.keys[i] = undefined;
    } else this.keys[i] = key;
    this.times[i] = timeNs;
    if (this.filled < this.maxKeys) this.filled += 1;
    this.next = i + 1 === this.maxKeys ? 0 : i + 1;
    if (timeNs > this.newest) this.newest = timeNs;
    return true;
  }
}
