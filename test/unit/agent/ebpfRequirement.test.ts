// --require-ebpf: the agent stops with one line naming why the eBPF sensor covers nothing,
// and starts when it covers something (the raw tracepoint alone is enough).
import * as assert from "node:assert/strict";

import { ebpfRequirementProblem } from "../../../src/agent/ebpfRequirement";
import { agentConfigFromArgs } from "../../../src/cli/agentCommand";
import type { BpfCoverage } from "../../../src/native/bpfBinding";

const NONE: BpfCoverage = {
  built: true,
  tracepoint: false,
  lsm: false,
  entryChecked: false,
  programTypes: { rawTracepoint: false, tracingRawTp: false, fentry: false, lsm: false },
  reasons: ["raw_tp/sched_process_exec: bpf(BPF_PROG_LOAD): Operation not permitted"],
};

describe("--require-ebpf", () => {
  it("is off unless asked for, by flag or environment", () => {
    assert.equal(agentConfigFromArgs([], {}).requireEbpf, false);
    assert.equal(agentConfigFromArgs(["--require-ebpf"], {}).requireEbpf, true);
    assert.equal(agentConfigFromArgs([], { DRIFTGUARD_REQUIRE_EBPF: "true" }).requireEbpf, true);
  });

  it("names why the sensor covers nothing, in one line, and what to do", () => {
    const lines = [
      ebpfRequirementProblem(undefined),
      ebpfRequirementProblem({ ...NONE, built: false }),
      ebpfRequirementProblem(NONE),
    ];
    for (const line of lines) {
      assert.ok(line && !line.includes("\n"), String(line));
      assert.match(line, /^--require-ebpf: .*fileless execs .* run without --require-ebpf/);
    }
    assert.match(lines[0]!, /could not be created/);
    assert.match(lines[1]!, /this build has no eBPF sensor/);
    assert.match(
      lines[2]!,
      /loaded none .*\(raw_tp\/sched_process_exec: bpf\(BPF_PROG_LOAD\): Operation not permitted\)/,
    );
  });

  it("lets the agent start when the tracepoint or BPF LSM covers fileless execs", () => {
    assert.equal(ebpfRequirementProblem({ ...NONE, tracepoint: true }), undefined);
    assert.equal(ebpfRequirementProblem({ ...NONE, lsm: true }), undefined);
  });
});
