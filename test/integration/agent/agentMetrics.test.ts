// The agent's /metrics, /healthz and /readyz on a real containerd: ready once started,
// and the counters move when a container execs image binaries and a drift binary
// (blocked), with findings delivered to a collector (spool metrics).
import * as assert from "node:assert/strict";
import * as path from "node:path";

import { AgentProcess } from "../../testbed/AgentProcess";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import { request, sample, scrape } from "../../testbed/metricsScrape";
import { scratchDir } from "../../testbed/ociImage";
import { buildDriftImage } from "./driftImage";
import { bedAgentArgs } from "../../testbed/agentArgs";

const IMAGE = "test.local/drift:1";

describe("agent metrics and health endpoints on containerd @root", function () {
  this.timeout(120_000);
  let bed: ContainerdTestBed | undefined;
  let agent: AgentProcess | undefined;
  let harness: Harness | undefined;
  let scratch: { dir: string; remove: () => void } | undefined;
  let url = "";

  before(async () => {
    scratch = scratchDir("agent-metrics");
    harness = await startHarness();
    bed = await ContainerdTestBed.start();
    await bed.importImage(buildDriftImage(scratch.dir).archive);
    await bed.run("web", IMAGE, ["sleep", "100000"], {
      labels: { "io.kubernetes.pod.namespace": "shop", "io.kubernetes.pod.name": "web-0" },
    });
    const conn = harness.agentConnection();
    // prettier-ignore
    agent = await AgentProcess.start(bedAgentArgs(bed, { mode: "enforce", stateDir: path.join(scratch.dir, "state") },
      "--node-name", "node-m",
      "--collector-address", conn.address, "--collector-ca", conn.caFile!,
      "--agent-cert", conn.certFile!, "--agent-key", conn.keyFile!, "--metrics-address", "127.0.0.1:0",
    ));
    const listening = await agent.waitFor((l) => l.msg === "metrics and health endpoints listening");
    url = `http://127.0.0.1:${listening.port as number}`;
  });

  after(async () => {
    await agent?.stop();
    await bed?.stop();
    await harness?.stop();
    scratch?.remove();
  });

  it("is live and ready once started", async () => {
    assert.equal((await request(`${url}/healthz`)).status, 200);
    const ready = await request(`${url}/readyz`);
    assert.equal(ready.status, 200, ready.body);
    assert.match(ready.body, /exec guard running, 1 containers attached/);
  });

  it("is not ready while containerd is unreachable, and ready again when it is back", async () => {
    const waitForStatus = async (status: number) => {
      for (let i = 0; i < 100; i++) {
        const ready = await request(`${url}/readyz`);
        if (ready.status === status) return ready;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`/readyz never answered ${status}`);
    };
    await bed!.stopContainerd();
    const down = await waitForStatus(503);
    assert.match(down.body, /containerd unreachable/);
    await bed!.startContainerd();
    await waitForStatus(200);
  });

  it("counts decisions by verdict and reason, latency, events and deliveries", async () => {
    const before = await scrape(url);
    assert.equal(sample(before, "driftguard_containers_attached"), 1);
    assert.ok(
      sample(before, 'driftguard_baseline_layer_cache_total{result="miss"}') >= 1,
      "the image's layers were computed",
    );
    const run = await bed!.exec("web", [
      "/bin/sh",
      "-c",
      "/bin/true; mkdir -p /tmp/m && cp /bin/busybox /tmp/m/echo && /tmp/m/echo hi",
    ]);
    assert.equal(run.code, 126, run.stderr);
    await agent!.waitFor((l) => l.finding?.path === "/tmp/m/echo");
    let after = await scrape(url);
    for (let i = 0; i < 100 && sample(after, "driftguard_findings_delivered_total") < 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await scrape(url);
    }
    const moved = (series: string) => sample(after, series) - sample(before, series);
    assert.equal(moved('driftguard_exec_decisions_total{verdict="blocked",reason="new_file"}'), 1);
    // busybox sh runs true, mkdir and cp as applets without an exec: sh itself is the image exec.
    assert.ok(moved('driftguard_exec_decisions_total{verdict="allowed",reason="image"}') >= 1, "/bin/sh");
    assert.ok(moved("driftguard_exec_events_total") >= 2);
    assert.ok(moved("driftguard_exec_decision_latency_seconds_count") >= 2);
    assert.equal(
      sample(after, 'driftguard_exec_decision_latency_seconds_bucket{le="+Inf"}'),
      sample(after, "driftguard_exec_decision_latency_seconds_count"),
    );
    assert.equal(sample(after, "driftguard_watchdog_timeouts_total"), 0);
    assert.equal(sample(after, "driftguard_exec_pending"), 0);
    assert.equal(moved("driftguard_findings_delivered_total"), 1);
    assert.equal(sample(after, "driftguard_spool_pending_findings"), 0);
    assert.equal(sample(after, 'driftguard_findings_dropped_total{reason="spool_full"}'), 0);
    assert.equal(sample(after, "driftguard_collector_connected"), 1);
  });

  it("says which eBPF coverage this kernel gives, as the start log does", async () => {
    const logged = agent!.lines.find((l) => l.component === "bpf" && typeof l.lsm === "boolean");
    assert.ok(logged, "the coverage log line");
    const metrics = await scrape(url);
    const capability = (name: string) => sample(metrics, `driftguard_ebpf_coverage{capability="${name}"}`);
    assert.equal(capability("built"), logged.built ? 1 : 0);
    assert.equal(capability("fileless_detected"), logged.tracepoint || logged.lsm ? 1 : 0);
    assert.equal(capability("fileless_blocked"), logged.lsm ? 1 : 0);
    assert.equal(capability("library_blocked"), logged.lsm ? 1 : 0);
    // This machine kind refuses BPF LSM programs but runs the tracepoint.
    assert.equal(capability("fileless_detected"), 1);
    assert.ok(metrics.has("driftguard_ebpf_events_lost_total"), "the sensor's loss counter is exported");
    assert.equal(sample(metrics, "driftguard_ebpf_events_lost_total"), 0);
  });
});
