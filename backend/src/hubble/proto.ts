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

let definition: protoLoader.PackageDefinition | undefined;
let cached: grpc.GrpcObject | undefined;

function loadDefinition(): protoLoader.PackageDefinition {
  definition ??= protoLoader.loadSync(['observer/observer.proto'], LOADER_OPTIONS);
  return definition;
}

function load(): grpc.GrpcObject {
  cached ??= grpc.loadPackageDefinition(loadDefinition());
  return cached;
}

interface EnumValueDescriptor {
  name: string;
  number: number;
}

interface EnumDescriptor {
  name: string;
  value: EnumValueDescriptor[];
}

/** A message field as protos/ declares it, with its message or enum type's full name. */
export interface FieldDescriptor {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName: string;
  resolvedType: string;
}

interface Described {
  type?: { field?: Omit<FieldDescriptor, 'resolvedType'>[]; value?: EnumValueDescriptor[] };
}

function nestedEnum(fullName: string): EnumDescriptor | undefined {
  const dot = fullName.lastIndexOf('.');
  const parent = loadDefinition()[fullName.slice(0, dot)] as
    { type?: { enumType?: EnumDescriptor[] } } | undefined;
  return parent?.type?.enumType?.find((e) => e.name === fullName.slice(dot + 1));
}

/** Resolves a type name as protoc does: the innermost enclosing scope that declares it. */
function resolveType(scope: string, typeName: string): string {
  const def = loadDefinition();
  for (let s = scope; s !== ''; s = s.slice(0, Math.max(0, s.lastIndexOf('.')))) {
    const name = `${s}.${typeName}`;
    if (def[name] || nestedEnum(name)) return name;
  }
  if (def[typeName] || nestedEnum(typeName)) return typeName;
  throw new Error(`protos/: ${scope} refers to an unknown type ${typeName}`);
}

/** The fields of a message in protos/ (for the hand-written GetFlows decoder). */
export function messageDescriptor(fullName: string): FieldDescriptor[] {
  const d = loadDefinition()[fullName] as Described | undefined;
  const fields = d?.type?.field;
  if (!fields) throw new Error(`messageDescriptor: no message ${fullName} in protos/`);
  return fields.map((f) => ({
    ...f,
    resolvedType: f.typeName ? resolveType(fullName, f.typeName) : '',
  }));
}

/**
 * An enum's names by number, read from protos/ so the hand-written decoder and proto-loader
 * agree on every name: `flow.Verdict`, or `flow.Tunnel.Protocol` for an enum inside a message.
 */
export function enumNames(fullName: string): (string | undefined)[] {
  const own = loadDefinition()[fullName] as Described | undefined;
  const values = own?.type?.value ?? nestedEnum(fullName)?.value;
  if (!values) throw new Error(`enumNames: no enum ${fullName} in protos/`);
  const names: (string | undefined)[] = [];
  // The last name wins for an aliased number, as in protobufjs' number-to-name table.
  for (const v of values) if (v.number >= 0) names[v.number] = v.name;
  return names;
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

const tolerant = new Map<(buf: Buffer) => unknown, grpc.ServiceClientConstructor>();

/**
 * The Observer client with a forgiving GetFlows decoder. grpc-js ends the whole call when a
 * frame fails to decode; one corrupt flow would then cost a reconnect and, since the resume
 * asks for the same flows again, possibly a loop. Instead such a frame arrives as an
 * UndecodableFrame, which the client counts and skips. `decode` replaces proto-loader's
 * decoder for GetFlows responses (the client passes flow-decoder's).
 */
export function tolerantObserverClient(
  decode?: (buf: Buffer) => unknown,
): grpc.ServiceClientConstructor {
  const original = observerService().service;
  const getFlows = original['GetFlows'];
  const deserialize = decode ?? getFlows.responseDeserialize;
  const hit = tolerant.get(deserialize);
  if (hit) return hit;
  const service: grpc.ServiceDefinition = {
    ...original,
    GetFlows: {
      ...getFlows,
      responseDeserialize: (buf: Buffer): unknown => {
        try {
          return deserialize(buf);
        } catch (err) {
          return { undecodable: (err as Error).message } satisfies UndecodableFrame;
        }
      },
    },
  };
  const ctor = grpc.makeGenericClientConstructor(service, 'Observer');
  tolerant.set(deserialize, ctor);
  return ctor;
}
