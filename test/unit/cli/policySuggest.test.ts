// `driftguard policy suggest` as users run it: the findings' JSON in, a DriftPolicy out that
// `driftguard policy check` accepts, the printed bytes free of anything a terminal acts on.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { CLI } from "../../testbed/AgentProcess";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const EXAMPLES = path.join(ROOT, "daemonset", "policies");
const HOSTILE = "/tmp/\x1b[2J\x1b]0;owned\x07rtl-\u202etxt.exe";

function driftguard(args: string[], input?: string) {
  const run = spawnSync(process.execPath, [CLI, "policy", ...args], { input, cwd: ROOT });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr.toString("utf8") };
}

function finding(over: Record<string, unknown> = {}) {
  return {
    id: "3ef5900d76b19b18319516cc376ff032",
    namespace: "production",
    pod: "web-0",
    container: "web",
    image: "registry.local/shop/web:1",
    path: HOSTILE,
    sha256: "ab".repeat(32),
    reason: "new_file",
    mode: "enforce",
    policy: "production-enforce",
    process: { exe: "/bin/sh", pid: 1 },
    ...over,
  };
}

describe("driftguard policy suggest", function () {
  this.timeout(20000);
  let dir: string;

  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-suggest-cli-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The printed policy next to the examples, as `policy check` sees it. */
  function check(yaml: Buffer): { code: number | null; stdout: string } {
    const file = path.join(dir, "exception.yaml");
    fs.writeFileSync(file, yaml);
    const run = driftguard(["check", EXAMPLES, file]);
    return { code: run.code, stdout: run.stdout.toString("utf8") };
  }

  it("prints the narrowest exception, a copy of the policy in force, that policy check accepts", () => {
    const run = driftguard(
      ["suggest", "--finding", "-", "--reason", "build step", EXAMPLES],
      JSON.stringify(finding()),
    );
    assert.equal(run.code, 0, run.stderr);
    const text = run.stdout.toString("utf8");
    assert.match(text, /name: production-enforce-digest-3ef5900d76b1\n/);
    assert.match(text, /priority: 101\n/);
    assert.match(text, /sha256: abab/);
    assert.match(text, /path: \/usr\/bin\/nc\*/, "the deny list of production-enforce is kept");
    assert.match(run.stderr, /also: --kind path \(any content at \/tmp\/\\e\[2J\\e\]0;owned\\x07rtl-\\u202etxt\.exe\)/);
    assert.deepEqual(check(run.stdout), { code: 0, stdout: "11 policies, 0 errors, 0 warnings\n" });
  });

  it("prints a hostile path escaped, and the policy still allows exactly that path", () => {
    const run = driftguard(["suggest", "--finding", "-", "--kind", "path"], JSON.stringify([finding()]));
    assert.equal(run.code, 0, run.stderr);
    for (const byte of [0x1b, 0x07]) assert.ok(!run.stdout.includes(byte), `no raw byte ${byte} on stdout`);
    assert.ok(!run.stdout.toString("utf8").includes("\u202e"), "no raw bidi override on stdout");
    assert.match(run.stdout.toString("utf8"), /path: "\/tmp\/\\e\\\\\[2J\\e\\\\\]0;owned\\artl-\\u202etxt\.exe"/);
    // fnmatch's escapes (\\[) inside YAML's: the loaded path is the literal one (policy tests judge it).
    assert.match(run.stdout.toString("utf8"), /priority: 1000\n/);
    const json = driftguard(["check", "--json", writeFile(dir, run.stdout)]);
    assert.equal(JSON.parse(json.stdout.toString("utf8")).errors, 0);
  });

  it("says what is wrong with its input in one line", () => {
    for (const [args, input, message] of [
      [["suggest"], "", /--finding FILE is required/],
      [["suggest", "--finding", "-"], "not json", /--finding is not JSON/],
      [["suggest", "--finding", "-"], "[]", /--finding holds no finding/],
      [["suggest", "--finding", "-"], '{"id":"x"}', /finding 1 of --finding lacks namespace, container/],
      [["suggest", "--finding", "-", "--kind", "any"], "{}", /--kind must be one of digest, path, volume, parent/],
      [["suggest", "--finding", path.join(ROOT, "nope.json")], "", /cannot read --finding .*nope\.json/],
    ] as const) {
      const run = driftguard([...args], input);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split("\n").length, 3, run.stderr); // the error, usage line, --help hint
    }
  });
});

function writeFile(dir: string, content: Buffer): string {
  const file = path.join(dir, "alone.yaml");
  fs.writeFileSync(file, content);
  return file;
}
