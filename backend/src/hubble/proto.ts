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
