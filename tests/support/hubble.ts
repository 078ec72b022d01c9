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
