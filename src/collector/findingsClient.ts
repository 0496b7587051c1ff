// A FindingService client for `driftguard findings` and the tests: bearer token or client
// certificate, over TLS verified with the collector's CA (or plaintext with insecure).
import * as fs from "node:fs";
import * as grpc from "@grpc/grpc-js";

import { serviceDefinition } from "../api/apiProto";
import type { GetSampleRequest, GetSampleResponse } from "../api/sampleTypes";
import type {
  GetFindingRequest,
  GetFindingResponse,
  ListFindingsRequest,
  ListFindingsResponse,
  ListGroupsRequest,
  ListGroupsResponse,
  UpdateTriageBulkRequest,
  UpdateTriageBulkResponse,
  UpdateTriageRequest,
  UpdateTriageResponse,
  WatchFindingsRequest,
  WatchFindingsResponse,
} from "../api/types";
import type { ListAgentsResponse } from "../api/agentTypes";
import { errorMessage } from "../util/errorMessage";

export interface FindingsClientOptions {
  address: string;
  caFile?: string;
  token?: string;
  certFile?: string;
  keyFile?: string;
  insecure?: boolean;
  /** Deadline of unary calls. Default 30 s. */
  timeoutMs?: number;
}

type UnaryMethod = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: object) => void,
) => void;

export class FindingsClient {
  private readonly client: grpc.Client & Record<string, unknown>;
  private readonly metadata = new grpc.Metadata();

  constructor(private readonly o: FindingsClientOptions) {
    const Client = grpc.makeGenericClientConstructor(serviceDefinition("FindingService"), "FindingService");
    // The collector sends up to 16 MiB (a finding with its long triage history); pages are ~2 MiB.
    const options = { "grpc.max_receive_message_length": 16 << 20 };
    this.client = new Client(o.address, credentials(o), options) as grpc.Client & Record<string, unknown>;
    if (o.token) this.metadata.set("authorization", `Bearer ${o.token}`);
  }

  list(request: Partial<ListFindingsRequest>): Promise<ListFindingsResponse> {
    return this.unary("ListFindings", request);
  }

  get(request: GetFindingRequest): Promise<GetFindingResponse> {
    return this.unary("GetFinding", request);
  }

  updateTriage(request: UpdateTriageRequest): Promise<UpdateTriageResponse> {
    return this.unary("UpdateTriage", request);
  }

  updateTriageBulk(request: Partial<UpdateTriageBulkRequest>): Promise<UpdateTriageBulkResponse> {
    return this.unary("UpdateTriageBulk", request);
  }

  listGroups(request: Partial<ListGroupsRequest>): Promise<ListGroupsResponse> {
    return this.unary("ListGroups", request);
  }

  listAgents(): Promise<ListAgentsResponse> {
    return this.unary("ListAgents", {});
  }

  watch(request: Partial<WatchFindingsRequest>): grpc.ClientReadableStream<WatchFindingsResponse> {
    const method = this.client.WatchFindings as (
      r: object,
      m: grpc.Metadata,
    ) => grpc.ClientReadableStream<WatchFindingsResponse>;
    return method.call(this.client, request, this.metadata);
  }

  /** GetSample: the sample's chunks, in order (admins only). */
  sample(request: GetSampleRequest): grpc.ClientReadableStream<GetSampleResponse> {
    const method = this.client.GetSample as (
      r: object,
      m: grpc.Metadata,
    ) => grpc.ClientReadableStream<GetSampleResponse>;
    return method.call(this.client, request, this.metadata);
  }

  close(): void {
    this.client.close();
  }

  private unary<T>(name: string, request: object): Promise<T> {
    const method = this.client[name] as UnaryMethod;
    const deadline = Date.now() + (this.o.timeoutMs ?? 30_000);
    return new Promise((resolve, reject) =>
      method.call(this.client, request, this.metadata, { deadline }, (error, response) =>
        error ? reject(error) : resolve(response as T),
      ),
    );
  }
}

function credentials(o: FindingsClientOptions): grpc.ChannelCredentials {
  if (o.insecure) return grpc.credentials.createInsecure();
  if (!o.caFile) throw new Error("--ca is needed to verify the collector (or --insecure for a local trial)");
  const read = (file: string, what: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (error) {
      throw new Error(`cannot read the ${what} ${file}: ${errorMessage(error)}`);
    }
  };
  const ca = read(o.caFile, "collector CA");
  if (o.certFile && o.keyFile)
    return grpc.credentials.createSsl(ca, read(o.keyFile, "key"), read(o.certFile, "certificate"));
  return grpc.credentials.createSsl(ca);
}
