// The plain-HTTP endpoint of the agent and the collector for Prometheus and the kubelet:
// GET /metrics (text exposition of one prom-client Registry), /healthz (the process answers:
// liveness) and /readyz (the component can do its work: readiness). Plain HTTP because
// scrapers and probes on the cluster network expect it and nothing here is secret or
// changes state; findings are never exposed here.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

import type { Logger } from "../log/logger";
import type { ListenAddress } from "./listenAddress";
import { errorMessage } from "../util/errorMessage";

export interface Readiness {
  ready: boolean;
  /** What is missing, for people reading the probe's output. */
  detail: string;
}

export interface MetricsServerOptions {
  address: ListenAddress;
  registry: Registry;
  ready: () => Promise<Readiness> | Readiness;
  logger: Logger;
  /** A readiness check slower than this counts as not ready. Default 2000 ms. */
  readyTimeoutMs?: number;
}

export class MetricsServer {
  private constructor(
    private readonly server: http.Server,
    readonly port: number,
  ) {}

  static async start(o: MetricsServerOptions): Promise<MetricsServer> {
    const server = http.createServer((req, res) => void handle(o, req, res));
    server.keepAliveTimeout = 65_000; // longer than Prometheus' default scrape interval
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.address.port, o.address.host, () => {
        server.off("error", reject);
        resolve();
      });
    }).catch((error: NodeJS.ErrnoException) => {
      const where = `${o.address.host ?? ""}:${o.address.port}`;
      const hint =
        error.code === "EADDRINUSE" ? "; choose another port with --metrics-address, or '' to turn it off" : "";
      throw new Error(`cannot serve metrics on ${where}: ${error.message}${hint}`);
    });
    const port = (server.address() as AddressInfo).port;
    o.logger.info({ host: o.address.host ?? "*", port }, "metrics and health endpoints listening");
    return new MetricsServer(server, port);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function handle(o: MetricsServerOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "only GET and HEAD\n");
  try {
    switch (path) {
      case "/metrics":
        return send(res, 200, await o.registry.metrics(), o.registry.contentType);
      case "/healthz":
        return send(res, 200, "ok\n");
      case "/readyz": {
        const state = await withTimeout(Promise.resolve(o.ready()), o.readyTimeoutMs ?? 2000);
        return send(res, state.ready ? 200 : 503, `${state.ready ? "ready" : "not ready"}: ${state.detail}\n`);
      }
      default:
        return send(res, 404, "not found: try /metrics, /healthz or /readyz\n");
    }
  } catch (error) {
    o.logger.warn({ path, err: error }, "metrics endpoint failed");
    return send(res, path === "/readyz" ? 503 : 500, `error: ${errorMessage(error)}\n`);
  }
}

function send(res: http.ServerResponse, status: number, body: string, type = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`readiness check took longer than ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
