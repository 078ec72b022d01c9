// Messages between the HubbleClient and its frame worker (frame-worker.ts). Each stream the
// client opens has an id; every message about it carries that id, so a late message from a
// cancelled stream cannot be mistaken for the next one's.
import type * as grpc from '@grpc/grpc-js';

export interface WorkerSetup {
  address: string;
  tls?: { ca?: Uint8Array; cert?: Uint8Array; key?: Uint8Array };
  options: grpc.ChannelOptions;
}

export type ToWorker =
  | { type: 'open'; id: number; request: object }
  | { type: 'cancel'; id: number }
  /** The main thread has handled one batch of this stream. */
  | { type: 'ack'; id: number }
  | { type: 'close' };

export type FromWorker =
  | { type: 'metadata'; id: number }
  /** Encoded frames back to back in `buf`; frame i ends at `ends[i]`. */
  | { type: 'frames'; id: number; buf: ArrayBuffer; ends: Uint32Array }
  | { type: 'error'; id: number; code: number; details: string; message: string }
  | { type: 'end'; id: number };
