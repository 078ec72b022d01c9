// The Hubble-compatible server's ring buffer: what Hubble's own observer keeps per node. Flows
// get a sequence number on entry, so a GetFlows call can read history and then follow live
// flows with no gap and no overlap between the two.
import type { FlowRecord } from './types.ts';

export interface SequencedRecord extends FlowRecord {
  seq: number;
}

export type Follower = (rec: SequencedRecord) => void;

export class FlowHistory {
  readonly capacity: number;
  private readonly ring: (SequencedRecord | undefined)[];
  private nextSeq = 0;
  private readonly followers = new Set<Follower>();

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`history capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.ring = new Array<SequencedRecord | undefined>(capacity);
  }

  /** Flows ever pushed (Hubble's `seen_flows`). */
  get seen(): number {
    return this.nextSeq;
  }

  /** Flows held now (Hubble's `num_flows`). */
  get size(): number {
    return Math.min(this.nextSeq, this.capacity);
  }

  push(rec: FlowRecord): SequencedRecord {
    const entry: SequencedRecord = { ...rec, seq: this.nextSeq };
    this.ring[this.nextSeq % this.capacity] = entry;
    this.nextSeq += 1;
    for (const f of this.followers) f(entry);
    return entry;
  }

  /** Held flows, oldest first, as of this call; `lastSeq` is where following picks up. */
  snapshot(): { records: SequencedRecord[]; lastSeq: number } {
    const records: SequencedRecord[] = [];
    for (let s = this.nextSeq - this.size; s < this.nextSeq; s++) {
      const r = this.ring[s % this.capacity];
      if (r) records.push(r);
    }
    return { records, lastSeq: this.nextSeq - 1 };
  }

  follow(f: Follower): () => void {
    this.followers.add(f);
    return () => this.followers.delete(f);
  }

  get followerCount(): number {
    return this.followers.size;
  }
}
