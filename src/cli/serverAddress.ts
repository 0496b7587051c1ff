// --server HOST[:PORT] as the CLI dials it: a host alone means the collector's gRPC port
// 7443 (grpc-js would dial 443 for a bare name).
import { UsageError } from "./command";

export const COLLECTOR_GRPC_PORT = 7443;

/** "host:port" for grpc-js; IPv6 literals stay bracketed ("[::1]:7443"). */
export function serverAddress(text: string): string {
  const value = text.trim();
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(value);
  if (v6) return `[${v6[1]}]:${port(v6[2] ?? String(COLLECTOR_GRPC_PORT), text)}`;
  if (/^[0-9a-fA-F:]+$/.test(value) && value.split(":").length > 2) return `[${value}]:${COLLECTOR_GRPC_PORT}`;
  const hostPort = /^([A-Za-z0-9.-]+)(?::(\d+))?$/.exec(value);
  if (!hostPort) {
    throw new UsageError(`--server ${JSON.stringify(text)} is not HOST or HOST:PORT (e.g. collector.example:7443)`);
  }
  return `${hostPort[1]}:${port(hostPort[2] ?? String(COLLECTOR_GRPC_PORT), text)}`;
}

function port(digits: string, text: string): number {
  const n = Number(digits);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--server ${text}: the port must be 1 to 65535`);
  return n;
}
