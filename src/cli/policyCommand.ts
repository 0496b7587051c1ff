// `driftguard policy check|explain`: the agent's own loader and resolution, offline.
import { componentLogger } from "../log/logger";
import { FirstAppliedStore } from "../policy/FirstAppliedStore";
import { errorsOf, formatIssue, warningsOf } from "../policy/issues";
import { explainPosture, posturePolicyOf } from "../policy/posturePolicy";
import { resolvePolicy, type Resolution } from "../policy/resolve";
import { POLICY_MODES } from "../domain/verdict";
import type { DriftPolicy, Workload } from "../policy/types";
import { UsageError, type Command } from "./command";
import { choice, parseFlags, type FlagSpec } from "./flags";
import { loadPaths } from "./policyFiles";
import { SUGGEST_USAGE, suggest } from "./policySuggest";

const USAGE = `usage: driftguard policy check [--json] DIR|FILE...
       driftguard policy explain --namespace NS [--labels K=V[,K=V]] --image REF [--image-digest sha256:HEX]
                                 [--container NAME] [--mode MODE] [--state-dir DIR] [--json] DIR|FILE...
${SUGGEST_USAGE}

check     validates DriftPolicy files exactly as the agent loads them; prints each error and
          warning as file:line:column: severity code field: message; exits 1 on errors.
explain   prints which policy applies to a container with this identity, in which mode, why,
          its exceptions, and how its posture is judged (which properties are allowed, why).

  --namespace NS       the pod's Kubernetes namespace
  --labels K=V,...     the pod's labels
  --image REF          the container's image reference
  --image-digest D     the image's manifest digest (sha256:<hex>)
  --container NAME     the container's name in the pod spec
  --mode MODE          the agent's default mode for containers no policy matches [audit]
  --state-dir DIR      the agent's state dir, for when enforceAfter durations started
  --json               machine-readable output`;

const CHECK_FLAGS: FlagSpec[] = [{ name: "json", boolean: true }];
const EXPLAIN_FLAGS: FlagSpec[] = [
  { name: "namespace" },
  { name: "labels", default: "" },
  { name: "image" },
  { name: "image-digest" },
  { name: "container" },
  { name: "mode", default: "audit" },
  { name: "state-dir" },
  { name: "json", boolean: true },
];

function check(argv: string[]): number {
  const flags = parseFlags(argv, CHECK_FLAGS, {});
  const result = loadPaths(flags.positionals);
  const errors = errorsOf(result).length;
  const warnings = warningsOf(result).length;
  if (flags.booleans.has("json")) {
    const policies = result.policies.map((p) => ({
      name: p.name,
      mode: p.mode,
      priority: p.priority,
      source: p.source,
    }));
    process.stdout.write(JSON.stringify({ policies, issues: result.issues, errors, warnings }, null, 2) + "\n");
  } else {
    for (const issue of result.issues) process.stdout.write(formatIssue(issue) + "\n");
    process.stdout.write(`${result.policies.length} policies, ${errors} errors, ${warnings} warnings\n`);
  }
  return errors > 0 ? 1 : 0;
}

export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(",").filter((p) => p.trim() !== "")) {
    const eq = pair.indexOf("=");
    if (eq <= 0)
      throw new UsageError(`--labels wants key=value pairs separated by commas (got ${JSON.stringify(pair)})`);
    labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return labels;
}

function explain(argv: string[]): number {
  const flags = parseFlags(argv, EXPLAIN_FLAGS, {});
  const image = flags.values.get("image");
  if (!image) throw new UsageError("--image is required");
  const workload: Workload = {
    namespace: flags.values.get("namespace"),
    podLabels: parseLabels(flags.values.get("labels")!),
    image,
    imageDigest: flags.values.get("image-digest"),
    container: flags.values.get("container"),
  };
  const defaultMode = choice(flags, "mode", POLICY_MODES);
  const result = loadPaths(flags.positionals);
  for (const issue of errorsOf(result)) process.stderr.write(formatIssue(issue) + "\n");
  const stateDir = flags.values.get("state-dir");
  const store = stateDir ? new FirstAppliedStore(stateDir, componentLogger("policy")) : undefined;
  const resolution = resolvePolicy(workload, result.policies, {
    defaultMode,
    nowMs: Date.now(),
    firstAppliedMs: (name) => store?.get(name),
  });
  if (flags.booleans.has("json")) {
    const { policy, ...rest } = resolution;
    const { level, stop, allow } = posturePolicyOf(resolution);
    const posture = { level, stop, allow };
    const capture = policy?.capture ?? null;
    process.stdout.write(
      JSON.stringify({ ...rest, exceptions: policy && exceptions(policy), posture, capture }, null, 2) + "\n",
    );
  } else {
    process.stdout.write(render(resolution, errorsOf(result).length));
  }
  return 0;
}

function exceptions(policy: DriftPolicy): string[] {
  const { allow, deny } = policy;
  return [
    ...allow.paths.map((p) => `allow path ${p.path}: ${p.reason}`),
    ...allow.digests.map((d) => `allow digest sha256:${d.sha256}: ${d.reason}`),
    ...allow.parents.map((p) => `allow parent ${p.path}: ${p.reason}`),
    ...allow.volumes.map((v) =>
      "kind" in v ? `allow volume kind ${v.kind}: ${v.reason}` : `allow volume ${v.path}: ${v.reason}`,
    ),
    ...deny.map((d) => `deny ${d.path}${d.reason ? `: ${d.reason}` : ""}`),
  ];
}

function render(r: Resolution, errors: number): string {
  const lines = [`policy: ${r.name}`, `mode: ${r.mode}`];
  if (r.enforceAtMs !== undefined) lines.push(`enforce from: ${new Date(r.enforceAtMs).toISOString()}`);
  lines.push("why:", ...r.reasons.map((reason) => `  ${reason}`));
  if (r.policy) {
    const list = exceptions(r.policy);
    lines.push("exceptions:", ...(list.length > 0 ? list.map((e) => `  ${e}`) : ["  none"]));
  }
  lines.push(...explainPosture(r));
  const capture = r.policy?.capture;
  lines.push(
    `samples: ${capture ? `captured up to ${capture.maxBytes} bytes (admins download them)` : "not captured"}`,
  );
  if (r.considered.length > 0) {
    lines.push("policies, in the order tried:");
    const width = Math.max(...r.considered.map((c) => c.name.length));
    for (const c of r.considered) {
      const why = c.reasons[c.reasons.length - 1] ?? "";
      lines.push(
        `  ${c.name.padEnd(width)}  priority ${String(c.priority).padStart(4)}  ${c.matched ? "matches" : "no"}: ${why}`,
      );
    }
  }
  if (errors > 0)
    lines.push(`warning: ${errors} errors in the policies (on stderr); the agent would keep its last good set`);
  return lines.join("\n") + "\n";
}

export const policyCommand: Command = {
  name: "policy",
  summary: "check policy files; explain which policy applies to a container; suggest an exception for findings",
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === "check") return check(rest);
    if (sub === "explain") return explain(rest);
    if (sub === "suggest") return suggest(rest);
    throw new UsageError(sub ? `unknown subcommand ${sub}` : "check, explain or suggest?");
  },
};
