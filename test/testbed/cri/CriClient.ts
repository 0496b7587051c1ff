// A CRI v1 client (cri_v1.proto) over containerd's socket: what the kubelet calls to run
// pods. Unary calls only; errors carry the RPC's name and containerd's message.
import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";

import { fromPackageRoot } from "../../../src/util/packageRoot";

// tsc does not copy the .proto: read it from the source tree.
const PROTO = fromPackageRoot("test", "testbed", "cri", "cri_v1.proto");
const CALL_TIMEOUT_MS = 60_000;

let root: protobuf.Root | undefined;
function criRoot(): protobuf.Root {
  root ??= protobuf.loadSync(PROTO);
  return root;
}

export interface CriMount {
  container_path: string;
  host_path: string;
  readonly?: boolean;
}

export interface CriContainerStatus {
  id: string;
  state: number; // 0 created, 1 running, 2 exited
  exitCode: number;
  logPath: string;
  pid: number;
}

export interface ExecSyncResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CriClient {
  private readonly client: grpc.Client;

  constructor(socket: string) {
    this.client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
  }

  close(): void {
    this.client.close();
  }

  /** One RuntimeService RPC, with protobufjs doing the (camelCase) encoding. */
  call<T>(method: string, request: object, timeoutMs = CALL_TIMEOUT_MS): Promise<T> {
    const requestType = criRoot().lookupType(`runtime.v1.${method}Request`);
    const responseType = criRoot().lookupType(`runtime.v1.${method}Response`);
    const problem = requestType.verify(request);
    if (problem) return Promise.reject(new Error(`CRI ${method}: bad request: ${problem}`));
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        `/runtime.v1.RuntimeService/${method}`,
        (value: object) => Buffer.from(requestType.encode(requestType.fromObject(value)).finish()),
        (data: Buffer) =>
          responseType.toObject(responseType.decode(data), { longs: Number, defaults: true, bytes: Buffer }) as T,
        request,
        { deadline: Date.now() + timeoutMs },
        (error, response) =>
          error ? reject(new Error(`CRI ${method}: ${error.details || error.message}`)) : resolve(response as T),
      );
    });
  }

  async runPodSandbox(config: object): Promise<string> {
    return (await this.call<{ podSandboxId: string }>("RunPodSandbox", { config })).podSandboxId;
  }

  async createContainer(podSandboxId: string, config: object, sandboxConfig: object): Promise<string> {
    const response = await this.call<{ containerId: string }>("CreateContainer", {
      podSandboxId,
      config,
      sandboxConfig,
    });
    return response.containerId;
  }

  async startContainer(containerId: string): Promise<void> {
    await this.call("StartContainer", { containerId });
  }

  async stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    await this.call("StopContainer", { containerId, timeout: timeoutSeconds }, (timeoutSeconds + 30) * 1000);
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.call("RemoveContainer", { containerId });
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.call("StopPodSandbox", { podSandboxId });
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.call("RemovePodSandbox", { podSandboxId });
  }

  /** The container's state, exit code, log file and (from the verbose info) its task's pid. */
  async containerStatus(containerId: string): Promise<CriContainerStatus> {
    const response = await this.call<{
      status: { id: string; state: number; exitCode: number; logPath: string };
      info: Record<string, string>;
    }>("ContainerStatus", { containerId, verbose: true });
    const info = JSON.parse(response.info.info ?? "{}") as { pid?: number };
    const { id, state, exitCode, logPath } = response.status;
    return { id, state, exitCode, logPath, pid: info.pid ?? 0 };
  }

  /** Runs cmd in the container as `kubectl exec` does (the kubelet's ExecSync). */
  async execSync(containerId: string, cmd: string[], timeoutSeconds = 30): Promise<ExecSyncResult> {
    const response = await this.call<{ stdout: Buffer; stderr: Buffer; exitCode: number }>(
      "ExecSync",
      { containerId, cmd, timeout: timeoutSeconds },
      (timeoutSeconds + 30) * 1000,
    );
    return { code: response.exitCode, stdout: response.stdout.toString(), stderr: response.stderr.toString() };
  }
}
