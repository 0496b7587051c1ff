// The issuer's keys from the network, as EKS publishes them: found through the issuer's
// discovery document, fetched again when a token names a new key (an issuer rotating its
// key), but never more than once per interval however many unknown keys callers make up;
// while no key was ever loaded, agents are told to come back (UNAVAILABLE) rather than
// refused as impostors.
import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";

import { reportOnce } from "../../testbed/agentReports";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { sample, scrape } from "../../testbed/metricsScrape";
import { TestIssuer } from "../../testbed/testIssuer";

/** An OIDC issuer on loopback: /.well-known/openid-configuration and /keys, counted. */
async function issuerServer(status = 200) {
  const served: { issuer?: TestIssuer } = {}; // made once the port is known
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    const issuer = served.issuer;
    if (status !== 200 || !issuer) return void res.writeHead(status).end();
    if (req.url === "/.well-known/openid-configuration") {
      res.writeHead(200, { "Content-Type": "application/json" });
      return void res.end(JSON.stringify({ issuer: issuer.issuer, jwks_uri: `${issuer.issuer}/keys` }));
    }
    if (req.url === "/keys") return void res.writeHead(200).end(issuer.jwks());
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = (served.issuer = new TestIssuer(url));
  return {
    issuer,
    requests,
    close: async () => {
      issuer.remove();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("collector: the issuer's keys from its discovery document", function () {
  this.timeout(60_000);

  it("finds the keys from the issuer, follows a new key, and refetches unknown keys at most once per interval", async () => {
    const server = await issuerServer();
    let h: Harness | undefined;
    try {
      h = await startHarness({
        agentToken: { issuer: server.issuer.issuer, cluster: "prod", keyRefresh: { minIntervalMs: 1500 } },
      });
      const first = await reportOnce(h, { token: server.issuer.token("node-a") });
      assert.ok(first.ack, first.details);
      assert.deepEqual(server.requests, ["/.well-known/openid-configuration", "/keys"]);
      await new Promise((resolve) => setTimeout(resolve, 1600));
      const kid = server.issuer.addKey("ES256");
      const rotated = await reportOnce(h, { token: server.issuer.token("node-a", { kid }) });
      assert.ok(rotated.ack, `a token signed with the issuer's new key: ${rotated.details}`);
      const fetches = server.requests.length;
      // Made-up key ids: each would need a fetch; the interval allows none of them now.
      const forged = new TestIssuer(server.issuer.issuer);
      try {
        const results = await Promise.all(
          Array.from({ length: 20 }, () => reportOnce(h!, { token: forged.token("node-a") })),
        );
        for (const r of results) assert.equal(r.code, grpc.status.UNAUTHENTICATED);
      } finally {
        forged.remove();
      }
      assert.equal(server.requests.length, fetches, "no fetch for unknown keys within the interval");
      assert.equal(sample(await scrape(h.metricsUrl), "driftguard_collector_issuer_keys"), 3);
    } finally {
      await h?.stop();
      await server.close();
    }
  });

  it("tells agents to come back while the issuer's keys could not be loaded", async () => {
    const server = await issuerServer(503);
    let h: Harness | undefined;
    try {
      h = await startHarness({ agentToken: { issuer: server.issuer.issuer, cluster: "prod" } });
      const result = await reportOnce(h, { token: server.issuer.token("node-a") });
      assert.equal(result.code, grpc.status.UNAVAILABLE, JSON.stringify(result));
      assert.match(result.details!, /has not loaded its issuer's keys/);
      const rejected = sample(
        await scrape(h.metricsUrl),
        'driftguard_collector_reloads_total{what="jwks",result="rejected"}',
      );
      assert.ok(rejected >= 1);
    } finally {
      await h?.stop();
      await server.close();
    }
  });

  it("refuses to fetch keys in plaintext from anywhere but loopback", async () => {
    await assert.rejects(
      startHarness({ agentToken: { issuer: "http://oidc.example.com/id/X", cluster: "prod" } }),
      /--agent-token-issuer http:\/\/oidc\.example\.com\/id\/X must be https:\/\//,
    );
  });
});
