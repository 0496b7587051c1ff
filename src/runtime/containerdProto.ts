// Loads the containerd API subset (src/runtime/proto/*.proto) with protobufjs at run time.
// tsc does not copy .proto files, so the directory is looked up next to this module (a
// packaged build may copy it there) and in the source tree relative to dist/.
import * as fs from "node:fs";
import * as path from "node:path";
import protobuf from "protobufjs";
import { fromPackageRoot } from "../util/packageRoot";

const PROTO_FILES = [
  "types.proto",
  "task_types.proto",
  "containers.proto",
  "tasks.proto",
  "snapshots.proto",
  "images.proto",
  "events.proto",
  "event_payloads.proto",
];

/** Directories searched for the .proto files, in order. */
export function protoDirCandidates(): string[] {
  return [
    path.join(__dirname, "proto"), // running from src/ (ts-node) or a build that copied the protos
    fromPackageRoot("src", "runtime", "proto"), // running from dist/src/runtime
  ];
}

/** The directory holding the containerd .proto files; the error lists every path tried. */
export function containerdProtoDir(): string {
  const tried = protoDirCandidates();
  const found = tried.find((dir) => fs.existsSync(path.join(dir, PROTO_FILES[0])));
  if (found === undefined) {
    throw new Error(`containerd .proto files not found; tried: ${tried.join(", ")}. Reinstall driftguard.`);
  }
  return found;
}

let cached: protobuf.Root | undefined;

/** The parsed API (snake_case field names, as in the .proto files). Parsed once. */
export function containerdRoot(): protobuf.Root {
  if (cached) return cached;
  const dir = containerdProtoDir();
  const root = new protobuf.Root();
  // Imports are written relative to the proto dir; google/protobuf/* comes bundled with protobufjs.
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(dir, target));
  root.loadSync(
    PROTO_FILES.map((f) => path.join(dir, f)),
    { keepCase: true },
  );
  root.resolveAll();
  cached = root;
  return root;
}

/** Looks up a message type by its full name, e.g. "containerd.events.TaskExit". */
export function messageType(fullName: string): protobuf.Type {
  return containerdRoot().lookupType(fullName);
}

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
};

export interface Codec<T> {
  serialize: (value: object) => Buffer;
  deserialize: (data: Buffer) => T;
}

const codecs = new Map<string, Codec<unknown>>();

/** A serializer/deserializer pair for grpc-js from a message type (built once per type). */
export function codec<T>(fullName: string): Codec<T> {
  let found = codecs.get(fullName);
  if (!found) {
    const type = messageType(fullName);
    found = {
      serialize: (value) => Buffer.from(type.encode(type.fromObject(value)).finish()),
      deserialize: (data) => type.toObject(type.decode(data), TO_OBJECT),
    };
    codecs.set(fullName, found);
  }
  return found as Codec<T>;
}

/** Decodes raw bytes of a message (an Any's value) into a plain object with defaults. */
export function decodeMessage<T>(fullName: string, data: Uint8Array): T {
  const type = messageType(fullName);
  return type.toObject(type.decode(data), TO_OBJECT) as T;
}
