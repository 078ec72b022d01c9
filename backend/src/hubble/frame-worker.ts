// The worker side of the off-thread GetFlows transport (frame-transport.ts): it owns one gRPC
// channel, runs the streams the main thread asks for, and hands their response frames over in
// batches, still encoded, in one transferred buffer. grpc-js' per-message work (HTTP/2 frames,
// message framing, stream events) then runs beside the pipeline instead of in front of it;
// decoding stays on the main thread, where the objects are needed, because structured clone
// of decoded flows costs more than decoding them.
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import { tolerantObserverClient } from './proto.ts';
import type { FromWorker, ToWorker, WorkerSetup } from './frame-protocol.ts';

/** Frames per batch: big enough to amortise a postMessage, small enough to stay fresh. */
const BATCH_FRAMES = 256;
/** How long a frame may wait for its batch to fill. */
const FLUSH_MS = 4;
/** Batches the main thread may hold unprocessed before the stream is paused (back-pressure). */
const MAX_UNACKED = 8;

const port = parentPort as MessagePort;
const setup = workerData as WorkerSetup;

function credentials(): grpc.ChannelCredentials {
  const tls = setup.tls;
  if (!tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(
    tls.ca ? Buffer.from(tls.ca) : null,
    tls.key ? Buffer.from(tls.key) : null,
    tls.cert ? Buffer.from(tls.cert) : null,
  );
}

// Frames stay bytes here: the tolerant client's decoder is the identity.
const Observer = tolerantObserverClient((buf) => buf);
const client = new Observer(setup.address, credentials(), setup.options);
const getFlows = (client as unknown as Record<string, unknown>)['GetFlows'] as (
  req: object,
) => grpc.ClientReadableStream<Buffer>;

const post = (m: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);

interface Running {
  call: grpc.ClientReadableStream<Buffer>;
  unacked: number;
  paused: boolean;
}

const calls = new Map<number, Running>();

function open(id: number, request: object): void {
  const call = getFlows.call(client, request);
  const run: Running = { call, unacked: 0, paused: false };
  calls.set(id, run);
  let batch: Buffer[] = [];
  let bytes = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (batch.length === 0) return;
    const buf = new ArrayBuffer(bytes);
    const view = new Uint8Array(buf);
    const ends = new Uint32Array(batch.length);
    let at = 0;
    for (let i = 0; i < batch.length; i++) {
      view.set(batch[i]!, at);
      at += batch[i]!.length;
      ends[i] = at;
    }
    batch = [];
    bytes = 0;
    post({ type: 'frames', id, buf, ends }, [buf, ends.buffer]);
    run.unacked += 1;
    if (run.unacked >= MAX_UNACKED && !run.paused) {
      run.paused = true;
      call.pause();
    }
  };
  call.on('metadata', () => post({ type: 'metadata', id }));
  call.on('data', (frame: Buffer) => {
    batch.push(frame);
    bytes += frame.length;
    if (batch.length >= BATCH_FRAMES) flush();
    else if (!scheduled) {
      // A quiet stream still delivers each frame within a few milliseconds; waiting that long
      // lets a busy one fill its batches, and each batch costs a message both ways.
      scheduled = true;
      setTimeout(flush, FLUSH_MS);
    }
  });
  call.on('error', (err: grpc.ServiceError) => {
    flush();
    calls.delete(id);
    post({ type: 'error', id, code: err.code, details: err.details, message: err.message });
  });
  call.on('end', () => {
    flush();
    calls.delete(id);
    post({ type: 'end', id });
  });
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'open') open(m.id, m.request);
  else if (m.type === 'cancel') calls.get(m.id)?.call.cancel();
  else if (m.type === 'ack') {
    const run = calls.get(m.id);
    if (!run) return;
    run.unacked -= 1;
    if (run.paused && run.unacked < MAX_UNACKED / 2) {
      run.paused = false;
      run.call.resume();
    }
  } else if (m.type === 'close') {
    for (const run of calls.values()) run.call.cancel();
    client.close();
    port.close();
  }
});
