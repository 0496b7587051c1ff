// The per-image budget (src/baseline/budget.ts): entries and manifest bytes of all of an
// image's layers together, counted as they are read; what an over-budget image leaves in
// the layer cache (nothing partial), and that it is reported and read only once.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { BaselineBuilder, type LayerSource } from "../../../src/baseline/BaselineBuilder";
import { BudgetExceeded, ENTRY_OVERHEAD_BYTES } from "../../../src/baseline/budget";
import { capturingLogger, TempDirs, writeFile } from "./fixtures";

/** A layer dir of `files` files (plus its one directory) under top/. */
function layerOf(root: string, top: string, files: number, nameLength = 8): string {
  const dir = path.join(root, top);
  for (let i = 0; i < files; i++) writeFile(dir, `${top}/${String(i).padStart(nameLength, "0")}`, "x");
  return dir;
}

async function overBudget(promise: Promise<unknown>): Promise<BudgetExceeded> {
  let caught: unknown;
  await promise.catch((error: unknown) => (caught = error));
  assert.ok(caught instanceof BudgetExceeded, `expected BudgetExceeded, got ${String(caught)}`);
  return caught;
}

describe("the per-image baseline budget", () => {
  const temp = new TempDirs();
  let work: string;
  let stateDir: string;
  let layers: LayerSource[];
  beforeEach(() => {
    work = temp.make("budget");
    stateDir = path.join(work, "state");
    // Three layers of 41 entries each: every layer fits a budget of 100, the image does not.
    layers = ["a", "b", "c"].map((top, i) => ({ dir: layerOf(work, top, 40), identity: `layer-${i}` }));
  });
  afterEach(() => temp.cleanup());

  const cacheEntries = () => fs.readdirSync(path.join(stateDir, "baselines", "layers"));

  it("counts the entries of all layers together and stops where the image passes the budget", async () => {
    const { logger, records } = capturingLogger();
    const builder = new BaselineBuilder({ stateDir, logger, limits: { maxEntries: 100 } });
    const error = await overBudget(builder.imageTable(layers, "evil.example/huge:1"));
    assert.equal(error.code, "TOO_MANY_ENTRIES");
    assert.equal(error.exceeded, "entries");
    assert.equal(error.input, "evil.example/huge:1");
    assert.equal(error.counted.entries, 101, "the read stopped at the first entry past the budget");
    assert.match(error.message, /more than maxEntries 100 entries .* reached in layer 3 of 3 \(.*\/c\)/);
    assert.equal(error.firstReport, true);
    // The first two layers are complete and cached; the third was stopped and left nothing.
    assert.equal(records.filter((r) => r.msg === "layer baseline computed").length, 2);
    assert.equal(cacheEntries().length, 2);
    assert.deepEqual(
      cacheEntries().filter((f) => !f.endsWith(".layer")),
      [],
      "no temp file is left",
    );
  });

  it("counts manifest bytes too: long paths pass the byte budget long before the entry budget", async () => {
    const long = layerOf(work, "long", 30, 200);
    const bytesOf = (entries: number, pathBytes: number) => entries * ENTRY_OVERHEAD_BYTES + pathBytes;
    const budget = bytesOf(31, 30 * (1 + 4 + 1 + 200) + 5);
    const builder = new BaselineBuilder({ logger: capturingLogger().logger, limits: { maxManifestBytes: budget } });
    assert.equal((await builder.image([{ dir: long, identity: "long" }])).stats.manifestBytes, budget);
    const tight = new BaselineBuilder({ logger: capturingLogger().logger, limits: { maxManifestBytes: budget - 1 } });
    const error = await overBudget(tight.image([{ dir: long, identity: "long" }], "long:1"));
    assert.equal(error.code, "MANIFEST_TOO_LARGE");
    assert.match(error.message, new RegExp(`more than maxManifestBytes ${budget - 1} bytes`));
  });

  it("fails a second request for the same image at once, marked as reported, reading nothing", async () => {
    const { logger, records } = capturingLogger();
    const builder = new BaselineBuilder({ stateDir, logger, limits: { maxEntries: 100 } });
    await overBudget(builder.imageTable(layers, "huge:1"));
    const computed = records.filter((r) => r.msg === "layer baseline computed").length;
    const again = await overBudget(builder.imageTable(layers, "huge:1"));
    assert.equal(again.firstReport, false);
    assert.equal(again.message, (await overBudget(builder.imageTable(layers, "huge:1"))).message);
    assert.equal(records.filter((r) => r.msg === "layer baseline computed").length, computed, "nothing read again");
  });

  it("fails another image holding the over-budget layer without reading it again", async () => {
    const { logger, records } = capturingLogger();
    const builder = new BaselineBuilder({ stateDir, logger, limits: { maxEntries: 60 } });
    await overBudget(builder.image([layers[0], layers[1]], "two:1")); // layer b stops at 20 of 41
    // The same top layer on another base of 41: b cannot fit the 19 left, as it holds at least 20.
    const error = await overBudget(builder.image([layers[2], layers[1]], "other:1"));
    assert.equal(error.counted.entries, 41 + 20);
    const computed = records.filter((r) => r.msg === "layer baseline computed").map((r) => r.identity);
    assert.deepEqual(computed, ["layer-0", "layer-2"], "b was never read to the end, nor a second time");
  });

  it("never caches a layer stopped by the budget: an image with room for it reads it whole", async () => {
    const builder = new BaselineBuilder({ stateDir, logger: capturingLogger().logger, limits: { maxEntries: 60 } });
    await overBudget(builder.image(layers.slice(0, 2), "two:1"));
    assert.equal(cacheEntries().length, 1, "only the complete first layer");
    // Alone, layer b fits the same budget: it is read again in full, not taken from a stub.
    const alone = await builder.image([layers[1]], "b-only:1");
    assert.equal(alone.stats.cachedLayers, 0);
    assert.equal(alone.baseline.files.size, 40);
    const restarted = new BaselineBuilder({ stateDir, logger: capturingLogger().logger, limits: { maxEntries: 60 } });
    const cached = await restarted.image([layers[1]], "b-only:1");
    assert.equal(cached.stats.cachedLayers, 1);
    assert.equal(cached.baseline.files.size, 40);
  });

  it("charges cached layers to the budget from their header, without reading them", async () => {
    await new BaselineBuilder({ stateDir, logger: capturingLogger().logger }).image(layers);
    const { logger, records } = capturingLogger();
    const small = new BaselineBuilder({ stateDir, logger, limits: { maxEntries: 100 } });
    const error = await overBudget(small.image(layers, "huge:1"));
    assert.equal(error.counted.entries, 123, "three complete layers of 41, from their cache headers");
    assert.equal(records.filter((r) => r.msg === "layer baseline computed").length, 0);
  });

  it("refuses a cache entry cut short and reads the layer again", async () => {
    await new BaselineBuilder({ stateDir, logger: capturingLogger().logger }).image([layers[0]]);
    const [entry] = cacheEntries().map((f) => path.join(stateDir, "baselines", "layers", f));
    fs.truncateSync(entry, fs.statSync(entry).size - 7);
    const { logger, records } = capturingLogger();
    const again = await new BaselineBuilder({ stateDir, logger }).image([layers[0]]);
    assert.equal(again.stats.cachedLayers, 0);
    assert.equal(again.baseline.files.size, 40);
    assert.ok(
      records.some((r) => r.msg === "layer cache entry corrupt, recomputing" && /cut short/.test(String(r.err))),
    );
  });
});
