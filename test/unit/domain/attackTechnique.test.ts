// The ATT&CK techniques of findings: the examples by reason, a renamed copy, the
// operational reasons (no technique), and every catalogue id in ATT&CK's form.
import * as assert from "node:assert/strict";

import { ATTACK_TECHNIQUE, TECHNIQUE_ID } from "../../../src/domain/attackTechnique";
import { DRIFT_REASON, DRIFT_REASONS } from "../../../src/domain/driftReason";
import { techniquesOf } from "../../../src/domain/findingTechniques";

const EXPECTED: [reason: string, copyOf: string, techniques: string[]][] = [
  ["new_file", "", ["T1105"]],
  ["new_file", "/bin/busybox", ["T1105", "T1036.003"]],
  ["modified", "", ["T1554"]],
  ["made_executable", "", ["T1222.002"]],
  ["volume", "", ["T1105"]],
  ["fileless", "", ["T1620"]],
  ["library", "", ["T1574.006"]],
  ["unwatched_filesystem", "", ["T1564"]],
  ["deadline_exceeded", "", []],
  ["hold_overflow", "", []],
  ["a_reason_of_a_newer_agent", "", []],
];

describe("ATT&CK techniques of findings", () => {
  for (const [reason, copyOf, techniques] of EXPECTED) {
    it(`${reason}${copyOf ? " (a copy)" : ""}: ${techniques.join(", ") || "none"}`, () => {
      assert.deepEqual(techniquesOf(reason, copyOf), techniques);
    });
  }

  it("every catalogue id is an ATT&CK id with a name, and every reason's technique is in it", () => {
    for (const [id, entry] of Object.entries(ATTACK_TECHNIQUE)) {
      assert.match(id, TECHNIQUE_ID);
      assert.ok(entry.name.length > 0);
    }
    for (const reason of DRIFT_REASONS) {
      for (const id of DRIFT_REASON[reason].attack) assert.ok(Object.hasOwn(ATTACK_TECHNIQUE, id), id);
    }
    assert.doesNotMatch("T105", TECHNIQUE_ID);
    assert.doesNotMatch("T1105.1", TECHNIQUE_ID);
  });

  it("operational reasons name no technique: they are misses of the guard, not attacks", () => {
    for (const reason of DRIFT_REASONS) {
      if (DRIFT_REASON[reason].severityClass === "operational") assert.deepEqual(DRIFT_REASON[reason].attack, []);
    }
  });
});
