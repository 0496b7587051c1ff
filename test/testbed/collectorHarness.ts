// An in-process collector on 127.0.0.1:0 with the test certificates and tokens, and the
// clients tests talk to it with.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import pino from "pino";

import { Collector, type CollectorConfig } from "../../src/collector/Collector";
import { FindingsClient } from "../../src/collector/findingsClient";
import type { CollectorConnection } from "../../src/report/agentClient";
import type { TlsFiles } from "../../src/collector/auth/serverCredentials";
import type { CertFiles } from "../../src/collector/certs";
import { testCerts, testTokens, type TestCerts } from "./testCerts";

export interface Harness {
  collector: Collector;
  dir: string;
  address: string;
  certs: TestCerts;
  tokens: ReturnType<typeof testTokens>;
  /** The collector's AgentService as an agent with `cert` (and the token in `tokenFile`) sees it. */
  agentConnection(cert?: CertFiles, tokenFile?: string): CollectorConnection;
  findings(token?: string): FindingsClient;
  /** https://localhost:PORT of the review page. */
  webUrl: string;
  /** http://127.0.0.1:PORT of /metrics, /healthz, /readyz. */
  metricsUrl: string;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  db?: string;
  maxMessageBytes?: number;
  webhook?: CollectorConfig["webhook"];
  agentHeartbeatMs?: number;
  agentToken?: CollectorConfig["agentToken"];
  revocationsFile?: string;
  limits?: CollectorConfig["limits"];
  samples?: CollectorConfig["samples"];
  /** Default 100 ms: tests see reloads quickly. */
  reloadMs?: number;
  /** Instead of the shared test certificates (tests that rewrite the files). */
  tls?: TlsFiles;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const certs = testCerts();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-collector-"));
  const tokens = testTokens(dir);
  const collector = await Collector.start(
    {
      listen: "127.0.0.1:0",
      db: options.db ?? `sqlite:${path.join(dir, "findings.db")}`,
      tls: options.tls ?? {
        certFile: certs.server.certFile,
        keyFile: certs.server.keyFile,
        clientCaFile: certs.ca.certFile,
      },
      tokensFile: tokens.file,
      retentionDays: 0,
      maxMessageBytes: options.maxMessageBytes,
      watchPollMs: 100,
      webListen: "127.0.0.1:0",
      metricsAddress: "127.0.0.1:0",
      webhook: options.webhook,
      agentHeartbeatMs: options.agentHeartbeatMs,
      agentToken: options.agentToken,
      revocationsFile: options.revocationsFile,
      limits: options.limits,
      samples: options.samples,
      reloadMs: options.reloadMs ?? 100,
    },
    pino({ level: process.env.DRIFTGUARD_TEST_LOG ?? "silent" }),
  ).catch((error: unknown) => {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const address = `localhost:${collector.port}`;
  const clients: FindingsClient[] = [];
  return {
    collector,
    dir,
    address,
    certs,
    tokens,
    agentConnection: (cert = certs.agent, tokenFile?: string) => ({
      address,
      caFile: certs.ca.certFile,
      certFile: cert.certFile,
      keyFile: cert.keyFile,
      tokenFile,
    }),
    webUrl: `https://localhost:${collector.webPort}`,
    metricsUrl: `http://127.0.0.1:${collector.metricsPort}`,
    findings(token = tokens.admin) {
      const client = new FindingsClient({ address, caFile: certs.ca.certFile, token });
      clients.push(client);
      return client;
    },
    async stop() {
      for (const c of clients) c.close();
      await collector.stop(500);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
