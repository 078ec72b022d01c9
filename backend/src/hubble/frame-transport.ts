// GetFlows through a worker thread: the worker runs gRPC and sends the still-encoded frames in
// batches; here they are decoded (flow-decoder.ts) and emitted one by one as the same events a
// grpc-js stream emits, so HubbleClient treats both transports alike.
import { EventEmitter } from 'node:events';
import { Buffer } from 'node:buffer';
import { Worker } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import { decodeFrame } from './flow-decoder.ts';
import type { DecodedFrame } from './flow-decoder.ts';
import type { UndecodableFrame } from './proto.ts';
import type { FromWorker, ToWorker, WorkerSetup } from './frame-protocol.ts';

/** What HubbleClient needs of a GetFlows stream, whichever thread runs it. */
export interface FlowStream {
  on(event: 'metadata', cb: () => void): this;
  on(event: 'data', cb: (msg: DecodedFrame | UndecodableFrame) => void): this;
  on(event: 'error', cb: (err: grpc.ServiceError) => void): this;
  on(event: 'end', cb: () => void): this;
  cancel(): void;
}

function decodeOrMark(buf: Buffer): DecodedFrame | UndecodableFrame {
  try {
    return decodeFrame(buf);
  } catch (err) {
    return { undecodable: (err as Error).message };
  }
}

function startWorker(setup: WorkerSetup): Worker {
  // Built, the worker is a .js file beside this one. From source (tsx, vitest) it is .ts, and a
  // worker does not inherit the parent's loader hooks: it registers tsx's before importing.
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./frame-worker.js', import.meta.url), { workerData: setup });
  }
  const href = new URL('./frame-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(href)}); });`;
  return new Worker(boot, { eval: true, workerData: setup });
}

class WorkerStream extends EventEmitter implements FlowStream {
  constructor(
    private readonly transport: FrameTransport,
    readonly id: number,
  ) {
    super();
  }

  cancel(): void {
    this.transport.cancel(this.id);
  }
}

export class FrameTransport {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly streams = new Map<number, WorkerStream>();

  constructor(private readonly setup: WorkerSetup) {}

  open(request: object): FlowStream {
    const worker = (this.worker ??= this.spawn());
    const stream = new WorkerStream(this, this.nextId++);
    this.streams.set(stream.id, stream);
    this.send(worker, { type: 'open', id: stream.id, request });
    return stream;
  }

  /** Cancels a stream; nothing more is emitted for it, not even the cancellation error. */
  cancel(id: number): void {
    if (!this.streams.delete(id)) return;
    if (this.worker) this.send(this.worker, { type: 'cancel', id });
  }

  close(): void {
    const worker = this.worker;
    this.worker = undefined;
    this.streams.clear();
    if (worker) void worker.terminate();
  }

  private send(worker: Worker, m: ToWorker): void {
    worker.postMessage(m);
  }

  private spawn(): Worker {
    const worker = startWorker(this.setup);
    worker.on('message', (m: FromWorker) => this.receive(worker, m));
    // A worker that dies takes its streams with it: they fail like a dropped connection, and
    // the client's next attempt starts a new worker.
    const fail = (message: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const streams = [...this.streams.values()];
      this.streams.clear();
      for (const s of streams) {
        const err = Object.assign(new Error(message), {
          code: grpc.status.UNAVAILABLE,
          details: message,
          metadata: new grpc.Metadata(),
        });
        s.emit('error', err);
      }
    };
    worker.on('error', (err) => fail(`frame worker failed: ${err.message}`));
    worker.on('exit', (code) => fail(`frame worker exited with code ${code}`));
    return worker;
  }

  private receive(worker: Worker, m: FromWorker): void {
    const stream = this.streams.get(m.id);
    if (!stream) return;
    switch (m.type) {
      case 'metadata':
        stream.emit('metadata');
        return;
      case 'frames': {
        let start = 0;
        for (let i = 0; i < m.ends.length; i++) {
          const end = m.ends[i]!;
          stream.emit('data', decodeOrMark(Buffer.from(m.buf, start, end - start)));
          start = end;
          // The consumer may have cancelled this stream while handling a frame.
          if (!this.streams.has(m.id)) return;
        }
        this.send(worker, { type: 'ack', id: m.id });
        return;
      }
      case 'error': {
        this.streams.delete(m.id);
        const err = Object.assign(new Error(m.message), {
          code: m.code,
          details: m.details,
          metadata: new grpc.Metadata(),
        });
        stream.emit('error', err);
        return;
      }
      case 'end':
        this.streams.delete(m.id);
        stream.emit('end');
        return;
    }
  }
}
