// Severity of every (reason, verdict), as ASFF exports rank findings today.
import * as assert from "node:assert/strict";

import { severityOf } from "../../../src/domain/severity";

const EXPECTED: Record<string, { audited: string; blocked: string; unknown: string }> = {
  new_file: { audited: "HIGH", blocked: "MEDIUM", unknown: "MEDIUM" },
  modified: { audited: "CRITICAL", blocked: "MEDIUM", unknown: "MEDIUM" },
  made_executable: { audited: "HIGH", blocked: "MEDIUM", unknown: "MEDIUM" },
  volume: { audited: "HIGH", blocked: "MEDIUM", unknown: "MEDIUM" },
  fileless: { audited: "CRITICAL", blocked: "MEDIUM", unknown: "MEDIUM" },
  denied: { audited: "HIGH", blocked: "MEDIUM", unknown: "MEDIUM" },
  deadline_exceeded: { audited: "LOW", blocked: "LOW", unknown: "LOW" },
  hold_overflow: { audited: "LOW", blocked: "LOW", unknown: "LOW" },
  library: { audited: "HIGH", blocked: "MEDIUM", unknown: "MEDIUM" },
  // A container that can reach around the guard: reported HIGH, stopped MEDIUM.
  posture_privileged: { audited: "HIGH", blocked: "MEDIUM", unknown: "MEDIUM" },
  posture_runtime_socket: { audited: "HIGH", blocked: "MEDIUM", unknown: "MEDIUM" },
  // Pod Security restricted's hardening: worth fixing, no attack.
  posture_no_seccomp: { audited: "LOW", blocked: "LOW", unknown: "LOW" },
  posture_root_escalation: { audited: "LOW", blocked: "LOW", unknown: "LOW" },
  // A reason from a newer agent ranks as plain drift.
  from_a_newer_agent: { audited: "HIGH", blocked: "MEDIUM", unknown: "MEDIUM" },
};

describe("severityOf", () => {
  for (const [reason, row] of Object.entries(EXPECTED)) {
    it(`${reason}: audited ${row.audited}, blocked ${row.blocked}, unknown verdict ${row.unknown}`, () => {
      assert.equal(severityOf(reason, "audited"), row.audited);
      assert.equal(severityOf(reason, "blocked"), row.blocked);
      assert.equal(severityOf(reason, "VERDICT_7"), row.unknown);
    });
  }
});
