// Rows of the pure drift decision's table tests (judge.test.ts, judgeContent.test.ts) and
// their runner: the verdict, the reason, and what the verdict needs before it can be given.
import * as assert from "node:assert/strict";

import type { NativePolicy } from "../../../src/native/binding";
import { nativeTestBinding, type JudgeCandidate } from "../../testbed/nativeTestBinding";

export const A = "a".repeat(64);
export const B = "b".repeat(64);

export function policy(mode: NativePolicy["mode"], extra: Partial<NativePolicy> = {}): NativePolicy {
  return { name: "p", mode, allowPaths: [], allowDigests: [], ...extra };
}

export const enforce = policy("enforce");

export interface Row {
  name: string;
  candidate: JudgeCandidate;
  verdict: string;
  reason: string;
  /** The verdict waits for a proven digest (default false). */
  needsDigest?: boolean;
  /** The verdict waits for the calling program (default false). */
  needsCaller?: boolean;
}

/** One test per row. */
export function judgeRows(rows: Row[]): void {
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(nativeTestBinding().judge(row.candidate), {
        verdict: row.verdict,
        reason: row.reason,
        needsDigest: row.needsDigest ?? false,
        needsCaller: row.needsCaller ?? false,
      });
    });
  }
}
