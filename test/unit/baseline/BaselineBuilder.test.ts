import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { BaselineBuilder } from "../../../src/baseline/BaselineBuilder";
import { LayerCache } from "../../../src/baseline/layerCache";
import { capturingLogger, ELF_HEAD, TempDirs, sha256, writeFile } from "./fixtures";
import { threeLayerImage } from "./ociImages";

function program(tag: string, bytes = 4096): Buffer {
  return Buffer.concat([ELF_HEAD, Buffer.alloc(bytes, tag)]);
}

describe("BaselineBuilder", () => {
  const temp = new TempDirs();
  let base: string;
  let app: string;
  let other: string;
  let stateDir: string;
  beforeEach(() => {
    const work = temp.make("builder");
    base = path.join(work, "base");
    app = path.join(work, "app");
    other = path.join(work, "other");
    stateDir = path.join(work, "state");
    writeFile(base, "bin/sh", program("s"), 0o755);
    writeFile(base, "etc/passwd", "root:x:0:0\n");
    writeFile(app, "app/server", program("a", 100000), 0o755);
    writeFile(app, "bin/.wh.sh", "");
    writeFile(other, "opt/tool", program("o", 7000), 0o755);
  });
  afterEach(() => temp.cleanup());

  const layers = () => [
    { dir: base, identity: "chain-base" },
    { dir: app, identity: "chain-app" },
  ];

  it("merges an image's layers and reports what it hashed", async () => {
    const { baseline, stats } = await new BaselineBuilder({ logger: capturingLogger().logger }).image(layers());
    assert.deepEqual([...baseline.files.keys()], ["/app/server", "/etc/passwd"]);
    assert.equal(baseline.files.get("/app/server")?.sha256, sha256(program("a", 100000)));
    assert.deepEqual(baseline.layers, ["chain-base", "chain-app"]);
    assert.equal(stats.layers, 2);
    assert.equal(stats.cachedLayers, 0);
    assert.equal(stats.hashedBytes, program("s").length + program("a", 100000).length);
    assert.equal(stats.programs, 1);
  });

  it("a restarted agent (new builder, same stateDir) hashes nothing", async () => {
    const first = await new BaselineBuilder({ stateDir, logger: capturingLogger().logger }).image(layers());
    // Change a layer file behind the cache's back: only a re-hash could notice.
    fs.writeFileSync(path.join(app, "app/server"), program("X", 100000));
    const second = await new BaselineBuilder({ stateDir, logger: capturingLogger().logger }).image(layers());
    assert.equal(second.stats.hashedBytes, 0);
    assert.equal(second.stats.cachedLayers, 2);
    assert.deepEqual([...second.baseline.files], [...first.baseline.files]);
    assert.equal(
      fs.readdirSync(path.join(stateDir, "baselines", "layers")).filter((f) => f.endsWith(".layer")).length,
      2,
    );
    // Without the cache the changed file is seen: the check above could fail.
    const fresh = await new BaselineBuilder({ logger: capturingLogger().logger }).image(layers());
    assert.equal(fresh.baseline.files.get("/app/server")?.sha256, sha256(program("X", 100000)));
  });

  it("an image sharing layers with a known image costs only its new layers", async () => {
    const builder = new BaselineBuilder({ stateDir, logger: capturingLogger().logger });
    await builder.image(layers());
    const second = await builder.image([
      { dir: base, identity: "chain-base" },
      { dir: other, identity: "chain-other" },
    ]);
    assert.equal(second.stats.cachedLayers, 1);
    assert.equal(second.stats.hashedBytes, program("o", 7000).length);
    assert.deepEqual([...second.baseline.files.keys()], ["/bin/sh", "/etc/passwd", "/opt/tool"]);
  });

  it("computes a layer requested twice at once only once", async () => {
    const { logger, records } = capturingLogger();
    const builder = new BaselineBuilder({ logger });
    const [a, b] = await Promise.all([builder.image(layers()), builder.image(layers())]);
    assert.deepEqual([...a.baseline.files], [...b.baseline.files]);
    assert.equal(records.filter((r) => r.msg === "layer baseline computed").length, 2);
    assert.equal(a.stats.cachedLayers + b.stats.cachedLayers, 2);
    assert.equal(a.stats.hashedBytes + b.stats.hashedBytes, program("s").length + program("a", 100000).length);
  });

  it("treats a corrupt, truncated or foreign cache entry as a miss, warns and rewrites it", async () => {
    await new BaselineBuilder({ stateDir, logger: capturingLogger().logger }).image(layers());
    const cacheDir = path.join(stateDir, "baselines", "layers");
    const [one, two] = fs.readdirSync(cacheDir).map((f) => path.join(cacheDir, f));
    fs.writeFileSync(one, "{ not json");
    fs.writeFileSync(two, JSON.stringify({ cacheVersion: 99, identity: "chain-app", manifest: {} }));
    const { logger, records } = capturingLogger();
    const again = await new BaselineBuilder({ stateDir, logger }).image(layers());
    assert.equal(again.stats.cachedLayers, 0);
    assert.equal(records.filter((r) => r.msg === "layer cache entry corrupt, recomputing").length, 2);
    const third = await new BaselineBuilder({ stateDir, logger: capturingLogger().logger }).image(layers());
    assert.equal(third.stats.cachedLayers, 2, "the corrupt entries were rewritten");
    assert.deepEqual([...third.baseline.files], [...again.baseline.files]);
  });

  it("keeps working when the cache cannot be written", async () => {
    fs.writeFileSync(stateDir, "a file where the state dir should be");
    const { logger, records } = capturingLogger();
    const result = await new BaselineBuilder({ stateDir, logger }).image(layers());
    assert.equal(result.baseline.files.size, 2);
    assert.ok(records.some((r) => r.msg === "cannot write layer cache entry"));
  });

  it("does not reuse a cache entry made with another maxHashBytes", async () => {
    await new BaselineBuilder({ stateDir, logger: capturingLogger().logger }).image(layers());
    const small = await new BaselineBuilder({
      stateDir,
      limits: { maxHashBytes: 1000 },
      logger: capturingLogger().logger,
    }).image(layers());
    assert.equal(small.stats.cachedLayers, 0);
    assert.equal(small.baseline.files.get("/app/server")?.sha256, undefined);
  });

  it("removes the cache entries of the old format and the temp files of writers that died", async () => {
    await new BaselineBuilder({ stateDir, logger: capturingLogger().logger }).image(layers());
    const cacheDir = path.join(stateDir, "baselines", "layers");
    const dead = spawnSync("true").pid; // a pid that is gone
    const stale = ["0123.json", `abcd.layer.${dead}.0a0b0c0d.tmp`];
    const live = `ef01.layer.${process.pid}.0a0b0c0d.tmp`; // a writer still at work
    for (const name of [...stale, live]) fs.writeFileSync(path.join(cacheDir, name), "x");
    await new LayerCache(stateDir, capturingLogger().logger).removeStale();
    const left = fs.readdirSync(cacheDir);
    assert.deepEqual(
      left.filter((f) => stale.includes(f)),
      [],
    );
    assert.ok(left.includes(live));
    assert.equal(left.filter((f) => f.endsWith(".layer")).length, 2, "complete entries stay");
  });

  it("caches archive layers by blob digest", async () => {
    const image = threeLayerImage(temp.make("builder-oci"));
    const first = await new BaselineBuilder({ stateDir, logger: capturingLogger().logger }).archive(image.archive);
    assert.equal(first.stats.cachedLayers, 0);
    assert.ok(first.stats.hashedBytes > 0);
    const second = await new BaselineBuilder({ stateDir, logger: capturingLogger().logger }).archive(image.archive);
    assert.equal(second.stats.cachedLayers, 3);
    assert.equal(second.stats.hashedBytes, 0);
    assert.deepEqual([...second.baseline.files], [...first.baseline.files]);
  });
});
