// The review page: HTTPS on its own port (--web-listen, default :7444), beside the gRPC
// port. A listener of its own because grpc-js owns its HTTP/2 server and serves nothing
// else; same certificate and key, and client certificates requested (not required) and
// checked against --client-ca as for gRPC, and followed when they change on disk. Plain
// HTTP only with --insecure.
//
// Serves the page's files (staticFiles.ts) and its JSON API (webApi.ts). Headers keep the
// page from being framed or sniffed and allow scripts and styles from this origin only.
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";

import { parseListenAddress } from "../../metrics/listenAddress";
import type { ServerTls, TlsMaterial } from "../auth/serverCredentials";
import { sendError } from "./httpUtil";
import { loadStaticFiles, type StaticFile } from "./staticFiles";
import { handleApi, type WebApiDeps } from "./webApi";

export interface WebServerOptions extends WebApiDeps {
  /** HOST:PORT or :PORT; port 0 picks a free one. */
  listen: string;
  /** undefined: plain HTTP (--insecure). */
  tls?: ServerTls;
}

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export class WebServer {
  private constructor(
    private readonly server: http.Server,
    readonly port: number,
  ) {}

  static async start(o: WebServerOptions): Promise<WebServer> {
    const address = parseListenAddress(o.listen, "--web-listen");
    if (typeof address === "string") throw new Error(address);
    const files = loadStaticFiles();
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      void respond(o, files, req, res);
    };
    let server: http.Server;
    if (o.tls) {
      const secure = https.createServer(
        {
          ...secureContextOf(o.tls.material),
          requestCert: true,
          rejectUnauthorized: false, // reviewers with a token only; the Authenticator decides
        },
        handler,
      );
      o.tls.onChange((material) => secure.setSecureContext(secureContextOf(material)));
      server = secure;
    } else {
      server = http.createServer(handler);
    }
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(address.port, address.host, () => {
        server.off("error", reject);
        resolve();
      });
    }).catch((error: Error) => {
      throw new Error(`cannot serve the review page on ${o.listen}: ${error.message}`);
    });
    const port = (server.address() as AddressInfo).port;
    o.logger.info({ listen: o.listen, port, tls: !!o.tls }, "review page listening");
    return new WebServer(server, port);
  }

  /** Ends open live-update streams too. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

function secureContextOf(m: TlsMaterial): { cert: Buffer; key: Buffer; ca: Buffer; minVersion: "TLSv1.2" } {
  return { cert: m.certificate, key: m.privateKey, ca: m.caCertificate, minVersion: "TLSv1.2" };
}

async function respond(
  o: WebServerOptions,
  files: Map<string, StaticFile>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("X-Frame-Options", "DENY");
  if (o.tls) res.setHeader("Strict-Transport-Security", "max-age=31536000");
  let url: URL;
  try {
    url = new URL(req.url ?? "/", "http://review.invalid");
  } catch {
    return sendError(res, 400, "bad request URL");
  }
  if (url.pathname.startsWith("/api/")) return handleApi(o, req, res, url);
  const file = files.get(url.pathname);
  if (!file) return sendError(res, 404, `no page at ${url.pathname}`);
  if (req.method !== "GET" && req.method !== "HEAD") return sendError(res, 405, "use GET");
  if (req.headers["if-none-match"] === file.etag) {
    res.writeHead(304, { ETag: file.etag });
    return void res.end();
  }
  res.writeHead(200, {
    "Content-Type": file.type,
    "Content-Length": file.body.length,
    "Cache-Control": "no-cache",
    ETag: file.etag,
    ...(file.type.startsWith("text/html") ? { "Content-Security-Policy": CSP } : {}),
  });
  res.end(req.method === "HEAD" ? undefined : file.body);
}
