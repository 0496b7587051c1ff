// Pods share the host's network here (no CNI), where on a node each has its own address:
// every port a pod declares is moved to a free one on 127.0.0.1 for that pod (two agents
// side by side in a rollout never collide), and a Service's port leads to the pod that
// declared it first (the stand-in for the Service's endpoints). Addresses in env are
// rewritten: ":port" / "0.0.0.0:port" to the pod's own, "service-name:port" to the Service's.
import { freePort } from "../processes";

export class ServicePorts {
  readonly ports = new Map<number, number>();
}

export class PortMap {
  private readonly ports = new Map<number, number>();

  constructor(private readonly services: ServicePorts) {}

  /** Claims a free port for a port the pod declares. */
  async declare(declared: number): Promise<number> {
    let port = this.ports.get(declared);
    if (port === undefined) {
      port = await freePort();
      this.ports.set(declared, port);
      if (!this.services.ports.has(declared)) this.services.ports.set(declared, port);
    }
    return port;
  }

  /** The stand-in of a port the pod declared. */
  portOf(declared: number): number {
    const port = this.ports.get(declared);
    if (port === undefined) throw new Error(`port ${declared} is not declared by this pod`);
    return port;
  }

  /** An address from env, moved to where it leads here; other values as they are. */
  rewriteAddress(value: string): string {
    const match = /^([\w.-]*):(\d+)$/.exec(value);
    if (!match) return value;
    const [, host, port] = match;
    if (host === "" || host === "0.0.0.0") {
      const own = this.ports.get(Number(port));
      return own === undefined ? value : `127.0.0.1:${own}`;
    }
    const service = this.services.ports.get(Number(port));
    return service === undefined ? value : `${host}:${service}`;
  }
}
