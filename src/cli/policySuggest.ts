// `driftguard policy suggest`: the DriftPolicy that would have allowed a finding or a group,
// from the JSON `findings show ID --json` or `findings list --json ...` prints.
import * as fs from "node:fs";

import { parseExpiry } from "../policy/exceptionExpiry";
import { errorsOf, formatIssue } from "../policy/issues";
import { suggestExceptions, type ExceptionKind, type ExceptionSource } from "../policy/suggestException";
import { errorMessage } from "../util/errorMessage";
import { terminalJson, visibleText } from "../util/visibleText";
import { UsageError } from "./command";
import { parseFlags, type FlagSpec } from "./flags";
import { loadPaths } from "./policyFiles";

export const SUGGEST_USAGE = `       driftguard policy suggest --finding FILE|- [--kind KIND] [--reason TEXT] [--expires TIME] [--json] [DIR|FILE...]

suggest   prints the DriftPolicy that would have allowed the findings in FILE (what
          "driftguard findings show ID --json" or "findings list --json --sha256 HEX" print),
          checked by the loader of "policy check": by digest, path, volume or parent (the
          narrowest first, or --kind). With the policy files, a copy of the policy in force
          for those workloads only; else a policy of its own that says what to copy into it.

  --finding FILE       the findings as JSON (- reads stdin)
  --kind KIND          digest, path, volume or parent [the narrowest that applies]
  --reason TEXT        why the exception is right (kept in the policy) [the finding's id]
  --expires TIME       break-glass: the entry stops applying then (2026-03-01T18:00:00Z)`;

const FLAGS: FlagSpec[] = [
  { name: "expires" },
  { name: "finding" },
  { name: "kind" },
  { name: "reason", default: "" },
  { name: "json", boolean: true },
];
const KINDS: ExceptionKind[] = ["digest", "path", "volume", "parent"];

const isText = (v: unknown): v is string => typeof v === "string";

/** The findings of the JSON text: one object or an array, each checked for the fields used. */
export function findingsOf(text: string): ExceptionSource[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--finding is not JSON (${errorMessage(error)}); give what "findings show ID --json" prints`);
  }
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  if (list.length === 0) throw new UsageError("--finding holds no finding");
  return list.map((item, i) => {
    const f = item as Record<string, unknown>;
    const fields = ["id", "namespace", "container", "image", "path", "sha256", "reason", "mode", "policy"];
    const missing = fields.filter((k) => !isText(f?.[k]));
    const exe = (f?.process as { exe?: unknown } | undefined)?.exe;
    if (!isText(exe)) missing.push("process.exe");
    if (missing.length) throw new UsageError(`finding ${i + 1} of --finding lacks ${missing.join(", ")}`);
    return f as unknown as ExceptionSource;
  });
}

function readInput(file: string): string {
  try {
    return fs.readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read --finding ${visibleText(file)}: ${errorMessage(error)}`);
  }
}

export function suggest(argv: string[]): number {
  const flags = parseFlags(argv, FLAGS, {});
  const file = flags.values.get("finding");
  if (!file) throw new UsageError("--finding FILE is required (- for stdin)");
  const kind = flags.values.get("kind");
  if (kind && !KINDS.includes(kind as ExceptionKind)) throw new UsageError(`--kind must be one of ${KINDS.join(", ")}`);
  const findings = findingsOf(readInput(file));
  let base;
  if (flags.positionals.length > 0) {
    const loaded = loadPaths(flags.positionals);
    for (const issue of errorsOf(loaded)) process.stderr.write(formatIssue(issue) + "\n");
    const names = [...new Set(findings.map((f) => f.policy))];
    base = names.length === 1 ? loaded.policies.find((p) => p.name === names[0]) : undefined;
    if (!base) {
      const which = names.map((n) => visibleText(n || "(the agent's default)")).join(", ");
      process.stderr.write(
        `the findings' policy ${which} is not one policy of these files: the exception starts empty\n`,
      );
    }
  }
  const expiresText = flags.values.get("expires");
  const expires = expiresText === undefined ? undefined : parseExpiry(expiresText);
  if (typeof expires === "string") throw new UsageError(`--expires ${visibleText(expiresText!)} ${expires}`);
  const suggestions = suggestExceptions(findings, flags.values.get("reason")!, base, expires);
  if (flags.booleans.has("json")) {
    process.stdout.write(terminalJson(suggestions, 2) + "\n");
    return 0;
  }
  const chosen = kind ? suggestions.find((s) => s.kind === kind) : suggestions[0];
  if (!chosen) {
    process.stderr.write(
      `no ${kind ?? ""} exception would allow ${findings.length > 1 ? "all of these findings" : "this finding"}\n`,
    );
    return 1;
  }
  process.stdout.write(chosen.yaml);
  for (const other of suggestions.filter((s) => s !== chosen))
    process.stderr.write(`also: --kind ${other.kind} (${visibleText(other.summary)})\n`);
  return 0;
}
