// The grpc-js client of driftguard.v1.AgentService, with credentials from files.
// ReportRequest may be given pre-encoded (a Buffer): batches are assembled from the spool's
// encoded findings without decoding them again.
import * as fs from "node:fs";
import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";

import { serviceDefinition } from "../api/apiProto";
import { errorMessage } from "../util/errorMessage";

export interface CollectorConnection {
  /** host:port of the collector. */
  address: string;
  /** PEM of the collector's CA; required unless insecure. */
  caFile?: string;
  /** The agent's certificate and key (mTLS). */
  certFile?: string;
  keyFile?: string;
  /** The pod's projected ServiceAccount token, sent with every stream (the kubelet rotates it). */
  tokenFile?: string;
  /** Plaintext, for local trials only. */
  insecure?: boolean;
}

/** What the files held when read. */
export interface CredentialFiles {
  ca?: Buffer;
  key?: Buffer;
  cert?: Buffer;
  token?: string;
}

export type AgentServiceClient = grpc.Client & {
  Report(metadata?: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<Buffer | object, object>;
};

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // A dead collector or a broken path is noticed within ~15 s even without traffic.
  "grpc.keepalive_time_ms": 10_000,
  "grpc.keepalive_timeout_ms": 5_000,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.max_receive_message_length": 4 << 20,
  "grpc.initial_reconnect_backoff_ms": 200,
  "grpc.max_reconnect_backoff_ms": 5_000,
};

/** Reads the connection's files; throws naming the one that cannot be read. */
export function readCredentialFiles(c: CollectorConnection): CredentialFiles {
  const files: CredentialFiles = {};
  if (c.tokenFile) {
    files.token = readFile(c.tokenFile, "collector token").toString("utf8").trim();
    if (!files.token) throw new Error(`the collector token file ${c.tokenFile} is empty`);
  }
  if (c.insecure) return files;
  if (!c.caFile || !c.certFile || !c.keyFile) {
    throw new Error(
      "the collector connection needs --collector-ca, --agent-cert and --agent-key (or --collector-insecure)",
    );
  }
  files.ca = readFile(c.caFile, "collector CA");
  files.key = readFile(c.keyFile, "agent key");
  files.cert = readFile(c.certFile, "agent certificate");
  return files;
}

export function collectorCredentials(files: CredentialFiles): grpc.ChannelCredentials {
  if (!files.ca) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(files.ca, files.key, files.cert);
}

export function createAgentClient(
  c: CollectorConnection,
  files: CredentialFiles = readCredentialFiles(c),
): AgentServiceClient {
  const definition = serviceDefinition("AgentService");
  const encode = definition.Report.requestSerialize;
  definition.Report = {
    ...definition.Report,
    requestSerialize: (value: object) => (Buffer.isBuffer(value) ? value : encode(value)),
  };
  const Client = grpc.makeGenericClientConstructor(definition, "AgentService");
  return new Client(c.address, collectorCredentials(files), CHANNEL_OPTIONS) as unknown as AgentServiceClient;
}

/** The metadata a Report stream carries: the agent's token, when it has one. */
export function reportMetadata(files: CredentialFiles): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (files.token) metadata.set("authorization", `Bearer ${files.token}`);
  return metadata;
}

/** A ReportRequest{batch} from encoded Finding messages. */
export function encodeBatchRequest(batchId: number, findings: Uint8Array[]): Buffer {
  const w = protobuf.Writer.create();
  w.uint32((2 << 3) | 2).fork(); // ReportRequest.batch
  w.uint32((1 << 3) | 0).uint64(batchId); // FindingBatch.batch_id
  for (const finding of findings) w.uint32((2 << 3) | 2).bytes(finding); // FindingBatch.findings
  w.ldelim();
  return Buffer.from(w.finish());
}

function readFile(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new Error(`cannot read the ${what} ${file}: ${errorMessage(error)}`);
  }
}
