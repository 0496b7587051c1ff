// Two of issue 17's rough edges as pure functions: `--server HOST` dials the collector's
// port 7443 (grpc-js alone dials 443), and the reporter cuts an over-long field (saying so
// in truncated_fields) instead of dropping the finding the collector would refuse.
import * as assert from "node:assert/strict";

import { checkFinding } from "../../../src/api/validateFinding";
import { serverAddress } from "../../../src/cli/serverAddress";
import { toApiFinding } from "../../../src/report/apiFinding";
import { driftFinding } from "../../testbed/findingFixtures";

describe("--server and over-long findings", () => {
  it("a host alone means port 7443; ports and IPv6 literals are kept or refused in words", () => {
    assert.equal(serverAddress("localhost"), "localhost:7443");
    assert.equal(serverAddress("collector.example:9000"), "collector.example:9000");
    assert.equal(serverAddress("[::1]"), "[::1]:7443");
    assert.equal(serverAddress("::1"), "[::1]:7443");
    assert.throws(() => serverAddress("host:99999"), /the port must be 1 to 65535/);
    assert.throws(() => serverAddress("https://x"), /is not HOST or HOST:PORT/);
  });

  it("cuts a 10 kB command line and a long path, names them, and the collector accepts the finding", () => {
    const long = driftFinding(1, { path: "/tmp/" + "p".repeat(9000) });
    long.process.cmdline = "sh -c " + "x".repeat(10_000);
    const agg = { id: "f1", cluster: "prod", firstSeenMs: Date.now(), lastSeenMs: Date.now(), count: 1 };
    const fitted = toApiFinding(long, agg);
    assert.equal(checkFinding(fitted), "", "accepted");
    assert.ok(fitted.process!.commandLine.endsWith("…"));
    assert.equal(fitted.process!.commandLine.length, 8192);
    assert.ok(fitted.path.endsWith("…"));
    assert.deepEqual([...fitted.truncatedFields!].sort(), ["path", "process.command_line"]);
    const uncut = { ...fitted, process: { ...fitted.process!, commandLine: "x".repeat(10_000) } };
    assert.notEqual(checkFinding(uncut), "", "uncut, the collector would refuse it");
  });

  it("names a command line the agent could not read in time (the process held its mmap lock)", () => {
    const agg = { id: "f2", cluster: "prod", firstSeenMs: Date.now(), lastSeenMs: Date.now(), count: 1 };
    const unread = driftFinding(2);
    unread.process = { ...unread.process, cmdline: "", cmdlineUnread: true };
    assert.deepEqual(toApiFinding(unread, agg).truncatedFields, ["process.command_line"]);
    assert.deepEqual(toApiFinding(driftFinding(3), agg).truncatedFields, [], "a read one is not named");
  });
});
