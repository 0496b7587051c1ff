// The agent's sample uploader against a real collector on loopback, and against an older
// one (an AgentService without UploadSamples): samples go once and leave the node; an
// older collector answers UNIMPLEMENTED and the samples stay for later.
import * as assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import pino from "pino";

import { SampleSpool } from "../../../src/agent/samples/SampleSpool";
import { serviceDefinition } from "../../../src/api/apiProto";
import { SampleUploader } from "../../../src/report/SampleUploader";
import { startHarness } from "../../testbed/collectorHarness";

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
const logger = pino({ level: "silent" });

async function until(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!probe()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("sample uploader", function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-uploader-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("delivers each sample once and empties the node's spool; a second agent's copy is answered HAVE", async () => {
    const h = await startHarness();
    try {
      const bytes = [randomBytes(3 * 1024 * 1024 + 5), randomBytes(10)];
      const run = async (name: string) => {
        const spool = new SampleSpool(path.join(dir, name), 64 << 20, logger);
        for (const b of bytes) spool.put(sha(b), b);
        const uploader = new SampleUploader({ connection: h.agentConnection(), spool, logger });
        uploader.start();
        await until(() => spool.digests().length === 0, "the spool emptied");
        uploader.stop();
        return uploader.stats();
      };
      const first = await run("a");
      assert.deepEqual([first.offered, first.uploaded, first.stored, first.have], [2, 2, 2, 0]);
      const second = await run("b");
      assert.deepEqual([second.offered, second.uploaded, second.stored, second.have], [2, 0, 0, 2]);
      for (const b of bytes) assert.deepEqual(await h.collector.store.samples.content(sha(b)), b);
    } finally {
      await h.stop();
    }
  });

  it("delivers a sample stored while a round runs, without waiting for the next one", async () => {
    const h = await startHarness();
    try {
      const spool = new SampleSpool(path.join(dir, "during"), 64 << 20, logger);
      const first = randomBytes(3 * 1024 * 1024);
      spool.put(sha(first), first);
      const uploader = new SampleUploader({ connection: h.agentConnection(), spool, logger });
      uploader.start(); // the round has listed the spool: only `first`
      const second = randomBytes(100);
      spool.put(sha(second), second);
      await until(() => spool.digests().length === 0, "the spool emptied");
      uploader.stop();
      assert.equal(uploader.stats().stored, 2);
    } finally {
      await h.stop();
    }
  });

  it("keeps the samples when the collector is older and has no UploadSamples", async () => {
    const server = new grpc.Server();
    server.addService(serviceDefinition("AgentService"), { Report: () => undefined });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    try {
      const spool = new SampleSpool(path.join(dir, "old"), 1 << 20, logger);
      const b = Buffer.from("sample");
      spool.put(sha(b), b);
      const connection = { address: `127.0.0.1:${port}`, insecure: true };
      const uploader = new SampleUploader({ connection, spool, logger });
      uploader.start();
      await until(() => uploader.stats().unsupported, "UNIMPLEMENTED");
      uploader.stop();
      assert.deepEqual(spool.digests(), [sha(b)], "the sample stays on the node");
    } finally {
      server.forceShutdown();
    }
  });
});
