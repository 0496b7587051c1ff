// daemonset/Dockerfile's structure: a build stage and a slim runtime on one Node.js of 22 or
// newer (bases given as build arguments), sources that exist and that the ignore file lets
// into the context, and build outputs where the code looks. It is also built for real and
// run in pods by test/deployed (npm run test:deployed); these checks fail fast and say why.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { DAEMONSET, ROOT } from "./kustomize";

interface Instruction {
  op: string;
  args: string;
}

/** Instructions with their continuation lines joined; comments dropped. */
export function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

interface Stage {
  from: string;
  name?: string;
  steps: Instruction[];
}

function stages(list: Instruction[]): { args: Map<string, string>; stages: Stage[] } {
  const args = new Map<string, string>();
  const found: Stage[] = [];
  for (const instruction of list) {
    if (instruction.op === "FROM") {
      const [from, as, name] = instruction.args.split(/\s+/);
      found.push({ from, name: as?.toUpperCase() === "AS" ? name : undefined, steps: [] });
    } else if (found.length === 0 && instruction.op === "ARG") {
      const [key, value] = instruction.args.split("=");
      args.set(key, value ?? "");
    } else {
      found.at(-1)?.steps.push(instruction);
    }
  }
  return { args, stages: found };
}

/** COPY's sources and destination (flags such as --from= apart). */
function copyParts(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const from = words.find((w) => w.startsWith("--from="))?.slice("--from=".length);
  const paths = words.filter((w) => !w.startsWith("--"));
  return { from, sources: paths.slice(0, -1), dest: paths[paths.length - 1] };
}

/** True when the allow-list ignore file ("*" then "!path" lines) lets file into the context. */
function allowedIntoContext(ignore: string[], file: string): boolean {
  let allowed = true;
  for (const pattern of ignore) {
    const negated = pattern.startsWith("!");
    const p = (negated ? pattern.slice(1) : pattern).replace(/\/$/, "");
    const matches = p === "*" || file === p || file.startsWith(`${p}/`);
    if (matches) allowed = negated;
  }
  return allowed;
}

describe("daemonset: Dockerfile", () => {
  const text = fs.readFileSync(path.join(DAEMONSET, "Dockerfile"), "utf8");
  const { args, stages: found } = stages(instructions(text));
  // ARG defaults may name other ARGs (BUILD_BASE=node:${NODE_MAJOR}-bookworm).
  const expand = (s: string): string => {
    const once = s.replace(/\$\{(\w+)\}/g, (_, name: string) => args.get(name) ?? `\${${name}}`);
    return once === s ? s : expand(once);
  };
  const ignore = fs
    .readFileSync(path.join(DAEMONSET, "Dockerfile.dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));

  it("builds in a full Node.js image and runs in the slim one, both Node.js 22 or newer and the same", () => {
    assert.equal(found.length, 2);
    const [build, runtime] = found.map((s) => expand(s.from));
    assert.equal(found[0].name, "build");
    assert.match(build, /^node:(\d+)-bookworm$/);
    assert.match(runtime, /^node:(\d+)-bookworm-slim$/);
    const major = (image: string): number => Number(/^node:(\d+)/.exec(image)?.[1]);
    assert.ok(major(build) >= 22, build);
    assert.equal(major(runtime), major(build), "the addons are built for the Node.js that runs them");
  });

  it("takes both bases as build arguments, so that the same file builds on other bases", () => {
    assert.deepEqual(
      found.map((stage) => stage.from),
      ["${BUILD_BASE}", "${RUNTIME_BASE}"],
    );
    // node-gyp builds against the headers of the Node.js in the base, never downloads them.
    const env = found[0].steps.filter((step) => step.op === "ENV").map((step) => step.args);
    assert.ok(
      env.some((e) => /\bnpm_config_nodedir=\/usr\/local\b/.test(e)),
      env.join("; "),
    );
  });

  it("copies sources that exist and that the ignore file lets in", () => {
    const copies = found[0].steps.filter((s) => s.op === "COPY").map((s) => copyParts(s.args));
    const sources = copies.flatMap((c) => c.sources);
    assert.ok(sources.length > 0);
    for (const source of sources) {
      const file = source.replace(/\/$/, "");
      assert.ok(fs.existsSync(path.join(ROOT, file)), `${file} is not in the repository`);
      assert.ok(allowedIntoContext(ignore, file), `${file} is left out of the context by Dockerfile.dockerignore`);
    }
    for (const needed of ["package-lock.json", "binding.gyp", "native", "src"]) {
      assert.ok(
        sources.some((s) => s.replace(/\/$/, "") === needed),
        needed,
      );
    }
  });

  it("builds, then drops the development dependencies, before the runtime copies node_modules", () => {
    const runs = found[0].steps.filter((s) => s.op === "RUN").map((s) => s.args);
    assert.ok(runs.some((r) => /\bnpm ci\b/.test(r)));
    assert.ok(runs.some((r) => /npm run build\b.*npm prune --omit=dev/.test(r)));
  });

  it("copies into the runtime what the code loads, where it looks for it", () => {
    const copies = found[1].steps.filter((s) => s.op === "COPY").map((s) => copyParts(s.args));
    const built = new Map(
      copies.filter((c) => c.from === "build").map((c) => [c.sources[0].replace(/^\/src\//, ""), c.dest]),
    );
    const gyp = JSON.parse(fs.readFileSync(path.join(ROOT, "binding.gyp"), "utf8")) as {
      targets: { target_name: string }[];
    };
    const addon = `build/Release/${gyp.targets[0].target_name}.node`;
    const expected: Record<string, string> = {
      "package.json": "./",
      "node_modules/": "node_modules/",
      [addon]: "build/Release/",
      "dist/src/": "dist/src/", // tsconfig.json's outDir is dist
      "src/runtime/proto/": "src/runtime/proto/", // containerdProto.ts: ../../../src/runtime/proto from dist
      "src/api/driftguard/": "src/api/driftguard/", // apiProto.ts: ../../../src/api from dist
      "src/collector/web/static/": "src/collector/web/static/", // staticFiles.ts: the review page
    };
    assert.deepEqual(Object.fromEntries(built), expected);
    for (const dir of ["src/runtime/proto", "src/api/driftguard/v1"]) {
      assert.ok(
        fs.readdirSync(path.join(ROOT, dir)).some((f) => f.endsWith(".proto")),
        dir,
      );
    }
    assert.ok(fs.existsSync(path.join(ROOT, "src/collector/web/static/index.html")));
    const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8")) as {
      compilerOptions: { outDir: string };
    };
    assert.equal(tsconfig.compilerOptions.outDir, "dist");
  });

  it("starts the driftguard command, which the pods give 'agent' or 'collector'", () => {
    const entry = found[1].steps.find((s) => s.op === "ENTRYPOINT");
    assert.deepEqual(JSON.parse(entry?.args ?? "null"), ["node", "/app/dist/src/cli/main.js"]);
    assert.ok(fs.existsSync(path.join(ROOT, "src", "cli", "main.ts")));
    const workdir = found[1].steps.find((s) => s.op === "WORKDIR")?.args;
    assert.equal(workdir, "/app");
    assert.equal(
      found[1].steps.some((s) => s.op === "USER"),
      false,
      "the agent runs as root; the collector's pod sets its user",
    );
  });

  it("the ignore-file check itself refuses a source the file leaves out", () => {
    assert.equal(allowedIntoContext(["*", "!src/"], "native"), false);
    assert.equal(allowedIntoContext(["*", "!src/"], "src"), true);
  });
});
