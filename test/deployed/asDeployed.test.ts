// driftguard as it is deployed: the image built from daemonset/Dockerfile, the agent and
// the collector run from the rendered enforce overlay by a kubelet stand-in (CRI pods,
// the manifests' securityContext, env, mounts, probes and the agent's projected token,
// signed by a test cluster issuer the collector is configured for), and workload pods
// made the way the kubelet makes them. `npm run test:deployed` (CI runs it after `npm test`).
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { CLI, type Finding, type LogLine } from "../testbed/AgentProcess";
import type { KubeNode } from "../testbed/kube/KubeNode";
import { RunningPod } from "../testbed/kube/RunningPod";
import { DeployedBed, shopPod } from "./deployedBed";
import { rolloutCheck } from "./rolloutCheck";
import { startupChecks } from "./startupChecks";

describe("driftguard as deployed: built image, pods from the enforce overlay, kubelet-made workloads @root @deployed", function () {
  this.timeout(180_000);
  const bed = new DeployedBed();
  const node = (): KubeNode => bed.node;
  let shop0: RunningPod;
  let shop1: RunningPod;
  const agentLog = (): LogLine[] => bed.agentLog();
  const findings = (): Finding[] => bed.findings();
  const waitForLog = (match: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine> =>
    bed.waitForLog(match, timeoutMs);

  before(async function () {
    this.timeout(30 * 60_000);
    await bed.setUp();
  });

  after(async function () {
    this.timeout(120_000);
    await bed.tearDown();
  });

  it("runs the agent with the manifest's securityContext, in private namespaces, ready by its probes", async () => {
    const pid = await bed.agent.pid("agent");
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    // CAP_SYS_ADMIN (21), CAP_DAC_READ_SEARCH (2), CAP_SYS_PTRACE (19), CAP_LEASE (28) and nothing else.
    assert.match(status, /^CapEff:\s+0000000010280004$/m);
    assert.match(status, /^Seccomp:\s+2$/m, "seccomp RuntimeDefault filters");
    assert.match(status, /^NoNewPrivs:\s+1$/m);
    const ns = (p: number | string, kind: string): string => fs.readlinkSync(`/proc/${p}/ns/${kind}`);
    assert.notEqual(ns(pid, "cgroup"), ns("self", "cgroup"), "a cgroup namespace of its own");
    assert.notEqual(ns(pid, "mnt"), ns("self", "mnt"));
    assert.equal(ns(pid, "pid"), ns("self", "pid"), "hostPID");
    const write = await bed.agent.exec("agent", ["node", "-e", "require('fs').writeFileSync('/x', '')"]);
    assert.notEqual(write.code, 0, "read-only root");
    const started = await waitForLog((l) => l.msg === "agent started");
    assert.equal(started.hostView, "pid1");
    assert.equal(bed.collector.container("collector").prober.ready, true);
    const readyz = await fetch(bed.agent.url("agent", "metrics", "/readyz"));
    assert.equal(readyz.status, 200);
  });

  startupChecks(bed);

  it("blocks drift in a kubelet-made pod, naming the pod from CRI and telling emptyDir from configMap", async () => {
    const pod = (shop0 = await RunningPod.start(
      node(),
      shopPod("shop-0", { "driftguard.dev/exception": "configmap-entrypoint" }),
      bed.environment,
    ));
    bed.pods.push(pod);
    await bed.enforced(pod);
    const run = await pod.exec("web", [
      "/bin/sh",
      "-c",
      "/bin/echo image-ok; cp /bin/busybox /cache/echo; /cache/echo cache-ran; echo cache=$?; /scripts/run.sh",
    ]);
    assert.match(run.stdout, /image-ok/);
    assert.match(run.stdout, /cache=126/, run.stdout + run.stderr);
    assert.match(run.stdout, /script-ran/, "configMap entrypoints are allowed to this pod by its label");
    // A finding is logged once its digest is proven (or its budget spent): after the exec returned.
    const blocked = (await waitForLog((l) => l.finding?.path === "/cache/echo")).finding!;
    assert.equal(blocked.verdict, "blocked");
    assert.equal(blocked.reason, "volume");
    assert.equal(blocked.policy, "configmap-entrypoints", "the pod's label, from its CRI sandbox, chose the policy");
    assert.deepEqual(blocked.k8s, { namespace: "production", pod: "shop-0", podUid: pod.uid, container: "web" });
    assert.match(blocked.hostPath, new RegExp(`/${pod.uid}/volumes/kubernetes\\.io~empty-dir/cache/echo$`));
    assert.deepEqual(
      findings().filter((f) => f.k8s.pod === "shop-0" && f.path.endsWith("/run.sh")),
      [],
      "the configMap script ran without a finding",
    );
  });

  it("blocks a configMap exec in a pod without the exception label", async () => {
    const pod = (shop1 = await RunningPod.start(node(), shopPod("shop-1", {}), bed.environment));
    bed.pods.push(pod);
    await bed.enforced(pod);
    const run = await pod.exec("web", ["/bin/sh", "-c", "/scripts/run.sh; echo script=$?"]);
    assert.match(run.stdout, /script=126/);
    // The real file: the visible name is a link through ..data into the timestamped dir.
    const blocked = (await waitForLog((l) => l.finding?.k8s.pod === "shop-1" && l.finding.path.endsWith("/run.sh")))
      .finding!;
    assert.equal(blocked.policy, "production-enforce");
    assert.equal(blocked.reason, "volume");
    assert.match(blocked.path, /^\/scripts\/\.\.\d[\d_.]+\/run\.sh$/);
    assert.match(blocked.hostPath, new RegExp(`/${pod.uid}/volumes/kubernetes\\.io~configmap/scripts/\\.\\.\\d`));
  });

  it("stops a memfd exec in an enforced pod, attributed through its private cgroup namespace (eBPF sensor)", async () => {
    const coverage = await waitForLog((l) => l.component === "bpf" && typeof l.tracepoint === "boolean");
    assert.equal(coverage.tracepoint, true, JSON.stringify(coverage));
    const pod = shop0;
    const pid = await pod.pid("web");
    assert.notEqual(fs.readlinkSync(`/proc/${pid}/ns/cgroup`), fs.readlinkSync("/proc/self/ns/cgroup"));
    const run = await pod.exec("web", ["/bin/fileless", "memfd", "dropped", "/bin/busybox", "echo", "fileless-ran"]);
    // With BPF LSM the exec is refused (EPERM); this kernel refuses LSM programs, so the
    // exec tracepoint kills the new program before its first instruction (SIGKILL: 137).
    assert.equal(run.code, coverage.lsm ? 1 : 137, run.stdout + run.stderr);
    assert.doesNotMatch(run.stdout, /fileless-ran/);
    const line = await waitForLog((l) => l.finding?.reason === "fileless" && l.finding.k8s.pod === "shop-0");
    const finding = line.finding!;
    assert.equal(finding.hostPath, "memfd:dropped");
    assert.equal(finding.policy, "configmap-entrypoints", "an enforce policy");
    assert.equal(finding.verdict, "blocked");
    assert.equal(finding.action, coverage.lsm ? "refused" : "killed");
    const unattributed = agentLog().filter((l) => l.msg.startsWith("no cgroup v2 id"));
    assert.deepEqual(unattributed, [], "every container is attributed");
  });

  it("registers every pod's container with the eBPF sensor but the agent's own, and watches what they run from", async () => {
    // Only the agent's own container shares its cgroup; nothing resolves to one above it.
    const refused = agentLog().filter((l) => /not registered with the eBPF sensor/.test(l.msg));
    assert.deepEqual(
      refused.map((l) => ({ level: l.level, container: l.container })),
      [{ level: 40, container: bed.agent.container("agent").id }],
      JSON.stringify(refused),
    );
    // Each container's root overlay was found in the host's mount table (seen through
    // /proc/<host pid>): none is judged as from an unwatched filesystem.
    assert.deepEqual(
      agentLog().filter((l) => /^container root not/.test(l.msg)),
      [],
    );
    // Everything the pods ran (image programs, runc's execs, volume files fanotify refused,
    // the ConfigMap script) was left to fanotify: the sensor stopped only the memfd exec.
    const sensorFindings = findings().filter((f) => f.reason === "unwatched_filesystem" || f.reason === "fileless");
    assert.deepEqual(
      sensorFindings.map((f) => `${f.k8s.pod} ${f.reason} ${f.hostPath}`),
      ["shop-0 fileless memfd:dropped"],
    );
  });

  it("takes runc's masked paths (/dev/null bound over /proc/keys, ...) for no volumes", () => {
    const attached = agentLog().filter((l) => l.msg === "container attached");
    assert.ok(attached.length >= 4, "the pods' containers were attached");
    assert.deepEqual(
      agentLog().filter((l) => l.msg === "volume not covered"),
      [],
    );
  });

  it("delivers findings to the collector pod over mTLS, the agent bound to its node by its projected token", async () => {
    const tokenFile = path.join(bed.scratch.dir, "token");
    fs.writeFileSync(tokenFile, fs.readFileSync(path.join(bed.copy.dir, "secrets", "tokens"), "utf8").split(/\s+/)[2]);
    const server = `localhost:${bed.collector.ports.portOf(7443)}`;
    const ca = path.join(bed.copy.dir, "secrets", "ca.crt");
    const deadline = Date.now() + 20_000;
    let listed: { pod?: string; path?: string; node?: string; cluster?: string }[] = [];
    while (!listed.some((f) => f.path === "/cache/echo") && Date.now() < deadline) {
      const out = execFileSync(
        process.execPath,
        [
          CLI,
          "findings",
          "list",
          "--server",
          server,
          "--ca",
          ca,
          "--token-file",
          tokenFile,
          "--namespace",
          "production",
          "--json",
        ],
        { encoding: "utf8" },
      );
      listed = JSON.parse(out) as typeof listed;
      if (!listed.some((f) => f.path === "/cache/echo")) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const delivered = listed.find((f) => f.path === "/cache/echo" && f.pod === "shop-0");
    assert.ok(delivered, JSON.stringify(listed));
    // The collector took the node and the cluster from the token it checked with the issuer's keys.
    assert.deepEqual([delivered.node, delivered.cluster], [bed.environment.nodeName, "your-cluster"]);
  });

  it("applies a policy ConfigMap update (the kubelet's ..data swap)", async () => {
    const policies = bed.agent.volumes.volumes.get("policies")!;
    const current = bed.environment.configMaps.get("driftguard-policies")!;
    const auditShop = [
      "apiVersion: driftguard.dev/v1",
      "kind: DriftPolicy",
      "metadata: {name: shop-audit}",
      "spec: {priority: 500, mode: audit, selector: {namespaces: [production], matchLabels: {app: shop}}}",
      "",
    ].join("\n");
    policies.writer!.update({ ...current, "90-shop-audit.yaml": auditShop });
    await waitForLog((l) => l.msg === "policies applied" && JSON.stringify(l.policies).includes("shop-audit"));
    const run = await shop1.exec("web", [
      "/bin/sh",
      "-c",
      "mkdir -p /cache/x && cp /bin/busybox /cache/x/true && /cache/x/true; echo ran=$?",
    ]);
    assert.match(run.stdout, /ran=0/, "audit lets it run");
    const finding = await waitForLog((l) => l.finding?.path === "/cache/x/true");
    assert.equal(finding.finding!.verdict, "audited");
    assert.equal(finding.finding!.policy, "shop-audit");
    // The eBPF sensor follows the swap too: a memfd exec now runs and is reported.
    const memfd = await shop1.exec("web", [
      "/bin/fileless",
      "memfd",
      "audited",
      "/bin/busybox",
      "echo",
      "fileless-ran",
    ]);
    assert.equal(memfd.code, 0, memfd.stdout + memfd.stderr);
    assert.match(memfd.stdout, /fileless-ran/);
    const fileless = await waitForLog((l) => l.finding?.hostPath === "memfd:audited");
    assert.deepEqual(
      [fileless.finding!.k8s.pod, fileless.finding!.verdict, fileless.finding!.action, fileless.finding!.policy],
      ["shop-1", "audited", "audited", "shop-audit"],
    );
  });

  rolloutCheck(bed);
});
