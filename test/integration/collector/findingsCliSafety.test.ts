// Issue 17 items 2 and 6 as a reviewer's terminal sees them: the raw bytes `driftguard
// findings` prints for hostile findings (no ESC, BEL, bidi override or forged line reaches
// the terminal), errors in one line with their fix, a pipe closed early, a cut list that
// says so. Against an in-process collector (harness) holding the findings.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { CLI } from "../../testbed/AgentProcess";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { findingRecord } from "../../testbed/findingFixtures";

const HOSTILE = [
  "/tmp/\x1b[2J\x1b[H\x1b[32mALL CLEAR\x1b[0m",
  "/tmp/a\nLAST SEEN forged table line",
  "/tmp/\x1b]0;owned title\x07x",
  "/tmp/rtl-\u202etxt.exe",
  "/tmp/c1-\x9b31m-\x7f",
];
const MANY = 1200;

interface Raw {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** The CLI's exit code and its raw output bytes (`shell`: through bash -c, for pipes). */
function run(args: string[], shell?: string): Promise<Raw> {
  const child = shell
    ? spawn("bash", [
        "-c",
        shell.replace("CLI", `'${process.execPath}' '${CLI}' ${args.map((a) => `'${a}'`).join(" ")}`),
      ])
    : spawn(process.execPath, [CLI, ...args]);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (d: Buffer) => out.push(d));
  child.stderr.on("data", (d: Buffer) => err.push(d));
  return new Promise((resolve) =>
    child.on("close", (code) =>
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") }),
    ),
  );
}

/** Bytes a terminal would act on: C0 but \n, DEL, C1 (as UTF-8), bidi and invisible characters. */
function unsafeBytes(out: Buffer): string[] {
  const text = out.toString("utf8");
  return [...text.matchAll(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g)].map(
    (m) => `U+${m[0].charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

describe("driftguard findings: hostile values and rough edges (CLI, raw bytes)", function () {
  this.timeout(60_000);
  let h: Harness;
  let conn: string[];

  before(async () => {
    h = await startHarness();
    const tokenFile = path.join(h.dir, "token");
    fs.writeFileSync(tokenFile, h.tokens.reader);
    conn = ["--server", h.address, "--ca", h.certs.ca.certFile, "--token-file", tokenFile];
    const now = Date.now();
    const hostile = HOSTILE.map((p, i) =>
      findingRecord(i, { path: p, cmdline: `sh -c '${p}'`, k8sNamespace: "evil", firstSeenMs: now - i }),
    );
    const many = Array.from({ length: MANY }, (_, i) =>
      findingRecord(1000 + i, { k8sNamespace: "bulk", firstSeenMs: now - 10_000 - i }),
    );
    await h.collector.store.ingest([...hostile, ...many], now);
  });
  after(async () => h?.stop());

  it("list prints one table line per finding and no byte a terminal acts on", async () => {
    const r = await run(["findings", "list", "--namespace", "evil", ...conn]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(unsafeBytes(r.stdout), []);
    const lines = r.stdout.toString("utf8").trimEnd().split("\n");
    assert.equal(lines.length, 1 + HOSTILE.length, "a newline in a path forges no line");
    const text = r.stdout.toString("utf8");
    for (const shown of [
      "\\e[2J\\e[H\\e[32mALL CLEAR\\e[0m",
      "a\\nLAST SEEN forged",
      "\\e]0;owned title\\x07x",
      "rtl-\\u202etxt.exe",
      "c1-\\x9b31m-\\x7f",
    ])
      assert.ok(text.includes(shown), `shows ${shown}`);
  });

  it("show and --json keep the values exact but inert", async () => {
    for (let i = 0; i < HOSTILE.length; i++) {
      const id = findingRecord(i).id;
      const shown = await run(["findings", "show", id, ...conn]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.deepEqual(unsafeBytes(shown.stdout), [], HOSTILE[i]);
      const json = await run(["findings", "show", id, "--json", ...conn]);
      assert.deepEqual(unsafeBytes(json.stdout), []);
      const value = JSON.parse(json.stdout.toString("utf8")) as { path: string; process: { cmdline: string } };
      assert.equal(value.path, HOSTILE[i], "JSON decodes to the exact value");
    }
  });

  it("says how much a list left out, and exits quietly when the reader closes the pipe", async () => {
    const cut = await run(["findings", "list", "--namespace", "bulk", ...conn]);
    assert.equal(cut.code, 0, cut.stderr);
    assert.equal(cut.stdout.toString("utf8").trimEnd().split("\n").length, 51);
    assert.equal(cut.stderr, "showing 50 of 1 200 findings (use --limit N for more)\n");
    const piped = await run(
      ["findings", "list", "--namespace", "bulk", "--limit", "1000", ...conn],
      "CLI | head -n 1; exit ${PIPESTATUS[0]}",
    );
    assert.equal(piped.code, 0, `the CLI's own exit code: ${piped.stderr}`);
    assert.equal(piped.stdout.toString("utf8").split("\n").length, 2, "head's one line");
    assert.doesNotMatch(piped.stderr, /EPIPE|\n\s+at /, "no EPIPE stack trace");
  });

  it("answers mistakes in one line that says what to do", async () => {
    const cases: [string[], number, RegExp][] = [
      [["findings", "list", "--server", h.address, "--ca", "/nonexistent/ca.crt"], 2, /\/nonexistent\/ca\.crt/],
      [["findings", "list", ...conn.slice(2), "--server", "127.0.0.1:1"], 1, /127\.0\.0\.1:1/],
      [["findings", "list", ...conn, "--since", "yesterday"], 2, /--since must be an ISO time .* or an age like 30m/],
      [["findings", "list", ...conn, "--sha256", "abc"], 2, /--sha256 must be 64 hex digits/],
      [["findings", "list", ...conn, "--limit", "0"], 2, /--limit/],
      [
        ["findings", "export", ...conn, "--format", "asff", "--aws-account", "123456789012", "--aws-region", "mars-1"],
        2,
        /--aws-region "mars-1" is not an AWS region name/,
      ],
    ];
    for (const [args, code, message] of cases) {
      const r = await run(args);
      assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      const first = r.stderr.split("\n")[0];
      assert.match(first, message);
      assert.ok(r.stderr.split("\n").filter(Boolean).length <= 3, `short: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    }
  });
});
