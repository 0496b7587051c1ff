// The sample store both databases share (schema version 7); run once per database by
// store.test.ts: content kept byte for byte, one row per digest whoever stores it, sizes
// for the detail view, totals for the cap, retention by storage time.
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";

import type { FindingStore } from "../../../src/collector/store/FindingStore";

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

export function sampleStoreSuite(open: () => Promise<FindingStore>): void {
  describe("samples", () => {
    let store: FindingStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it("keeps a sample byte for byte, once per digest, even when two put it at once", async () => {
      const bytes = Buffer.from([0, 1, 2, 255, 0x7f, 0x45, 0x4c, 0x46, 0]);
      const digest = sha(bytes);
      const outcomes = await Promise.all([1, 2, 3].map((i) => store.samples.put(digest, bytes, 1000 + i)));
      assert.deepEqual(outcomes.sort(), ["have", "have", "stored"]);
      assert.deepEqual(await store.samples.content(digest), bytes);
      assert.deepEqual(await store.samples.totals(), { samples: 1, bytes: bytes.length });
      assert.equal(await store.samples.content("0".repeat(64)), undefined);
    });

    it("gives size and time for the digests asked that have one", async () => {
      const a = Buffer.alloc(3000, 1);
      const b = Buffer.alloc(10, 2);
      await store.samples.put(sha(a), a, 5);
      await store.samples.put(sha(b), b, 6);
      const infos = await store.samples.infos([sha(a), "f".repeat(64)]);
      assert.deepEqual([...infos.values()], [{ sha256: sha(a), size: 3000, storedMs: 5 }]);
      assert.equal((await store.samples.infos([])).size, 0);
    });

    it("deletes samples stored before the cutoff only", async () => {
      const old = Buffer.from("old");
      const recent = Buffer.from("recent");
      await store.samples.put(sha(old), old, 100);
      await store.samples.put(sha(recent), recent, 200);
      assert.equal(await store.samples.deleteOlderThan(150), 1);
      assert.equal(await store.samples.content(sha(old)), undefined);
      assert.deepEqual(await store.samples.content(sha(recent)), recent);
    });
  });
}
