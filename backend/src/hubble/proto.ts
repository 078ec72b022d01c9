// Loads flowlens' own wire-compatible subset of Hubble's protos (protos/) once, and exposes the
// Observer service for both the client and the Hubble-compatible server.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** src/hubble and dist/hubble sit at the same depth, so this resolves from source and build. */
export const PROTO_DIR = fileURLToPath(new URL('../../../protos', import.meta.url));

// Options that make decoded messages look like Hubble's JSON: proto field names, enum names
// (unknown numbers stay numbers), 64-bit integers as strings. `oneofs: false` keeps proto-loader
// from adding virtual discriminator fields that Hubble's JSON does not have; `defaults: false`
// leaves unset fields out, as protojson does.
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: false,
  includeDirs: [PROTO_DIR],
};

let cached: grpc.GrpcObject | undefined;

function load(): grpc.GrpcObject {
  cached ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(['observer/observer.proto'], LOADER_OPTIONS),
  );
  return cached;
}

export interface ObserverServiceConstructor extends grpc.ServiceClientConstructor {
  service: grpc.ServiceDefinition;
}

export function observerService(): ObserverServiceConstructor {
  const observer = load()['observer'] as grpc.GrpcObject;
  return observer['Observer'] as ObserverServiceConstructor;
}

/** Marks a response frame that did not decode; the stream goes on past it. */
export interface UndecodableFrame {
  undecodable: string;
}

let tolerant: grpc.ServiceClientConstructor | undefined;

/**
 * The Observer client with a forgiving GetFlows decoder. grpc-js ends the whole call when a
 * frame fails to decode; one corrupt flow would then cost a reconnect and, since the resume
 * asks for the same flows again, possibly a loop. Instead such a frame arrives as an
 * UndecodableFrame, which the client counts and skips.
 */
export function tolerantObserverClient(): grpc.ServiceClientConstructor {
  if (tolerant) return tolerant;
  const original = observerService().service;
  const getFlows = original['GetFlows'];
  const service: grpc.ServiceDefinition = {
    ...original,
    GetFlows: {
      ...getFlows,
      responseDeserialize: (buf: Buffer): unknown => {
        try {
          return getFlows.responseDeserialize(buf);
        } catch (err) {
          return { undecodable: (err as Error).message } satisfies UndecodableFrame;
        }
      },
    },
  };
  tolerant = grpc.makeGenericClientConstructor(service, 'Observer');
  return tolerant;
}
