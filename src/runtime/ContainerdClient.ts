// A small containerd gRPC client: the calls the runtime watcher needs, over the unix socket.
// Messages are encoded with protobufjs from src/runtime/proto (see containerdProto.ts).
import * as grpc from "@grpc/grpc-js";

import { codec } from "./containerdProto";
import { decodeEnvelope, type ContainerdEvent, type RawEnvelope } from "./containerdEvents";
import { ContainerdError } from "./ContainerdError";

export const DEFAULT_CONTAINERD_ADDRESS = "unix:///run/containerd/containerd.sock";
const DEFAULT_CALL_TIMEOUT_MS = 10_000;
// containerd namespaces every request by this header (namespaces.GRPCHeader in containerd).
const NAMESPACE_HEADER = "containerd-namespace";

export interface ContainerdClientOptions {
  /** "unix:///path", or a plain socket path. Default unix:///run/containerd/containerd.sock. */
  address?: string;
  /** Deadline of each unary call. Default 10 s. */
  callTimeoutMs?: number;
}

export interface ContainerdContainer {
  id: string;
  labels: Record<string, string>;
  image: string;
  runtime: string;
  /** The OCI spec as containerd stores it: an Any whose value is JSON. */
  spec?: { typeUrl: string; value: Buffer };
  snapshotter: string;
  snapshotKey: string;
}

export type TaskStatus = "UNKNOWN" | "CREATED" | "RUNNING" | "STOPPED" | "PAUSED" | "PAUSING";

export interface ContainerdTask {
  containerId: string;
  /** Process id within the task: the container id for the init process. */
  id: string;
  pid: number;
  status: TaskStatus;
}

export interface SnapshotMount {
  type: string;
  source: string;
  options: string[];
}

export interface SnapshotInfo {
  name: string;
  /** "" for a snapshot without parent. */
  parent: string;
  kind: "UNKNOWN" | "VIEW" | "ACTIVE" | "COMMITTED";
}

export interface ContainerdImage {
  name: string;
  /** Digest of the manifest or index the name points at. */
  digest: string;
  mediaType: string;
}

export interface EventHandlers {
  event(event: ContainerdEvent): void;
  /** A known payload that failed to decode; the stream goes on. */
  malformed(error: Error, topic: string): void;
  /** The stream ended (containerd went away or closed it). Not called after cancel(). */
  end(error: ContainerdError): void;
}

export interface EventSubscription {
  cancel(): void;
}

// Shapes protobufjs decodes into (snake_case as in the .proto files, defaults filled in).
interface RawContainer {
  id: string;
  labels: Record<string, string>;
  image: string;
  runtime?: { name: string } | null;
  spec?: { type_url: string; value: Uint8Array } | null;
  snapshotter: string;
  snapshot_key: string;
}
interface RawProcess {
  container_id: string;
  id: string;
  pid: number;
  status: TaskStatus;
}

// The RPCs used, with their message types (containerd names them without a common pattern).
const RPCS = {
  "Containers.Get": rpc("containers.v1.Containers", "Get", "GetContainerRequest", "GetContainerResponse"),
  "Containers.List": rpc("containers.v1.Containers", "List", "ListContainersRequest", "ListContainersResponse"),
  "Tasks.Get": rpc("tasks.v1.Tasks", "Get", "GetRequest", "GetResponse"),
  "Tasks.List": rpc("tasks.v1.Tasks", "List", "ListTasksRequest", "ListTasksResponse"),
  "Tasks.Kill": rpc("tasks.v1.Tasks", "Kill", "KillRequest", "KillResponse"),
  "Snapshots.Mounts": rpc("snapshots.v1.Snapshots", "Mounts", "MountsRequest", "MountsResponse"),
  "Snapshots.Stat": rpc("snapshots.v1.Snapshots", "Stat", "StatSnapshotRequest", "StatSnapshotResponse"),
  "Images.Get": rpc("images.v1.Images", "Get", "GetImageRequest", "GetImageResponse"),
  "Events.Subscribe": rpc("events.v1.Events", "Subscribe", "SubscribeRequest", "Envelope"),
};
type RpcName = keyof typeof RPCS;

function rpc(service: string, method: string, request: string, response: string) {
  const pkg = `containerd.services.${service.slice(0, service.lastIndexOf("."))}`;
  return {
    path: `/containerd.services.${service}/${method}`,
    request: `${pkg}.${request}`,
    response: `${pkg}.${response}`,
  };
}

/** Accepts "unix:///path" or "/path" and returns the grpc-js target. */
export function grpcTarget(address: string): string {
  return address.startsWith("/") ? `unix://${address}` : address;
}

export class ContainerdClient {
  readonly address: string;
  private readonly client: grpc.Client;
  private readonly callTimeoutMs: number;

  constructor(options: ContainerdClientOptions = {}) {
    this.address = options.address ?? DEFAULT_CONTAINERD_ADDRESS;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.client = new grpc.Client(grpcTarget(this.address), grpc.credentials.createInsecure(), {
      // A node with hundreds of containers returns specs of ~10 KB each in one List.
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
      "grpc.initial_reconnect_backoff_ms": 200,
      "grpc.max_reconnect_backoff_ms": 2000,
    });
  }

  /** Resolves once the socket is connected; rejects with UNAVAILABLE after timeoutMs. */
  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + timeoutMs, (error) => {
        if (!error) return resolve();
        reject(new ContainerdError("connect", "", grpc.status.UNAVAILABLE, this.address, error.message));
      });
    });
  }

  async listContainers(namespace: string): Promise<ContainerdContainer[]> {
    const res = await this.unary<{ containers: RawContainer[] }>("Containers.List", namespace, {});
    return res.containers.map(toContainer);
  }

  async getContainer(namespace: string, id: string): Promise<ContainerdContainer> {
    const res = await this.unary<{ container: RawContainer | null }>("Containers.Get", namespace, { id });
    if (!res.container) {
      throw new ContainerdError("Containers.Get", namespace, grpc.status.NOT_FOUND, this.address, `no container ${id}`);
    }
    return toContainer(res.container);
  }

  /** The init process of every task in the namespace (stopped ones included). */
  async listTasks(namespace: string): Promise<ContainerdTask[]> {
    const res = await this.unary<{ tasks: RawProcess[] }>("Tasks.List", namespace, {});
    return res.tasks.map(toTask);
  }

  async getTask(namespace: string, containerId: string): Promise<ContainerdTask> {
    const res = await this.unary<{ process: RawProcess | null }>("Tasks.Get", namespace, {
      container_id: containerId,
    });
    if (!res.process) {
      throw new ContainerdError("Tasks.Get", namespace, grpc.status.NOT_FOUND, this.address, `no task ${containerId}`);
    }
    return toTask(res.process);
  }

  /** Sends `signal` to every process of the container's task, as `ctr task kill --all` does. */
  async killTask(namespace: string, containerId: string, signal: number): Promise<void> {
    await this.unary("Tasks.Kill", namespace, { container_id: containerId, signal, all: true });
  }

  async snapshotMounts(namespace: string, snapshotter: string, key: string): Promise<SnapshotMount[]> {
    const res = await this.unary<{ mounts: SnapshotMount[] }>("Snapshots.Mounts", namespace, {
      snapshotter,
      key,
    });
    return res.mounts.map(({ type, source, options }) => ({ type, source, options }));
  }

  async statSnapshot(namespace: string, snapshotter: string, key: string): Promise<SnapshotInfo> {
    const res = await this.unary<{ info: SnapshotInfo | null }>("Snapshots.Stat", namespace, {
      snapshotter,
      key,
    });
    if (!res.info) {
      throw new ContainerdError("Snapshots.Stat", namespace, grpc.status.NOT_FOUND, this.address, `no snapshot ${key}`);
    }
    return { name: res.info.name, parent: res.info.parent, kind: res.info.kind };
  }

  async getImage(namespace: string, name: string): Promise<ContainerdImage> {
    type RawImage = { name: string; target?: { media_type: string; digest: string } | null };
    const res = await this.unary<{ image: RawImage | null }>("Images.Get", namespace, { name });
    if (!res.image) {
      throw new ContainerdError("Images.Get", namespace, grpc.status.NOT_FOUND, this.address, `no image ${name}`);
    }
    return {
      name: res.image.name,
      digest: res.image.target?.digest ?? "",
      mediaType: res.image.target?.media_type ?? "",
    };
  }

  /**
   * Streams events of all namespaces matching any filter (containerd filter syntax, e.g.
   * `namespace=="k8s.io"`). No deadline: the stream lives until cancel() or containerd goes.
   */
  subscribe(filters: string[], handlers: EventHandlers): EventSubscription {
    const { path, request: requestType, response: responseType } = RPCS["Events.Subscribe"];
    const request = codec<unknown>(requestType);
    const envelope = codec<RawEnvelope>(responseType);
    const call = this.client.makeServerStreamRequest(
      path,
      request.serialize,
      envelope.deserialize,
      { filters },
      new grpc.Metadata(),
    );
    let done = false;
    const finish = (error: ContainerdError): void => {
      if (done) return;
      done = true;
      handlers.end(error);
    };
    call.on("data", (raw: RawEnvelope) => {
      let event: ContainerdEvent;
      try {
        event = decodeEnvelope(raw);
      } catch (err) {
        handlers.malformed(err instanceof Error ? err : new Error(String(err)), raw.topic);
        return;
      }
      handlers.event(event);
    });
    call.on("error", (err) => finish(ContainerdError.wrap("Events.Subscribe", "", this.address, err)));
    // containerd never ends the stream on its own while it runs; an OK end means it shut down.
    call.on("end", () =>
      finish(new ContainerdError("Events.Subscribe", "", grpc.status.UNAVAILABLE, this.address, "event stream ended")),
    );
    return {
      cancel: () => {
        done = true;
        call.cancel();
      },
    };
  }

  close(): void {
    this.client.close();
  }

  private unary<Res>(name: RpcName, namespace: string, request: object): Promise<Res> {
    const { path, request: requestType, response: responseType } = RPCS[name];
    const req = codec<unknown>(requestType);
    const res = codec<Res>(responseType);
    const metadata = new grpc.Metadata();
    metadata.set(NAMESPACE_HEADER, namespace);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        path,
        req.serialize,
        res.deserialize,
        request,
        metadata,
        { deadline: Date.now() + this.callTimeoutMs },
        (err, value) => {
          if (err || value === undefined) return reject(ContainerdError.wrap(name, namespace, this.address, err));
          resolve(value);
        },
      );
    });
  }
}

function toContainer(raw: RawContainer): ContainerdContainer {
  return {
    id: raw.id,
    labels: raw.labels ?? {},
    image: raw.image,
    runtime: raw.runtime?.name ?? "",
    spec: raw.spec ? { typeUrl: raw.spec.type_url, value: Buffer.from(raw.spec.value) } : undefined,
    snapshotter: raw.snapshotter,
    snapshotKey: raw.snapshot_key,
  };
}

function toTask(raw: RawProcess): ContainerdTask {
  // Tasks.List in containerd 1.6 leaves container_id empty and puts the container id in id.
  const containerId = raw.container_id || raw.id;
  return { containerId, id: raw.id, pid: raw.pid, status: raw.status };
}
