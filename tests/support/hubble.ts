// Real gRPC on loopback for tests: flowlens' Hubble-compatible server on port 0 and a plain
// grpc-js Observer client that speaks the wire protocol with no flowlens logic in between.
import * as grpc from '@grpc/grpc-js';
import { observerService } from '../../backend/src/hubble/proto.ts';
import { FlowHistory } from '../../backend/src/hubble/flow-history.ts';
import { HubbleServer } from '../../backend/src/hubble/server.ts';
import type { HubbleServerOptions } from '../../backend/src/hubble/server.ts';
import { responseFromWire } from '../../backend/src/hubble/wire.ts';
import type { FlowsResponse } from '../../backend/src/hubble/types.ts';

export async function startServer(
  history = new FlowHistory(10_000),
  opts: Partial<HubbleServerOptions> = {},
  port = 0,
) {
  const server = new HubbleServer({ history, version: 'test', ...opts });
  const bound = await server.listen('127.0.0.1', port);
  return { server, history, port: bound, address: `127.0.0.1:${bound}` };
}

export function rawClient(address: string): grpc.Client & Record<string, unknown> {
  const Observer = observerService();
  return new Observer(address, grpc.credentials.createInsecure()) as grpc.Client &
    Record<string, unknown>;
}

type StreamFn = (req: object) => grpc.ClientReadableStream<Record<string, unknown>>;

/** Runs a non-following GetFlows to its end and returns every response in Hubble JSON form. */
export function getFlows(client: grpc.Client, req: object): Promise<FlowsResponse[]> {
  return new Promise((resolve, reject) => {
    const out: FlowsResponse[] = [];
    const stream = (client as unknown as Record<string, StreamFn>)['GetFlows'].call(client, req);
    stream.on('data', (m: Record<string, unknown>) => out.push(responseFromWire(m)));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
  });
}

/** Opens a following GetFlows; `responses` fills as they arrive. */
export function followFlows(client: grpc.Client, req: object) {
  const responses: FlowsResponse[] = [];
  const errors: grpc.ServiceError[] = [];
  const stream = (client as unknown as Record<string, StreamFn>)['GetFlows'].call(client, req);
  stream.on('data', (m: Record<string, unknown>) => responses.push(responseFromWire(m)));
  stream.on('error', (e: grpc.ServiceError) => errors.push(e));
  return { responses, errors, cancel: () => stream.cancel() };
}

export function unary<T>(client: grpc.Client, method: string, req: object = {}): Promise<T> {
  type Fn = (r: object, cb: (e: grpc.ServiceError | null, res: T) => void) => void;
  return new Promise((resolve, reject) => {
    (client as unknown as Record<string, Fn>)[method].call(client, req, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

/** A GetFlowsResponse in wire bytes, as a server would send it (or a test would corrupt it). */
export function encodeResponse(res: object): Buffer {
  return observerService().service['GetFlows']!.responseSerialize(res) as Buffer;
}

/**
 * An Observer server that answers every GetFlows with these exact frames and then stays open,
 * as a following Relay does: for frames flowlens' own server would never send.
 */
export async function startFrameServer(frames: readonly Buffer[]) {
  const def = observerService().service;
  const getFlows = def['GetFlows']!;
  const server = new grpc.Server();
  server.addService(
    { ...def, GetFlows: { ...getFlows, responseSerialize: (b: Buffer) => b } },
    {
      GetFlows: (call: grpc.ServerWritableStream<unknown, Buffer>) => {
        for (const f of frames) call.write(f);
      },
    },
  );
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? rej(e) : res(p),
    ),
  );
  return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}
