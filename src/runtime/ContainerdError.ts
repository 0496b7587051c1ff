// An error from a containerd call, naming the call, namespace and socket, with a hint.
import { status, type ServiceError } from "@grpc/grpc-js";

export class ContainerdError extends Error {
  override readonly name = "ContainerdError";

  constructor(
    /** The RPC, e.g. "Containers.List". */
    readonly call: string,
    /** containerd namespace ("" for calls that have none, like Events.Subscribe). */
    readonly namespace: string,
    /** The grpc status code (status.UNAVAILABLE, status.NOT_FOUND, ...). */
    readonly code: status,
    readonly address: string,
    details: string,
  ) {
    super(`${describeCall(call, namespace, address)}: ${status[code] ?? code}: ${details}${hintFor(code, address)}`);
  }

  /** True when containerd is not reachable (down, restarting, wrong socket). */
  get unavailable(): boolean {
    return this.code === status.UNAVAILABLE || this.code === status.DEADLINE_EXCEEDED;
  }

  get notFound(): boolean {
    return this.code === status.NOT_FOUND;
  }

  static wrap(call: string, namespace: string, address: string, err: unknown): ContainerdError {
    if (err instanceof ContainerdError) return err;
    const service = err as Partial<ServiceError>;
    const code = typeof service.code === "number" ? service.code : status.UNKNOWN;
    // grpc-js appends an empty "Resolution note:" to connection errors on unix sockets.
    const raw = service.details || (err instanceof Error ? err.message : String(err));
    const details = raw.replace(/\s*Resolution note:\s*$/, "");
    return new ContainerdError(call, namespace, code, address, details);
  }
}

function describeCall(call: string, namespace: string, address: string): string {
  return namespace ? `containerd ${call} (namespace "${namespace}") at ${address}` : `containerd ${call} at ${address}`;
}

function hintFor(code: status, address: string): string {
  switch (code) {
    case status.UNAVAILABLE:
      return ` (is containerd running, and is ${address} its socket? Point the agent at containerd's grpc.address.)`;
    case status.DEADLINE_EXCEEDED:
      return " (containerd did not answer in time; it may be overloaded or hung)";
    case status.PERMISSION_DENIED:
      return " (the agent needs read/write access to the containerd socket; run it as root)";
    default:
      return "";
  }
}
