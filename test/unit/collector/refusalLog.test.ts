// Refused callers are logged (never their credential), at most `limit` lines per window.
import * as assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import pino from "pino";
import { Writable } from "node:stream";

import { refusalLogger } from "../../../src/collector/auth/refusalLog";

describe("refusal log", () => {
  it("logs each refusal with its call and code, at most limit per window, then says how many it left out", () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    let t = 0;
    const log = refusalLogger(pino(sink), { limit: 2, windowMs: 1000, now: () => t });
    const bad = { code: status.UNAUTHENTICATED, details: "the bearer token is not in the collector's --tokens file" };
    for (let i = 0; i < 5; i++) log("ListFindings", bad);
    t = 1000;
    log("web GET /api/findings", bad);
    assert.deepEqual(
      lines.map((l) => [l.msg, l.call, l.code, l.unlogged]),
      [
        ["caller refused", "ListFindings", "UNAUTHENTICATED", undefined],
        ["caller refused", "ListFindings", "UNAUTHENTICATED", undefined],
        ["caller refused", "web GET /api/findings", "UNAUTHENTICATED", 3],
      ],
    );
    assert.equal(lines[0].problem, bad.details);
  });
});
