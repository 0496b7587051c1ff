// driftguard agent with --policy-dir on a real containerd + runc: containers in different
// Kubernetes namespaces under different policies, every allow and deny kind, flips from
// audit to enforce by editing a file, by a kubelet-style ..data swap and by enforceAfter,
// and a malformed file that changes nothing. No restart anywhere.
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { AgentProcess, type Finding } from "../../testbed/AgentProcess";
import { ContainerdTestBed, type BindMountSpec } from "../../testbed/ContainerdTestBed";
import { KubeletConfigMap } from "../../testbed/kubeletConfigMap";
import { buildOciImage, busyboxLayer, scratchDir } from "../../testbed/ociImage";
import { policyYaml } from "../../unit/policy/fixtures";
import { bedAgentArgs } from "../../testbed/agentArgs";

const IMAGE = "test.local/policies:1";
const POD_UID = "6f1e2d3c-0000-4000-8000-000000000001";
const ALLOWED_SCRIPT = "#!/bin/sh\necho digest-allowed\n";
const drift = (dir: string, word: string) => `mkdir -p ${dir} && cp /bin/busybox ${dir}/echo && ${dir}/echo ${word}`;

describe("driftguard agent with drift policies on containerd @root", function () {
  this.timeout(180000);
  let bed: ContainerdTestBed;
  let agent: AgentProcess | undefined;
  let scratch: { dir: string; remove: () => void };
  let policyDir: string;
  let configMap: KubeletConfigMap;
  let k8s: (namespace: string) => Record<string, string>;

  const shop = (mode: string) =>
    policyYaml("shop", { mode, priority: 10, selector: { namespaces: ["shop"] }, deny: [{ path: "/usr/bin/nc" }] });
  const staging = (mode: string) => policyYaml("staging", { mode, selector: { namespaces: ["staging"] } });

  before(async () => {
    scratch = scratchDir("e2e-policies");
    const busybox = fs.readFileSync("/bin/busybox");
    const image = buildOciImage(scratch.dir, IMAGE, [
      [
        ...busyboxLayer(),
        { kind: "dir", path: "usr/bin" },
        // Real files, not applet symlinks: deny and parents match the real file executed.
        { kind: "file", path: "usr/bin/nc", content: busybox, mode: 0o755 },
        { kind: "file", path: "opt/build/sh", content: busybox, mode: 0o755 },
        { kind: "dir", path: "scripts" },
        { kind: "dir", path: "cache" },
      ],
    ]);
    // Pod volumes where kubelet keeps them: the agent tells their kind from the path.
    const pods = path.join(scratch.dir, "pods");
    const volume = (plugin: string, name: string, script: string) => {
      const dir = path.join(pods, POD_UID, "volumes", plugin, name);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "run.sh"), script, { mode: 0o755 });
      return dir;
    };
    const mounts: BindMountSpec[] = [
      {
        type: "bind",
        source: volume("kubernetes.io~configmap", "scripts", "#!/bin/sh\necho cm-ran\n"),
        destination: "/scripts",
        options: ["rbind", "ro"],
      },
      {
        type: "bind",
        source: volume("kubernetes.io~empty-dir", "cache", "#!/bin/sh\necho cache-ran\n"),
        destination: "/cache",
        options: ["rbind", "rw"],
      },
    ];
    policyDir = path.join(scratch.dir, "policies");
    configMap = new KubeletConfigMap(policyDir);
    configMap.update({ "staging.yaml": staging("audit") });
    fs.writeFileSync(path.join(policyDir, "shop.yaml"), shop("audit"));
    fs.writeFileSync(
      path.join(policyDir, "prod.yaml"),
      policyYaml("prod", {
        mode: "enforce",
        priority: 10,
        selector: { namespaces: ["prod"] },
        allow: {
          paths: [{ path: "/tmp/jit/*", reason: "generated code" }],
          digests: [{ sha256: createHash("sha256").update(ALLOWED_SCRIPT).digest("hex"), reason: "known script" }],
          parents: [{ path: "/opt/build/sh", reason: "the build tool" }],
          volumes: [{ kind: "configMap", reason: "entrypoint scripts" }],
        },
        deny: [{ path: "/usr/bin/nc", reason: "no netcat" }],
      }),
    );
    fs.writeFileSync(
      path.join(policyDir, "later.yaml"),
      policyYaml("later", { mode: "audit", enforceAfter: "4s", selector: { namespaces: ["later"] } }),
    );
    bed = await ContainerdTestBed.start();
    await bed.importImage(image.archive);
    k8s = (namespace: string) => ({
      "io.kubernetes.pod.namespace": namespace,
      "io.kubernetes.pod.name": `${namespace}-0`,
      "io.kubernetes.pod.uid": POD_UID,
      "io.kubernetes.container.name": "app",
    });
    await bed.run("prod", IMAGE, ["sleep", "100000"], { labels: k8s("prod"), mounts });
    for (const ns of ["shop", "staging", "other"]) await bed.run(ns, IMAGE, ["sleep", "100000"], { labels: k8s(ns) });
    agent = await AgentProcess.start(
      bedAgentArgs(
        bed,
        { mode: "audit", stateDir: path.join(scratch.dir, "state") },
        "--kubelet-pods-dir",
        pods,
        "--policy-dir",
        policyDir,
      ),
    );
  });

  after(async () => {
    await agent?.stop();
    await bed?.stop();
    scratch?.remove();
  });

  const sh = (container: string, script: string) => bed.exec(container, ["/bin/sh", "-c", `${script}; echo rc=$?`]);

  async function findingFor(container: string, p: string): Promise<Finding> {
    const line = await agent!.waitFor((l) => l.finding?.container.id === container && l.finding.path === p);
    return line.finding!;
  }

  function findingsIn(container: string): Finding[] {
    return agent!.findings().filter((f) => f.container.id === container);
  }

  /** Writes, waits for the agent to apply it; returns the ms from the write. */
  async function applied(change: () => void, policy: string, mode: string): Promise<number> {
    const before = agent!.lines.length;
    const began = Date.now();
    change();
    await agent!.waitFor(
      (l) =>
        agent!.lines.indexOf(l) >= before &&
        l.msg === "policies applied" &&
        (l.policies as { name: string; mode: string }[]).some((p) => p.name === policy && p.mode === mode),
      5000,
    );
    return Date.now() - began;
  }

  it("blocks a drift under the enforce policy and audits the same drift under the audit one", async () => {
    const prod = await sh("prod", drift("/tmp/d", "ran"));
    const shopRun = await sh("shop", drift("/tmp/d", "ran"));
    const other = await sh("other", drift("/tmp/d", "ran"));
    assert.match(prod.stdout, /rc=126/);
    assert.doesNotMatch(prod.stdout, /^ran$/m);
    assert.match(shopRun.stdout, /^ran\nrc=0/m);
    assert.match(other.stdout, /^ran\nrc=0/m);
    const found = await Promise.all(["prod", "shop", "other"].map((c) => findingFor(c, "/tmp/d/echo")));
    assert.deepEqual(
      found.map((f) => [f.container.id, f.k8s.namespace, f.policy, f.mode, f.verdict, f.reason]),
      [
        ["prod", "prod", "prod", "enforce", "blocked", "new_file"],
        ["shop", "shop", "shop", "audit", "audited", "new_file"],
        ["other", "other", "default", "audit", "audited", "new_file"],
      ],
    );
  });

  it("allow.paths: drift under the allowed glob runs, next to it is blocked", async () => {
    const run = await sh("prod", `${drift("/tmp/jit", "jit-ran")}; ${drift("/tmp/jit2", "no")}`);
    assert.match(run.stdout, /^jit-ran$/m);
    assert.match(run.stdout, /rc=126/);
    assert.equal((await findingFor("prod", "/tmp/jit2/echo")).verdict, "blocked");
    assert.equal(findingsIn("prod").filter((f) => f.path === "/tmp/jit/echo").length, 0);
  });

  it("allow.digests: a new file with the allowed content runs, another is blocked", async () => {
    const script = (file: string, content: string) =>
      `printf '${content.replace(/\n/g, "\\n")}' > ${file} && chmod +x ${file}`;
    const run = await sh(
      "prod",
      `mkdir -p /tmp/s && ${script("/tmp/s/ok.sh", ALLOWED_SCRIPT)} && ${script("/tmp/s/other.sh", "#!/bin/sh\necho other\n")} && /tmp/s/ok.sh && /tmp/s/other.sh`,
    );
    assert.match(run.stdout, /^digest-allowed$/m);
    assert.doesNotMatch(run.stdout, /^other$/m);
    assert.match(run.stdout, /rc=126/);
    assert.equal((await findingFor("prod", "/tmp/s/other.sh")).reason, "new_file");
    assert.equal(findingsIn("prod").filter((f) => f.path === "/tmp/s/ok.sh").length, 0);
  });

  it("allow.parents: the allowed program may create and run a binary; the shell may not", async () => {
    const viaBuild = await bed.exec("prod", ["/opt/build/sh", "-c", `${drift("/tmp/p", "parent-ran")}; echo rc=$?`]);
    assert.match(viaBuild.stdout, /^parent-ran\nrc=0/m);
    const viaShell = await sh("prod", drift("/tmp/p2", "no"));
    assert.match(viaShell.stdout, /rc=126/);
    const f = await findingFor("prod", "/tmp/p2/echo");
    assert.equal(f.process.exe, "/bin/busybox");
    assert.equal(findingsIn("prod").filter((x) => x.path === "/tmp/p/echo").length, 0);
  });

  it("allow.volumes (kind configMap): the ConfigMap's script runs, the emptyDir's is blocked", async () => {
    const run = await sh("prod", "/scripts/run.sh; /cache/run.sh");
    assert.match(run.stdout, /^cm-ran$/m);
    assert.doesNotMatch(run.stdout, /cache-ran/);
    assert.match(run.stdout, /rc=126/);
    const f = await findingFor("prod", "/cache/run.sh");
    assert.deepEqual([f.reason, f.verdict], ["volume", "blocked"]);
    assert.equal(findingsIn("prod").filter((x) => x.path === "/scripts/run.sh").length, 0);
  });

  it("deny: an image binary is blocked under enforce, recorded under audit, and runs where no policy denies it", async () => {
    const prod = await sh("prod", "/usr/bin/nc --help 2>/dev/null");
    assert.match(prod.stdout, /rc=126/);
    const shopRun = await sh("shop", "/usr/bin/nc --help 2>&1 | head -1");
    assert.match(shopRun.stdout, /BusyBox/);
    const staging = await sh("staging", "/usr/bin/nc --help 2>&1 | head -1");
    assert.match(staging.stdout, /BusyBox/);
    assert.deepEqual(
      [await findingFor("prod", "/usr/bin/nc"), await findingFor("shop", "/usr/bin/nc")].map((f) => [
        f.policy,
        f.verdict,
        f.reason,
      ]),
      [
        ["prod", "blocked", "denied"],
        ["shop", "audited", "denied"],
      ],
    );
    assert.equal(findingsIn("staging").filter((f) => f.path === "/usr/bin/nc").length, 0);
  });

  it("editing a policy file turns audit into enforce for the next drift within 1 s", async () => {
    const ms = await applied(
      () => fs.writeFileSync(path.join(policyDir, "shop.yaml"), shop("enforce")),
      "shop",
      "enforce",
    );
    const run = await sh("shop", drift("/tmp/e", "no"));
    console.log(`      file edit applied in ${ms} ms`);
    assert.ok(ms < 1000, `${ms} ms`);
    assert.match(run.stdout, /rc=126/);
    const f = await findingFor("shop", "/tmp/e/echo");
    assert.deepEqual([f.policy, f.mode, f.verdict], ["shop", "enforce", "blocked"]);
  });

  it("a kubelet ConfigMap update (..data swap) turns audit into enforce within 1 s", async () => {
    const before = await sh("staging", drift("/tmp/f", "ran"));
    assert.match(before.stdout, /^ran\nrc=0/m);
    const ms = await applied(() => configMap.update({ "staging.yaml": staging("enforce") }), "staging", "enforce");
    const run = await sh("staging", drift("/tmp/g", "no"));
    console.log(`      ..data swap applied in ${ms} ms`);
    assert.ok(ms < 1000, `${ms} ms`);
    assert.match(run.stdout, /rc=126/);
    const f = await findingFor("staging", "/tmp/g/echo");
    assert.deepEqual([f.policy, f.mode, f.verdict], ["staging", "enforce", "blocked"]);
  });

  it("a malformed file is logged with its location, and enforcement goes on unchanged", async () => {
    const broken = path.join(policyDir, "broken.yaml");
    const linesBefore = agent!.lines.length;
    fs.writeFileSync(broken, policyYaml("broken", { mode: "enforce", selector: { namespaces: "prod" } }));
    const error = await agent!.waitFor((l) => agent!.lines.indexOf(l) >= linesBefore && l.msg === "policy error", 2000);
    assert.deepEqual(
      [error.component, error.code, error.file, error.line, error.column, error.field],
      ["policy", "wrong_type", broken, 8, 17, "spec.selector.namespaces"],
    );
    await agent!.waitFor((l) => l.msg === "policy set rejected; the last good set stays in force");
    const run = await sh("shop", drift("/tmp/h", "no"));
    const other = await sh("other", drift("/tmp/h", "ran"));
    assert.match(run.stdout, /rc=126/);
    assert.match(other.stdout, /^ran\nrc=0/m);
    assert.equal((await findingFor("shop", "/tmp/h/echo")).policy, "shop");
    assert.ok(!agent!.lines.slice(linesBefore).some((l) => l.msg === "policies applied"), "nothing was applied");
    fs.rmSync(broken);
  });

  it("enforceAfter turns audit into enforce when it passes, with no file change and no restart", async () => {
    // The clock starts when the policy first applies: when this container attaches.
    await bed.run("later", IMAGE, ["sleep", "100000"], { labels: k8s("later") });
    await agent!.waitFor((l) => l.msg === "container attached" && l.container === "later");
    const attachedAt = Date.now();
    const early = await sh("later", drift("/tmp/a", "ran"));
    assert.match(early.stdout, /^ran\nrc=0/m, "audit during the first 4 s");
    assert.equal((await findingFor("later", "/tmp/a/echo")).mode, "audit");
    const reached = await agent!.waitFor((l) => l.msg === "enforceAfter reached: audit turns into enforce", 15000);
    assert.deepEqual(reached.policies, ["later"]);
    assert.ok(Date.now() - attachedAt >= 3500, `${Date.now() - attachedAt} ms`);
    const late = await sh("later", drift("/tmp/b", "no"));
    assert.match(late.stdout, /rc=126/);
    const f = await findingFor("later", "/tmp/b/echo");
    assert.deepEqual([f.policy, f.mode, f.verdict], ["later", "enforce", "blocked"]);
  });
});
