// A review filter from the API as the store's query: several reasons (a glob the caller
// expanded) each once, an unknown one refused with its name.
import * as assert from "node:assert/strict";

import type { FindingFilter } from "../../../src/api/types";
import { emptyFilter, queryFromFilter } from "../../../src/collector/records";

const NONE: FindingFilter = emptyFilter();

describe("queryFromFilter", () => {
  it("takes several reasons, each once however often a caller repeats it", () => {
    const privileged = "DRIFT_REASON_POSTURE_PRIVILEGED" as const;
    const reasons = [...Array<typeof privileged>(5000).fill(privileged), "DRIFT_REASON_POSTURE_HOST_PID" as const];
    const query = queryFromFilter({ ...NONE, reasons });
    assert.deepEqual(typeof query === "string" ? query : query.reasons, ["posture_privileged", "posture_host_pid"]);
    assert.equal((queryFromFilter(NONE) as { reasons?: unknown }).reasons, undefined, "none: any reason");
  });

  it("refuses an unknown reason by its name", () => {
    const query = queryFromFilter({
      ...NONE,
      reasons: ["DRIFT_REASON_NEW_FILE", "DRIFT_REASON_BOGUS" as "DRIFT_REASON_NEW_FILE"],
    });
    assert.equal(query, "unknown reason DRIFT_REASON_BOGUS in reasons");
  });
});
