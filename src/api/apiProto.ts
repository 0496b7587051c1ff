// Loads the driftguard.v1 API (src/api/driftguard/v1/*.proto) with protobufjs at run time
// and builds grpc-js service definitions from it. tsc does not copy .proto files, so they
// are looked up next to this module and in the source tree relative to dist/.
//
// Deserializers never throw: bytes that are not a valid message become a MalformedMessage,
// which handlers answer with INVALID_ARGUMENT (grpc-js would answer INTERNAL otherwise).
import * as fs from "node:fs";
import * as path from "node:path";
import type * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { errorMessage } from "../util/errorMessage";
import { fromPackageRoot } from "../util/packageRoot";

const PROTO_FILES = [
  "driftguard/v1/finding.proto",
  "driftguard/v1/finding_context.proto",
  "driftguard/v1/sample.proto",
  "driftguard/v1/agent_status.proto",
  "driftguard/v1/agent_service.proto",
  "driftguard/v1/finding_service.proto",
];

export const API_PACKAGE = "driftguard.v1";

/** Directories searched for the .proto files, in order. */
export function apiProtoDirCandidates(): string[] {
  return [__dirname, fromPackageRoot("src", "api")];
}

export function apiProtoDir(): string {
  const tried = apiProtoDirCandidates();
  const found = tried.find((dir) => fs.existsSync(path.join(dir, PROTO_FILES[0])));
  if (found === undefined) throw new Error(`driftguard API .proto files not found; tried: ${tried.join(", ")}`);
  return found;
}

let cached: protobuf.Root | undefined;

/** The parsed API, camelCase field names. Parsed once. */
export function apiRoot(): protobuf.Root {
  if (cached) return cached;
  const dir = apiProtoDir();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(dir, target));
  root.loadSync(PROTO_FILES.map((f) => path.join(dir, f)));
  root.resolveAll();
  cached = root;
  return root;
}

export function apiType(name: string): protobuf.Type {
  return apiRoot().lookupType(`${API_PACKAGE}.${name}`);
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, arrays: true };

/** A message that could not be decoded; handlers answer INVALID_ARGUMENT. */
export class MalformedMessage {
  constructor(
    readonly type: string,
    readonly reason: string,
  ) {}
}

export function encodeMessage(name: string, value: object): Buffer {
  const type = apiType(name);
  return Buffer.from(type.encode(type.fromObject(value)).finish());
}

export function decodeMessage<T>(name: string, data: Uint8Array): T {
  const type = apiType(name);
  return type.toObject(type.decode(data), TO_OBJECT) as T;
}

/** Decodes, or returns a MalformedMessage: never throws. */
export function tryDecode<T>(name: string, data: Uint8Array): T | MalformedMessage {
  try {
    return decodeMessage<T>(name, data);
  } catch (error) {
    return new MalformedMessage(name, errorMessage(error));
  }
}

/** A grpc-js service definition for driftguard.v1.<service>, built from the proto. */
export function serviceDefinition(service: string): Record<string, grpc.MethodDefinition<object, object>> {
  const svc = apiRoot().lookupService(`${API_PACKAGE}.${service}`);
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of svc.methodsArray) {
    method.resolve();
    const requestName = method.resolvedRequestType!.name;
    const responseName = method.resolvedResponseType!.name;
    definition[method.name] = {
      path: `/${API_PACKAGE}.${service}/${method.name}`,
      requestStream: !!method.requestStream,
      responseStream: !!method.responseStream,
      requestSerialize: (value: object) => encodeMessage(requestName, value),
      requestDeserialize: (data: Buffer) => tryDecode(requestName, data),
      responseSerialize: (value: object) => encodeMessage(responseName, value),
      responseDeserialize: (data: Buffer) => decodeMessage(responseName, data),
      originalName: method.name,
    };
  }
  return definition;
}
