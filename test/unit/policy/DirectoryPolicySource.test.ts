// DirectoryPolicySource with real files and chokidar: edits and kubelet's ..data swap
// apply within 1 s, a broken file keeps the last good set, enforceAfter turns audit into
// enforce on its own timer and survives a restart, a sandbox's pod labels re-resolve.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { DirectoryPolicySource } from "../../../src/policy/DirectoryPolicySource";
import { containerRecord, memoryLogger, policyYaml } from "./fixtures";
import { KubeletConfigMap } from "../../testbed/kubeletConfigMap";

const SHOP = containerRecord("c1", {
  "io.kubernetes.pod.namespace": "shop",
  "io.kubernetes.pod.uid": "uid-1",
  "io.kubernetes.container.name": "web",
});
const OTHER = containerRecord("c2", { "io.kubernetes.pod.namespace": "other" });

describe("DirectoryPolicySource", function () {
  this.timeout(20000);
  let root: string;
  let sources: DirectoryPolicySource[];
  const latencies: number[] = [];

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-policies-"));
    sources = [];
  });

  afterEach(async () => {
    for (const source of sources) await source.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  after(() => {
    if (latencies.length > 0)
      console.log(`      reload latencies (ms): ${latencies.map((ms) => ms.toFixed(0)).join(", ")}`);
  });

  async function start(dir: string, defaultMode: "audit" | "enforce" = "audit") {
    const { logger, lines } = memoryLogger();
    const source = new DirectoryPolicySource({
      dir,
      defaultMode,
      stateDir: path.join(root, "state"),
      kubeletPodsDir: "/var/lib/kubelet/pods",
      logger,
      resyncMs: 0, // only events: a missed one must fail these tests
    });
    sources.push(source);
    const result = await source.start();
    return { source, lines, result };
  }

  /** Runs change() and resolves with the ms until the source announces a change. */
  function changeLatency(source: DirectoryPolicySource, change: () => void, timeoutMs = 1000): Promise<number> {
    return new Promise((resolve, reject) => {
      let began = 0;
      const timer = setTimeout(() => reject(new Error(`no change announced within ${timeoutMs} ms`)), timeoutMs);
      source.onChange(() => {
        clearTimeout(timer);
        resolve(performance.now() - began);
      });
      began = performance.now();
      change();
    });
  }

  it("resolves each container from the directory's policies, and the default for the rest", async () => {
    const dir = path.join(root, "plain");
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, "shop.yaml"),
      policyYaml("shop", { mode: "enforce", selector: { namespaces: ["shop"] } }),
    );
    fs.writeFileSync(path.join(dir, "ignored.txt"), "not a policy");
    const { source, result } = await start(dir);
    assert.deepEqual(result.issues, []);
    assert.deepEqual([source.policyFor(SHOP).name, source.policyFor(SHOP).mode], ["shop", "enforce"]);
    assert.deepEqual(source.policyFor(OTHER), { name: "default", mode: "audit", allowPaths: [], allowDigests: [] });
  });

  it("applies an edited file within 1 s", async () => {
    const dir = path.join(root, "plain");
    fs.mkdirSync(dir);
    const file = path.join(dir, "shop.yaml");
    fs.writeFileSync(file, policyYaml("shop", { mode: "audit", selector: { namespaces: ["shop"] } }));
    const { source, lines } = await start(dir);
    assert.equal(source.policyFor(SHOP).mode, "audit");
    const ms = await changeLatency(source, () =>
      fs.writeFileSync(file, policyYaml("shop", { mode: "enforce", selector: { namespaces: ["shop"] } })),
    );
    latencies.push(ms);
    assert.ok(ms < 1000, `${ms} ms`);
    assert.equal(source.policyFor(SHOP).mode, "enforce");
    assert.ok(lines.some((l) => l.msg === "policies applied" && l.trigger === "change"));
  });

  it("applies a kubelet ConfigMap update (..data symlink swap) within 1 s, and removed keys go", async () => {
    const volume = new KubeletConfigMap(path.join(root, "configmap"));
    volume.update({
      "shop.yaml": policyYaml("shop", { mode: "audit", selector: { namespaces: ["shop"] } }),
      "other.yaml": policyYaml("other", { mode: "disabled", selector: { namespaces: ["other"] } }),
    });
    const { source } = await start(volume.dir);
    assert.equal(source.policyFor(SHOP).mode, "audit");
    assert.equal(source.policyFor(OTHER).name, "other");
    const ms = await changeLatency(source, () =>
      volume.update({ "shop.yaml": policyYaml("shop", { mode: "enforce", selector: { namespaces: ["shop"] } }) }),
    );
    latencies.push(ms);
    assert.ok(ms < 1000, `${ms} ms`);
    assert.equal(source.policyFor(SHOP).mode, "enforce");
    assert.equal(source.policyFor(OTHER).name, "default", "other.yaml was removed from the ConfigMap");
    assert.equal(source.stats().rejectedLoads, 0, "the swap is atomic: no load saw a half-written set");
  });

  it("logs a broken file with its line and field, and keeps the last good set in force", async () => {
    const dir = path.join(root, "plain");
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, "shop.yaml"),
      policyYaml("shop", { mode: "enforce", selector: { namespaces: ["shop"] } }),
    );
    const { source, lines } = await start(dir);
    let changes = 0;
    source.onChange(() => changes++);
    const broken = path.join(dir, "shop.yaml");
    fs.writeFileSync(broken, policyYaml("shop", { mode: "enforce", selector: { namespaces: "shop" } }));
    const deadline = Date.now() + 1000;
    while (
      !lines.some((l) => l.msg === "policy set rejected; the last good set stays in force") &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const error = lines.find((l) => l.msg === "policy error");
    assert.deepEqual(error && [error.code, error.file, error.line, error.column, error.field, error.policy], [
      "wrong_type",
      broken,
      8,
      17,
      "spec.selector.namespaces",
      "shop",
    ]);
    assert.match(String(error?.problem), /must be a list/);
    assert.equal(changes, 0);
    assert.deepEqual([source.policyFor(SHOP).name, source.policyFor(SHOP).mode], ["shop", "enforce"]);
    assert.equal(source.stats().rejectedLoads, 1);
    assert.equal(source.stats().lastErrors, 1);
    // Fixed again: applies.
    await changeLatency(source, () =>
      fs.writeFileSync(broken, policyYaml("shop", { mode: "audit", selector: { namespaces: ["shop"] } })),
    );
    assert.equal(source.policyFor(SHOP).mode, "audit");
  });

  it("starting with a broken file: the valid policies apply", async () => {
    const dir = path.join(root, "plain");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "a.yaml"), "spec: [\n");
    fs.writeFileSync(
      path.join(dir, "shop.yaml"),
      policyYaml("shop", { mode: "enforce", selector: { namespaces: ["shop"] } }),
    );
    const { source, result } = await start(dir);
    assert.deepEqual(
      result.issues.map((i) => i.code),
      ["yaml_syntax"],
    );
    assert.equal(source.policyFor(SHOP).name, "shop");
  });

  it("watches a directory that appears only after the start", async () => {
    const dir = path.join(root, "later", "policies");
    const { source, result } = await start(dir);
    assert.deepEqual(
      result.issues.map((i) => i.code),
      ["dir_unreadable"],
    );
    await changeLatency(
      source,
      () => {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(
          path.join(dir, "shop.yaml"),
          policyYaml("shop", { mode: "enforce", selector: { namespaces: ["shop"] } }),
        );
      },
      2500,
    );
    assert.equal(source.policyFor(SHOP).name, "shop");
    // And it is watched from then on.
    const ms = await changeLatency(source, () => fs.rmSync(path.join(dir, "shop.yaml")));
    assert.ok(ms < 1000, `${ms} ms`);
    assert.equal(source.policyFor(SHOP).name, "default");
  });

  it("turns audit into enforce when enforceAfter passes, with no file event, and remembers across restarts", async () => {
    const dir = path.join(root, "plain");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "rollout.yaml"), policyYaml("rollout", { mode: "audit", enforceAfter: "2s" }));
    const { source, lines } = await start(dir);
    const began = Date.now();
    assert.equal(source.policyFor(SHOP).mode, "audit", "first applied now: 2 s of audit to go");
    await new Promise<void>((resolve) => source.onChange(resolve));
    const flippedAfter = Date.now() - began;
    assert.ok(flippedAfter >= 1900 && flippedAfter < 3000, `${flippedAfter} ms`);
    assert.equal(source.policyFor(SHOP).mode, "enforce");
    assert.ok(lines.some((l) => l.msg === "enforceAfter reached: audit turns into enforce"));
    assert.equal(source.stats().enforceAfterFlips, 1);
    // A new agent with the same state dir continues the clock: enforce at once.
    await source.close();
    const restarted = await start(dir);
    assert.equal(restarted.source.policyFor(OTHER).mode, "enforce");
    const state = JSON.parse(fs.readFileSync(path.join(root, "state", "policy-first-applied.json"), "utf8"));
    const firstApplied = Date.parse(state.firstApplied.rollout);
    assert.ok(firstApplied >= began && firstApplied < began + 1000, state.firstApplied.rollout);
  });

  it("drops a break-glass exception when it expires, with no file event, and logs it", async () => {
    const dir = path.join(root, "plain");
    fs.mkdirSync(dir);
    const expires = new Date(Date.now() + 1500).toISOString();
    const allow = {
      paths: [
        { path: "/tmp/debug/*", reason: "debugging INC-42", expires },
        { path: "/app/cache/*", reason: "generated" },
      ],
    };
    fs.writeFileSync(path.join(dir, "p.yaml"), policyYaml("shop", { mode: "enforce", allow }));
    const { source, lines } = await start(dir);
    assert.deepEqual(source.policyFor(SHOP).allowPaths, ["/tmp/debug/*", "/app/cache/*"]);
    const began = Date.now();
    await new Promise<void>((resolve) => source.onChange(resolve));
    assert.ok(Date.now() - began < 2500, `${Date.now() - began} ms`);
    assert.deepEqual(source.policyFor(SHOP).allowPaths, ["/app/cache/*"]);
    const logged = lines.find((l) => l.msg === "exception expired");
    assert.deepEqual(
      [logged?.policy, logged?.exception, logged?.reason, logged?.expires],
      ["shop", "path /tmp/debug/*", "debugging INC-42", expires],
    );
  });

  it("re-resolves a pod's containers when its sandbox brings the pod's labels", async () => {
    const dir = path.join(root, "plain");
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, "web.yaml"),
      policyYaml("web", { mode: "enforce", selector: { matchLabels: { app: "web" } } }),
    );
    const { source } = await start(dir);
    const pod = { "io.kubernetes.pod.namespace": "shop", "io.kubernetes.pod.uid": "uid-9" };
    const app = containerRecord("app", { ...pod, "io.cri-containerd.kind": "container", app: "web" });
    const sandbox = containerRecord("sb", { ...pod, "io.cri-containerd.kind": "sandbox", app: "web" });
    assert.equal(source.policyFor(app).name, "default", "an app container's own labels (its image's) do not count");
    const changed = new Promise<void>((resolve) => source.onChange(resolve));
    assert.equal(source.policyFor(sandbox).name, "web");
    await changed;
    assert.equal(source.policyFor(app).name, "web");
  });
});
