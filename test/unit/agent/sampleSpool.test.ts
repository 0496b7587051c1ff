// The node's sample spool on a real directory: content-addressed files of mode 0400 (never
// executable), bytes that do not hash to their digest refused, one file per digest, a
// bounded total with drops counted, leftovers of a crash removed and samples found again.
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import pino from "pino";

import { SampleSpool } from "../../../src/agent/samples/SampleSpool";

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

describe("SampleSpool", () => {
  let dir: string;
  const logger = pino({ level: "silent" });
  beforeEach(() => (dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-samples-")), "samples")));
  afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

  it("stores a sample under its digest with mode 0400, once", () => {
    const spool = new SampleSpool(dir, 1000, logger);
    const bytes = Buffer.from("\x7fELF payload");
    assert.equal(spool.put(sha(bytes), bytes), "stored");
    assert.equal(spool.put(sha(bytes), bytes), "duplicate");
    const file = path.join(dir, sha(bytes));
    assert.equal(fs.statSync(file).mode & 0o777, 0o400);
    assert.deepEqual(fs.readFileSync(file), bytes);
    assert.deepEqual(fs.readdirSync(dir), [sha(bytes)]);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  });

  it("refuses bytes that do not hash to the digest, and a digest that is not one", () => {
    const spool = new SampleSpool(dir, 1000, logger);
    assert.equal(spool.put(sha(Buffer.from("a")), Buffer.from("b")), "mismatch");
    assert.equal(spool.put("../../etc/passwd", Buffer.from("b")), "mismatch");
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it("keeps its total under the bound and counts the drops; removal frees room", () => {
    const spool = new SampleSpool(dir, 10, logger);
    const [a, b] = [Buffer.alloc(6, 1), Buffer.alloc(6, 2)];
    assert.equal(spool.put(sha(a), a), "stored");
    assert.equal(spool.put(sha(b), b), "spool_full");
    spool.remove(sha(a));
    assert.equal(spool.put(sha(b), b), "stored");
    assert.deepEqual(spool.stats(), {
      files: 1,
      bytes: 6,
      maxBytes: 10,
      outcomes: { stored: 2, duplicate: 0, spool_full: 1, mismatch: 0, write_failed: 0 },
    });
  });

  it("finds its samples again after a restart and forgets unfinished writes", () => {
    const bytes = Buffer.from("kept");
    new SampleSpool(dir, 1000, logger).put(sha(bytes), bytes);
    fs.writeFileSync(path.join(dir, ".tmp-1-abc"), "half");
    const again = new SampleSpool(dir, 1000, logger);
    assert.deepEqual(again.digests(), [sha(bytes)]);
    assert.equal(again.stats().bytes, 4);
    assert.deepEqual(fs.readdirSync(dir), [sha(bytes)]);
  });
});
