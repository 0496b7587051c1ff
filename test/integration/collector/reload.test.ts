// The collector re-reads what it trusts while it runs: a renewed server certificate is
// served to new connections (gRPC and the review page), a half-rotated certificate/key
// pair is refused and the old pair kept, a new client CA admits the certificates it signs,
// and the reviewers' tokens file takes effect at once. No restart anywhere.
import * as assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tls from "node:tls";
import * as grpc from "@grpc/grpc-js";

import { ensureCa, issueCertificate, type CertFiles } from "../../../src/collector/certs";
import { reportOnce } from "../../testbed/agentReports";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { sample, scrape } from "../../testbed/metricsScrape";
import { testCerts } from "../../testbed/testCerts";

/** The serial number of the certificate a TLS server on localhost:port presents. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      rejectUnauthorized: false,
      ALPNProtocols: ["h2", "http/1.1"],
    });
    socket.once("secureConnect", () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.destroy();
    });
    socket.once("error", reject);
  });
}

function serialOf(file: string): string {
  return new X509Certificate(fs.readFileSync(file)).serialNumber;
}

describe("collector: certificates, keys, CA and tokens reloaded while it runs", function () {
  this.timeout(60_000);
  let h: Harness;
  let files: { certFile: string; keyFile: string; clientCaFile: string };
  let spare: string;
  const certs = testCerts();

  before(async () => {
    spare = fs.mkdtempSync(path.join(path.dirname(certs.dir), "driftguard-reload-"));
    files = {
      certFile: path.join(spare, "tls.crt"),
      keyFile: path.join(spare, "tls.key"),
      clientCaFile: path.join(spare, "ca.crt"),
    };
    fs.copyFileSync(certs.server.certFile, files.certFile);
    fs.copyFileSync(certs.server.keyFile, files.keyFile);
    fs.copyFileSync(certs.ca.certFile, files.clientCaFile);
    h = await startHarness({ tls: files });
  });
  after(async () => {
    await h?.stop();
    fs.rmSync(spare, { recursive: true, force: true });
  });

  const webPort = () => Number(new URL(h.webUrl).port);
  const renewed = (name: string): CertFiles =>
    issueCertificate(certs.ca, spare, {
      name,
      commonName: "localhost",
      usage: "server",
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
    });

  it("serves a renewed server certificate to new connections, on the API and the review page", async () => {
    assert.equal(await servedSerial(h.collector.port), serialOf(certs.server.certFile));
    const next = renewed("server-2");
    fs.copyFileSync(next.keyFile, files.keyFile);
    fs.copyFileSync(next.certFile, files.certFile);
    await h.collector.trust.reloadNow();
    assert.equal(await servedSerial(h.collector.port), serialOf(next.certFile));
    assert.equal(await servedSerial(webPort()), serialOf(next.certFile));
    const page = await h.findings(h.tokens.reader).list({ pageSize: 1 });
    assert.ok(Array.isArray(page.findings), "clients verify the new certificate with the same CA");
  });

  it("refuses a certificate without its key, keeping the pair in force", async () => {
    const before = await servedSerial(h.collector.port);
    const next = renewed("server-3");
    fs.copyFileSync(next.certFile, files.certFile); // the key not yet
    await h.collector.trust.reloadNow();
    assert.equal(await servedSerial(h.collector.port), before);
    const rejected = sample(
      await scrape(h.metricsUrl),
      'driftguard_collector_reloads_total{what="tls",result="rejected"}',
    );
    assert.equal(rejected, 1);
    fs.copyFileSync(next.keyFile, files.keyFile);
    await h.collector.trust.reloadNow();
    assert.equal(await servedSerial(h.collector.port), serialOf(next.certFile));
  });

  it("admits agents of a new client CA, and stops admitting the old one's when it goes", async () => {
    const newCa = ensureCa(path.join(spare, "ca2"), "driftguard CA 2");
    const newAgent = issueCertificate(newCa, spare, {
      name: "agent2",
      commonName: "agents",
      organizationalUnit: "agent",
      usage: "client",
    });
    assert.equal((await reportOnce(h, { cert: newAgent })).code, grpc.status.UNAUTHENTICATED, "not yet trusted");
    // The transition: both CAs.
    fs.writeFileSync(
      files.clientCaFile,
      Buffer.concat([fs.readFileSync(certs.ca.certFile), fs.readFileSync(newCa.certFile)]),
    );
    await h.collector.trust.reloadNow();
    assert.ok((await reportOnce(h, { cert: newAgent })).ack, "the new CA's agent");
    assert.ok((await reportOnce(h, { cert: certs.agent })).ack, "the old CA's agent, during the transition");
    fs.copyFileSync(newCa.certFile, files.clientCaFile);
    await h.collector.trust.reloadNow();
    assert.equal((await reportOnce(h, { cert: certs.agent })).code, grpc.status.UNAUTHENTICATED, "the old CA is gone");
    assert.ok((await reportOnce(h, { cert: newAgent })).ack);
    fs.copyFileSync(certs.ca.certFile, files.clientCaFile);
    await h.collector.trust.reloadNow();
  });

  it("applies a changed tokens file at once: new tokens in, removed ones out (their open watches too)", async () => {
    const tokensFile = path.join(h.dir, "tokens");
    const newcomer = "newcomer-token-0123456789";
    await assert.rejects(h.findings(newcomer).list({}), { code: grpc.status.UNAUTHENTICATED });
    const watching = h.findings(h.tokens.reader).watch({});
    const watchEnded = new Promise<grpc.ServiceError>((resolve) => watching.on("error", resolve));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the watch is open
    const text = fs.readFileSync(tokensFile, "utf8").replace(/^reader ci-bot .*$/m, `reader newcomer ${newcomer}`);
    fs.writeFileSync(tokensFile, text);
    await h.collector.trust.reloadNow();
    assert.ok(Array.isArray((await h.findings(newcomer).list({})).findings));
    await assert.rejects(
      h.findings(h.tokens.reader).list({}),
      { code: grpc.status.UNAUTHENTICATED },
      "ci-bot's token was removed",
    );
    const ended = await watchEnded;
    assert.equal(ended.code, grpc.status.UNAUTHENTICATED, "and its open watch ended");
    assert.match(ended.details, /token was withdrawn/);
    fs.writeFileSync(tokensFile, "reader broken\n"); // not "ROLE NAME TOKEN": refused, the last good set stays
    await h.collector.trust.reloadNow();
    assert.ok(Array.isArray((await h.findings(newcomer).list({})).findings));
  });
});
