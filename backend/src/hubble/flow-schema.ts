// The field tables flow-decoder.ts reads GetFlowsResponse by, built once from the same protos/
// proto-loader loads, so a field added there is decoded here too. Only the places wire.ts
// converts get special kinds (times, the reply wrapper, the extensions Any, the loss CPU);
// everything else decodes as plain messages and scalars, as proto-loader's objects do.
import { enumNames, messageDescriptor } from './proto.ts';
import type { FieldDescriptor } from './proto.ts';

export const enum Kind {
  /** A string that recurs across flows (names, labels, addresses): interned. */
  String,
  /** A string unique to its flow (the uuid): interning it would only evict the others. */
  UniqueString,
  Uint32,
  Int32,
  Bool,
  Uint64,
  Int64,
  Enum,
  Bytes,
  Strings,
  Message,
  Messages,
  /** google.protobuf.Timestamp → RFC3339 text. */
  Time,
  /** Flow.time: RFC3339 text, and the nanoseconds kept for the record. */
  FlowTime,
  /** google.protobuf.BoolValue → boolean (false when empty). */
  BoolValue,
  /** google.protobuf.Int32Value → number (undefined when empty). */
  Int32Value,
  /** google.protobuf.Any → { '@type', value: base64 }. */
  Any,
  /** GetFlowsResponse.flow: the flow, its time tracked anew. */
  Flow,
}

export interface Field {
  name: string;
  kind: Kind;
  /** Enum names by number. */
  names?: (string | undefined)[];
  type?: MessageType;
}

export interface MessageType {
  /** The proto's full name, e.g. `flow.Endpoint`. */
  name: string;
  /** Fields by number, for the small numbers most fields have. */
  dense: (Field | undefined)[];
  /** The large numbers (Hubble's policy fields, Summary, extensions). */
  sparse: Map<number, Field>;
  /** Field names in number order: the key order toObject writes. */
  keys: string[];
}

const DENSE_LIMIT = 128;

/** Where wire.ts converts a well-known type, by message and field. */
const SPECIAL: Record<string, Kind> = {
  'observer.GetFlowsResponse.flow': Kind.Flow,
  'observer.GetFlowsResponse.time': Kind.Time,
  'flow.Flow.time': Kind.FlowTime,
  'flow.Flow.is_reply': Kind.BoolValue,
  'flow.Flow.extensions': Kind.Any,
  'flow.LostEvent.cpu': Kind.Int32Value,
};

const UNIQUE = new Set(['flow.Flow.uuid']);

const SCALARS: Record<string, Kind> = {
  TYPE_STRING: Kind.String,
  TYPE_UINT32: Kind.Uint32,
  TYPE_INT32: Kind.Int32,
  TYPE_BOOL: Kind.Bool,
  TYPE_UINT64: Kind.Uint64,
  TYPE_INT64: Kind.Int64,
  TYPE_BYTES: Kind.Bytes,
};

const built = new Map<string, MessageType>();

function build(fullName: string): MessageType {
  const hit = built.get(fullName);
  if (hit) return hit;
  const type: MessageType = { name: fullName, dense: [], sparse: new Map(), keys: [] };
  built.set(fullName, type);
  const fields = [...messageDescriptor(fullName)].sort((a, b) => a.number - b.number);
  for (const fd of fields) {
    const f = fieldOf(fullName, fd);
    if (fd.number < DENSE_LIMIT) type.dense[fd.number] = f;
    else type.sparse.set(fd.number, f);
    type.keys.push(fd.name);
  }
  return type;
}

function fieldOf(owner: string, fd: FieldDescriptor): Field {
  const repeated = fd.label === 'LABEL_REPEATED';
  const special = SPECIAL[`${owner}.${fd.name}`];
  if (special !== undefined) {
    const f: Field = { name: fd.name, kind: special };
    if (fd.typeName) f.type = build(fd.resolvedType);
    return f;
  }
  if (fd.type === 'TYPE_ENUM' && !repeated) {
    return { name: fd.name, kind: Kind.Enum, names: enumNames(fd.resolvedType) };
  }
  if (fd.type === 'TYPE_MESSAGE') {
    return {
      name: fd.name,
      kind: repeated ? Kind.Messages : Kind.Message,
      type: build(fd.resolvedType),
    };
  }
  if (fd.type === 'TYPE_STRING' && repeated) return { name: fd.name, kind: Kind.Strings };
  if (fd.type === 'TYPE_STRING' && UNIQUE.has(`${owner}.${fd.name}`)) {
    return { name: fd.name, kind: Kind.UniqueString };
  }
  const kind = SCALARS[fd.type];
  // Repeated scalars (packed or not) do not occur under GetFlowsResponse; refusing them here
  // keeps a proto change from decoding them wrongly without anyone noticing.
  if (kind === undefined || repeated) {
    throw new Error(`flow-schema: ${owner}.${fd.name} (${fd.label} ${fd.type}) is not supported`);
  }
  return { name: fd.name, kind };
}

export const RESPONSE: MessageType = build('observer.GetFlowsResponse');
