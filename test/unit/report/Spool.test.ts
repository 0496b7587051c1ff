// The on-disk spool: records survive a reopen, acked ones go, a torn tail is cut, the byte
// bound drops (and counts) new records.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import pino from "pino";

import { Spool } from "../../../src/report/spool/Spool";

const logger = pino({ level: "silent" });

describe("Spool", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-spool-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const open = (options: { maxBytes?: number; segmentBytes?: number } = {}) => {
    const spool = new Spool({ dir, fsyncIntervalMs: 0, ...options }, logger);
    spool.open();
    return spool;
  };
  const payload = (i: number) => Buffer.from(`finding-${i}-`.padEnd(200, "x"));
  const texts = (records: { payload: Buffer }[]) => records.map((r) => r.payload.toString().split("-x")[0]);

  it("reads back what was appended, in order, across segments and a reopen", () => {
    const spool = open({ segmentBytes: 1024 });
    for (let i = 1; i <= 20; i++) assert.equal(spool.append(payload(i)), i);
    assert.ok(spool.stats().segments > 3);
    assert.deepEqual(
      spool.read(0, 3, 1 << 20).map((r) => r.seq),
      [1, 2, 3],
    );
    spool.close();
    const again = open({ segmentBytes: 1024 });
    assert.equal(again.pending, 20);
    const all = again.read(0, 100, 1 << 20);
    assert.deepEqual(
      all.map((r) => r.seq),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.equal(all[19].payload.toString(), payload(20).toString());
    assert.equal(again.append(payload(21)), 21, "numbering goes on after a reopen");
    again.close();
  });

  it("forgets acknowledged records and deletes their segments, also across a reopen", () => {
    const spool = open({ segmentBytes: 1024 });
    for (let i = 1; i <= 20; i++) spool.append(payload(i));
    const before = spool.stats();
    spool.ack(12);
    assert.equal(spool.pending, 8);
    assert.ok(spool.stats().bytes < before.bytes);
    assert.ok(spool.stats().segments < before.segments);
    assert.deepEqual(
      spool.read(spool.acked, 100, 1 << 20).map((r) => r.seq),
      [13, 14, 15, 16, 17, 18, 19, 20],
    );
    spool.close();
    const again = open({ segmentBytes: 1024 });
    assert.equal(again.acked, 12);
    assert.equal(again.read(again.acked, 100, 1 << 20)[0].seq, 13);
    again.ack(20);
    assert.equal(again.stats().bytes, 0);
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.endsWith(".spool")),
      [],
    );
    again.close();
  });

  it("cuts a torn write off the last segment and keeps everything before it", () => {
    const spool = open();
    for (let i = 1; i <= 5; i++) spool.append(payload(i));
    spool.close();
    const [segment] = fs.readdirSync(dir).filter((f) => f.endsWith(".spool"));
    const file = path.join(dir, segment);
    fs.truncateSync(file, fs.statSync(file).size - 50); // the 5th record half written
    fs.appendFileSync(file, Buffer.alloc(0));
    const again = open();
    assert.deepEqual(texts(again.read(0, 100, 1 << 20)), ["finding-1", "finding-2", "finding-3", "finding-4"]);
    assert.equal(again.append(payload(6)), 5);
    again.close();
  });

  it("stops at a corrupted record (CRC) instead of delivering garbage", () => {
    const spool = open();
    for (let i = 1; i <= 3; i++) spool.append(payload(i));
    spool.close();
    const [segment] = fs.readdirSync(dir).filter((f) => f.endsWith(".spool"));
    const file = path.join(dir, segment);
    const data = fs.readFileSync(file);
    data[data.length - 10] ^= 0xff;
    fs.writeFileSync(file, data);
    const again = open();
    assert.equal(again.read(0, 100, 1 << 20).length, 2);
    again.close();
  });

  it("refuses and counts new records when full, and accepts again after acks", () => {
    const spool = open({ maxBytes: 64 * 1024, segmentBytes: 8 * 1024 });
    let accepted = 0;
    for (let i = 1; i <= 1000; i++) if (spool.append(payload(i)) !== undefined) accepted++;
    const stats = spool.stats();
    assert.ok(accepted > 200 && accepted < 1000, `accepted ${accepted}`);
    assert.equal(stats.droppedFull, 1000 - accepted);
    assert.ok(stats.bytes <= 64 * 1024);
    // The oldest stay: the first accepted records are the first appended.
    assert.deepEqual(texts(spool.read(0, 2, 1 << 20)), ["finding-1", "finding-2"]);
    spool.ack(accepted);
    assert.notEqual(spool.append(payload(1001)), undefined);
    spool.close();
  });

  it("limits a read by bytes but always returns at least one record", () => {
    const spool = open();
    for (let i = 1; i <= 10; i++) spool.append(payload(i));
    assert.equal(spool.read(0, 100, 450).length, 2);
    assert.equal(spool.read(0, 100, 10).length, 1);
    spool.close();
  });
});
