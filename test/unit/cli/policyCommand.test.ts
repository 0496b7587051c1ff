// `driftguard policy check|explain` as users run it: a child process, its output and exit code.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { CLI } from "../../testbed/AgentProcess";
import { policyYaml } from "../policy/fixtures";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const EXAMPLES = path.join(ROOT, "daemonset", "policies");

function driftguard(...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, "policy", ...args], { encoding: "utf8", cwd: ROOT });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("driftguard policy", function () {
  this.timeout(20000);
  let dir: string;

  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-policy-cli-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("check: the example policies are clean", () => {
    const run = driftguard("check", EXAMPLES);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.stdout, "10 policies, 0 errors, 0 warnings\n");
  });

  it("check: prints each problem as file:line:column and exits 1 on errors", () => {
    fs.writeFileSync(path.join(dir, "bad.yaml"), policyYaml("bad", { mode: "block", priorty: 1 }));
    fs.writeFileSync(path.join(dir, "good.yaml"), policyYaml("good", { mode: "audit" }));
    const run = driftguard("check", dir);
    assert.equal(run.code, 1);
    const file = path.join(dir, "bad.yaml");
    assert.equal(
      run.stdout,
      [
        `${file}:6:9: error invalid_value spec.mode: must be one of enforce, audit, disabled (got "block") [policy bad]`,
        `${file}:7:3: warning unknown_field spec.priorty: unknown field "priorty" is ignored (did you mean priority?); known: priority, mode, enforceAfter, selector, posture, capture, allow, deny [policy bad]`,
        "1 policies, 1 errors, 1 warnings",
        "",
      ].join("\n"),
    );
  });

  it("check: warnings alone exit 0; single files and --json work", () => {
    const file = path.join(dir, "p.yml");
    fs.writeFileSync(file, policyYaml("p", { mode: "enforce", enforceAfter: "1d" }));
    const run = driftguard("check", "--json", file);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.deepEqual(
      [out.errors, out.warnings, out.issues[0].code, out.policies[0].name],
      [0, 1, "enforce_after_ignored", "p"],
    );
  });

  it("check: a missing directory is an error", () => {
    const run = driftguard("check", path.join(dir, "nope"));
    assert.equal(run.code, 1);
    assert.match(run.stdout, /nope: error file_unreadable: ENOENT/);
  });

  it("explain: which policy, which mode, why, the exceptions and every policy tried", () => {
    const run = driftguard(
      "explain",
      "--namespace",
      "production",
      "--labels",
      "app=shop,driftguard.dev/exception=jit",
      "--image",
      "registry.example.com/shop:1.2",
      "--container",
      "web",
      EXAMPLES,
    );
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split("\n");
    assert.deepEqual(lines.slice(0, 3), ["policy: production-jit", "mode: enforce", "why:"]);
    assert.match(
      run.stdout,
      /it outranks the other matching production-enforce \(priority 100\), audit-everywhere \(priority 0\)/,
    );
    assert.match(run.stdout, /allow parent \/opt\/java\/openjdk\/bin\/java: the JVM/);
    assert.match(run.stdout, /deny \/usr\/bin\/curl: nothing downloads/);
    assert.match(
      run.stdout,
      /configmap-entrypoints +priority +150 +no: driftguard.dev\/exception In \(configmap-entrypoint\)/,
    );
  });

  it("explain: no policy matches, the default mode given applies; --json", () => {
    fs.writeFileSync(
      path.join(dir, "p.yaml"),
      policyYaml("prod", { mode: "enforce", selector: { namespaces: ["prod"] } }),
    );
    const run = driftguard("explain", "--namespace", "dev", "--image", "nginx", "--mode", "disabled", "--json", dir);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.deepEqual(
      [out.name, out.mode, out.considered[0].reasons],
      ["default", "disabled", ["namespace dev is not in prod"]],
    );
  });

  it("explain: the capture in force, in text and --json; none without capture", () => {
    const spec = { mode: "enforce", selector: { namespaces: ["prod"] }, capture: { maxBytes: 65536 } };
    fs.writeFileSync(path.join(dir, "p.yaml"), policyYaml("prod", spec));
    const text = driftguard("explain", "--namespace", "prod", "--image", "nginx", dir);
    assert.match(text.stdout, /^samples: captured up to 65536 bytes \(admins download them\)$/m);
    const json = JSON.parse(driftguard("explain", "--namespace", "prod", "--image", "nginx", "--json", dir).stdout);
    assert.deepEqual(json.capture, { maxBytes: 65536 });
    const none = driftguard("explain", "--namespace", "dev", "--image", "nginx", dir);
    assert.match(none.stdout, /^samples: not captured$/m);
  });

  it("explain: an enforceAfter still ahead is shown", () => {
    fs.writeFileSync(path.join(dir, "p.yaml"), policyYaml("later", { mode: "audit", enforceAfter: "2099-01-01" }));
    const run = driftguard("explain", "--namespace", "dev", "--image", "nginx", dir);
    assert.match(run.stdout, /^policy: later\nmode: audit\nenforce from: 2099-01-01T00:00:00.000Z\n/);
  });

  it("usage errors exit 2 and say what is wrong", () => {
    for (const [args, message] of [
      [["explain", EXAMPLES], /--image is required/],
      [["explain", "--image", "x", "--labels", "novalue", EXAMPLES], /--labels wants key=value pairs/],
      [["explain", "--image", "x", "--mode", "block", EXAMPLES], /--mode must be one of enforce, audit, disabled/],
      [["check"], /give at least one policy directory or file/],
      [["lint", EXAMPLES], /unknown subcommand lint/],
    ] as const) {
      const run = driftguard(...args);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, message);
    }
  });
});
