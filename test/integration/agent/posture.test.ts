// Container posture on a real containerd + runc: containers started privileged, with the
// host's / and the runtime's socket mounted, with added capabilities and in the host's PID
// namespace each give exactly their finding, once, on the agent's log, on the collector and
// on its webhook; a plain container and one its policy allows give none (and `policy
// explain` says why); an agent restart re-reports only what the collector does not have;
// posture.enforce stops a container; the privileged pod's ASFF carries GuardDuty's type.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

import Database from "better-sqlite3";

import type { FindingView, PostureView } from "../../../src/api/findingView";
import type { StoredFinding } from "../../../src/collector/store/FindingStore";
import { reasonsMatching } from "../../../src/domain/driftReason";
import { AgentProcess, CLI } from "../../testbed/AgentProcess";
import { bedAgentArgs } from "../../testbed/agentArgs";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import { scratchDir } from "../../testbed/ociImage";
import { runCommand } from "../../testbed/processes";
import { policyYaml } from "../../unit/policy/fixtures";
import { buildDriftImage } from "./driftImage";

const IMAGE = "test.local/drift:1";
const POSTURE = reasonsMatching("posture_*");
const CNI_REASON = "the CNI configures the node's network";

/** Container id → its pod labels, the ctr flags that give it its posture, and the findings it must give. */
type Case = { labels?: Record<string, string>; flags: (bed: ContainerdTestBed) => string[]; expect: string[] };
const BEFORE_AGENT: Record<string, Case> = {
  plain: { flags: () => [], expect: [] },
  privileged: { flags: () => ["--privileged"], expect: ["posture_privileged"] },
  "root-mount": {
    flags: () => ["--mount", "type=bind,src=/,dst=/host,options=rbind:ro"],
    expect: ["posture_sensitive_mount"],
  },
  "runtime-socket": {
    flags: (bed) => ["--mount", `type=bind,src=${bed.address},dst=/run/containerd/containerd.sock,options=bind:rw`],
    expect: ["posture_runtime_socket"],
  },
  capabilities: {
    flags: () => ["--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_NET_ADMIN"],
    expect: ["posture_capabilities"],
  },
  "host-pid": { flags: () => ["--with-ns", "pid:/proc/self/ns/pid"], expect: ["posture_host_pid"] },
  // ctr's --net-host also binds the host's /etc/hosts and /etc/resolv.conf read-only: routine, not reported.
  "host-network": { flags: () => ["--net-host"], expect: ["posture_host_network"] },
  "host-ipc": { flags: () => ["--with-ns", "ipc:/proc/self/ns/ipc"], expect: ["posture_host_ipc"] },
  "writable-sysfs": {
    flags: () => ["--mount", "type=sysfs,src=sysfs,dst=/host-sys,options=nosuid:noexec:nodev:rw"],
    expect: ["posture_writable_sysfs"],
  },
  allowed: { labels: { app: "cni" }, flags: () => ["--privileged"], expect: [] },
  // Pod Security restricted adds seccomp: ctr runs without a filter unless --seccomp.
  restricted: { labels: { app: "restricted" }, flags: () => [], expect: ["posture_no_seccomp"] },
  "restricted-seccomp": { labels: { app: "restricted" }, flags: () => ["--seccomp"], expect: [] },
};
/** Started while the agent runs: attached when containerd creates the task. */
const AFTER_AGENT: Record<string, Case> = {
  "late-privileged": { flags: () => ["--privileged"], expect: ["posture_privileged"] },
};

const pod = (id: string, extra: Record<string, string> = {}) => ({
  "io.kubernetes.pod.namespace": "shop",
  "io.kubernetes.pod.name": `${id}-0`,
  "io.kubernetes.container.name": "app",
  ...extra,
});

describe("container posture on containerd @root", function () {
  this.timeout(240_000);
  let bed: ContainerdTestBed | undefined;
  let agent: AgentProcess | undefined;
  let harness: Harness | undefined;
  let hook: http.Server | undefined;
  let scratch: { dir: string; remove: () => void };
  let policyDir: string;
  const posted: { id: string; reason: string; containerId: string; posture?: PostureView }[] = [];

  const agentArgs = () => {
    const conn = harness!.agentConnection();
    // prettier-ignore
    return bedAgentArgs(bed!, { mode: "audit", stateDir: path.join(scratch.dir, "state") },
      "--node-name", "node-posture", "--cluster-name", "posture", "--policy-dir", policyDir,
      "--collector-address", conn.address, "--collector-ca", conn.caFile!,
      "--agent-cert", conn.certFile!, "--agent-key", conn.keyFile!);
  };
  const stored = async (): Promise<StoredFinding[]> =>
    (await harness!.collector.store.list({ reasons: [...POSTURE] }, 1000, "")).findings;
  const waitUntil = async (what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await ok())) {
      if (Date.now() > deadline)
        throw new Error(`timed out: ${what}; agent log: ${JSON.stringify(agent?.lines.slice(-8))}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const expected = (cases: Record<string, Case>) =>
    Object.entries(cases).flatMap(([id, c]) => c.expect.map((reason) => `${id} ${reason}`));
  const ALL = [...expected(BEFORE_AGENT), ...expected(AFTER_AGENT)].sort();
  const shown = (findings: { containerId: string; reason: string }[]) =>
    findings.map((f) => `${f.containerId} ${f.reason}`).sort();

  before(async () => {
    scratch = scratchDir("e2e-posture");
    hook = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        const { finding: f } = JSON.parse(body) as { finding: FindingView };
        posted.push({ id: f.id, reason: f.reason, containerId: f.containerId, posture: f.posture });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook!.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    harness = await startHarness({ webhook: { url, secret: Buffer.from("posture-webhook-secret-0123") } });
    policyDir = path.join(scratch.dir, "policies");
    fs.mkdirSync(policyDir);
    // Policy name → the app label it selects and what it sets (audit, priority 10 unless said).
    const policies: [string, string, Record<string, unknown>][] = [
      ["cni-node", "cni", { allow: { posture: [{ property: "privileged", reason: CNI_REASON }] } }],
      ["no-privileged", "forbidden", { mode: "enforce", posture: { enforce: true } }],
      ["restricted-pods", "restricted", { posture: { level: "restricted" } }],
    ];
    for (const [name, app, spec] of policies) {
      const policy = { mode: "audit", priority: 10, selector: { matchLabels: { app } }, ...spec };
      fs.writeFileSync(path.join(policyDir, `${name}.yaml`), policyYaml(name, policy));
    }
    bed = await ContainerdTestBed.start();
    await bed.importImage(buildDriftImage(scratch.dir).archive);
    for (const [id, c] of Object.entries(BEFORE_AGENT)) {
      await bed.run(id, IMAGE, ["sleep", "100000"], { labels: pod(id, c.labels), flags: c.flags(bed) });
    }
    agent = await AgentProcess.start(agentArgs());
    for (const [id, c] of Object.entries(AFTER_AGENT)) {
      await bed.run(id, IMAGE, ["sleep", "100000"], { labels: pod(id, c.labels), flags: c.flags(bed) });
    }
  });

  after(async () => {
    await agent?.stop();
    await bed?.stop();
    await harness?.stop();
    hook?.closeAllConnections();
    await new Promise((resolve) => hook?.close(resolve));
    scratch?.remove();
  });

  it("gives each container exactly its findings, once: log line, collector and webhook", async () => {
    await waitUntil("the collector has every posture finding", async () => (await stored()).length >= ALL.length);
    await waitUntil("the webhook got them", () => posted.length >= ALL.length);
    // A policy change re-judges every container: it must report nothing again.
    fs.writeFileSync(
      path.join(policyDir, "other.yaml"),
      policyYaml("other", { mode: "audit", selector: { namespaces: ["x"] } }),
    );
    await agent!.waitFor((l) => l.msg === "policies applied" && l.trigger === "change");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(
      shown(agent!.postureFindings().map((f) => ({ containerId: f.container.id, reason: f.reason }))),
      ALL,
    );
    assert.deepEqual(shown(await stored()), ALL);
    for (const f of await stored()) assert.deepEqual([f.k8sNamespace, f.pod], ["shop", `${f.containerId}-0`]);
    assert.deepEqual(shown(posted), ALL);
    const privileged = agent!.postureFindings().find((f) => f.container.id === "privileged")!;
    assert.deepEqual(
      [privileged.verdict, privileged.action, privileged.mode, privileged.k8s.pod],
      ["audited", "audited", "audit", "privileged-0"],
    );
    assert.match(privileged.posture!.meaning, /^privileged: .*drift prevention cannot be complete for it$/);
    assert.equal(privileged.posture!.guardDuty, "PrivilegeEscalation:Kubernetes/PrivilegedContainer");
    assert.equal(privileged.posture!.pss, "baseline: Privileged Containers");
    const socket = agent!.postureFindings().find((f) => f.container.id === "runtime-socket")!;
    assert.equal(socket.posture!.specField, "mounts[7]");
    assert.equal(socket.posture!.key, "/run/containerd/containerd.sock");
    assert.match(socket.posture!.value, /\(writable\): the container runtime's socket /);
    const caps = agent!.postureFindings().find((f) => f.container.id === "capabilities")!;
    assert.match(caps.posture!.value, /^CAP_SYS_ADMIN \(dangerous\), CAP_NET_ADMIN \(dangerous\)/);
    // The webhook gets the evidence with what it means, its rule and GuardDuty's type.
    const hooked = posted.find((p) => p.containerId === "root-mount")!.posture!;
    assert.deepEqual(
      [hooked.property, hooked.specField, hooked.key, hooked.pssLevel, hooked.guardDutyType],
      ["sensitive_mount", "mounts[7]", "/host", "baseline", "Persistence:Kubernetes/ContainerWithSensitiveMount"],
    );
    assert.match(hooked.value, /^\/ -> \/host \(read-only\): the host's root filesystem$/);
    assert.match(hooked.meaning, /^sensitive host path mounted: /);
  });

  it("says why the allowed container gets none (policy explain)", async () => {
    const explain = await runCommand(
      process.execPath,
      [CLI, "policy", "explain", "--namespace", "shop", "--labels", "app=cni", "--image", IMAGE, policyDir],
      30_000,
    );
    assert.equal(explain.code, 0, explain.stderr);
    assert.match(explain.stdout, /^policy: cni-node$/m);
    assert.match(explain.stdout, new RegExp(`^  allow privileged: ${CNI_REASON}$`, "m"));
    const debug = agent!.lines.find((l) => l.msg === "posture allowed by policy" && l.container === "allowed");
    assert.deepEqual(debug?.allowed, [{ property: "privileged", reason: CNI_REASON }]);
  });

  it("lists them with --reason posture_* and exports the privileged pod's with GuardDuty's type (ASFF)", async () => {
    const tokenFile = path.join(harness!.dir, "posture-reader-token");
    fs.writeFileSync(tokenFile, harness!.tokens.reader);
    // prettier-ignore
    const cli = (...args: string[]) => runCommand(process.execPath, [CLI, "findings", ...args,
      "--server", harness!.address, "--ca", harness!.certs.ca.certFile, "--token-file", tokenFile], 30_000);
    const list = await cli("list", "--json", "--reason", "posture_*");
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(shown(JSON.parse(list.stdout)), ALL);
    const exported = await cli(
      "export",
      "--format",
      "asff",
      "--aws-account",
      "123456789012",
      "--aws-region",
      "eu-west-1",
      "--pod",
      "privileged-0",
    );
    assert.equal(exported.code, 0, exported.stderr);
    const [finding] = JSON.parse(exported.stdout.split("\n")[0]).Findings;
    const type = "TTPs/Privilege Escalation/PrivilegeEscalation:Kubernetes-PrivilegedContainer";
    assert.equal(finding.Types[0], type);
    assert.equal(finding.FindingProviderFields.Types[0], type);
    assert.equal(finding.Severity.Label, "HIGH");
    assert.equal(finding.Resources[0].Id, "posture/shop/privileged-0/app");
  });

  it("re-reports after an agent restart only what the collector does not have", async () => {
    const before = await stored();
    const lost = before.find((f) => f.containerId === "capabilities")!;
    const db = new Database(path.join(harness!.dir, "findings.db"));
    db.prepare("DELETE FROM findings WHERE id = ?").run(lost.id);
    db.close();
    const webhooksBefore = posted.length;
    await agent!.stop();
    const restartMs = Date.now();
    agent = await AgentProcess.start(agentArgs());
    await waitUntil("every posture finding re-sent and merged", async () => {
      const now = await stored();
      return now.length === ALL.length && now.every((f) => f.lastSeenMs >= restartMs - 1000);
    });
    await waitUntil("the lost one is posted again", () => posted.length > webhooksBefore);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = await stored();
    assert.deepEqual(after.map((f) => f.id).sort(), before.map((f) => f.id).sort(), "the same ids: one record each");
    assert.deepEqual(
      posted.slice(webhooksBefore).map((p) => p.id),
      [lost.id],
      "only the lost one is new",
    );
    const kept = after.find((f) => f.containerId === "privileged")!;
    const first = before.find((f) => f.containerId === "privileged")!;
    assert.deepEqual(
      [kept.receivedMs, kept.firstSeenMs],
      [first.receivedMs, first.firstSeenMs],
      "since when: unchanged",
    );
  });

  it("stops a container whose policy forbids its posture (posture.enforce)", async () => {
    // Killed while containerd creates it, `ctr run` fails to start it; killed just after, it stops.
    const run = await bed!
      .run("forbidden", IMAGE, ["sleep", "100000"], {
        labels: pod("forbidden", { app: "forbidden" }),
        flags: ["--privileged"],
      })
      .then(
        () => "started",
        (error: Error) => error.message,
      );
    await agent!.waitFor((l) => l.msg === "posture" && l.finding?.container.id === "forbidden");
    await waitUntil("the task is not running", async () => (await bed!.tasks()).get("forbidden")?.status !== "RUNNING");
    assert.ok(run === "started" || /ctr run/.test(run), run);
    const finding = agent!.postureFindings().find((f) => f.container.id === "forbidden")!;
    assert.deepEqual(
      [finding.reason, finding.verdict, finding.action, finding.policy],
      ["posture_privileged", "blocked", "killed", "no-privileged"],
    );
    assert.ok(agent!.lines.some((l) => l.msg.startsWith("container stopped: its policy forbids its posture")));
  });
});
