// "Make an exception": the DriftPolicy documents that would have allowed a finding or a
// group of them, one per kind of allow entry they all share, narrowest first (the content
// by digest, the path, the volume's directory, the program that ran it). Each is checked by the loader `policy check` uses
// before it is offered. Policies are not merged (one applies per container), so an
// exception is a policy of its own that selects only the finding's workload, above the
// policy in force: a copy of that policy when its text is known (`policy suggest DIR`),
// else an empty one whose comment says what to copy into it.
import * as path from "node:path";

import { visibleText } from "../util/visibleText";
import { escapeFnmatch } from "./glob";
import { errorsOf, formatIssue } from "./issues";
import { loadPolicyText } from "./loadPolicies";
import { policyDocumentYaml } from "./policyDocument";
import type { DriftPolicy, Expiry, PolicyAllow, PolicySelector } from "./types";

/** What a suggestion needs of a finding (a FindingView has it all). */
export interface ExceptionSource {
  id: string;
  namespace: string;
  container: string;
  image: string;
  path: string;
  sha256: string;
  reason: string;
  mode: string;
  policy: string;
  process: { exe: string };
}

export type ExceptionKind = "digest" | "path" | "volume" | "parent";

export interface ExceptionSuggestion {
  kind: ExceptionKind;
  /** One line: what the entry allows. */
  summary: string;
  yaml: string;
}

/** Priority of an exception when the policy in force is not known: above any usual one. */
export const UNKNOWN_BASE_PRIORITY = 1000;
const MAX_REASON = 1024;
const NAME = /^[-a-z0-9]{1,63}$/;

/** Distinct values, or undefined when any fails `valid` (the field then selects nothing more). */
function literals(values: string[], valid: (v: string) => boolean): string[] | undefined {
  const distinct = [...new Set(values)].sort();
  return distinct.length > 0 && distinct.length <= 256 && distinct.every(valid) ? distinct : undefined;
}

/**
 * The selector of the findings' workloads: their namespaces, containers and images (each a
 * list of any of them), a field left as the base's when a value is not a literal name.
 */
function workloadSelector(findings: ExceptionSource[], base: PolicySelector): PolicySelector {
  const out: PolicySelector = { ...base };
  const namespaces = literals(
    findings.map((f) => f.namespace),
    (v) => NAME.test(v),
  );
  const containers = literals(
    findings.map((f) => f.container),
    (v) => NAME.test(v),
  );
  const images = literals(
    findings.map((f) => f.image),
    (v) => /^[^\s*?]{1,512}$/.test(v),
  );
  if (namespaces) out.namespaces = namespaces;
  if (containers) out.containers = containers;
  if (images) out.images = images;
  return out;
}

/** The one value every finding has, or undefined. */
function shared<T>(findings: ExceptionSource[], get: (f: ExceptionSource) => T): T | undefined {
  const first = get(findings[0]);
  return findings.every((f) => get(f) === first) ? first : undefined;
}

function entries(
  findings: ExceptionSource[],
  why: string,
  expires: Expiry | undefined,
): [ExceptionKind, string, Partial<PolicyAllow>][] {
  const reason = { reason: why, ...(expires ? { expires } : {}) };
  const out: [ExceptionKind, string, Partial<PolicyAllow>][] = [];
  const f = {
    sha256: shared(findings, (x) => x.sha256) ?? "",
    path: shared(findings, (x) => x.path) ?? "",
    reason: shared(findings, (x) => x.reason) ?? "",
    exe: shared(findings, (x) => x.process.exe) ?? "",
    dir: shared(findings, (x) => path.posix.dirname(x.path)) ?? "",
  };
  if (/^[0-9a-f]{64}$/.test(f.sha256))
    out.push([
      "digest",
      `this content (sha256:${f.sha256}) at any path`,
      { digests: [{ sha256: f.sha256, ...reason }] },
    ]);
  if (f.path.startsWith("/") && f.reason !== "fileless")
    out.push(["path", `any content at ${f.path}`, { paths: [{ path: escapeFnmatch(f.path), ...reason }] }]);
  if (f.dir.startsWith("/") && f.reason === "volume")
    out.push(["volume", `volume files under ${f.dir}`, { volumes: [{ path: escapeFnmatch(f.dir), ...reason }] }]);
  if (f.exe.startsWith("/"))
    out.push(["parent", `any drift that ${f.exe} runs`, { parents: [{ path: escapeFnmatch(f.exe), ...reason }] }]);
  return out;
}

/**
 * The exceptions that would have allowed every one of `findings`, narrowest first; `base`
 * is the policy in force when its text is known; `expires` makes the entry a break-glass
 * one. Throws if the loader refuses a document
 * it made (a bug, never the findings' content).
 */
export function suggestExceptions(
  findings: ExceptionSource[],
  why: string,
  base?: DriftPolicy,
  expires?: Expiry,
): ExceptionSuggestion[] {
  if (findings.length === 0) return [];
  const what = findings.length === 1 ? `finding ${findings[0].id}` : `${findings.length} findings`;
  const reason = (why.trim() || `allowed after review of ${what}`).slice(0, MAX_REASON);
  const shortId = findings[0].id.replace(/[^a-z0-9]/g, "").slice(0, 12) || "finding";
  const inForce = visibleText(shared(findings, (f) => f.policy) || "the agent's default mode");
  const mode = base?.mode ?? (findings.some((f) => f.mode === "enforce") ? "enforce" : "audit");
  return entries(findings, reason, expires).map(([kind, summary, added]) => {
    const name = `${base?.name ?? "exception"}-${kind}-${shortId}`.slice(0, 253);
    const allow: PolicyAllow = {
      paths: [...(base?.allow.paths ?? []), ...(added.paths ?? [])],
      digests: [...(base?.allow.digests ?? []), ...(added.digests ?? [])],
      parents: [...(base?.allow.parents ?? []), ...(added.parents ?? [])],
      volumes: [...(base?.allow.volumes ?? []), ...(added.volumes ?? [])],
    };
    const comment = [
      `Exception for driftguard ${visibleText(what)}: allows ${visibleText(summary)}.`,
      base
        ? `A copy of policy ${base.name} (priority ${base.priority}) for this workload only, with one more allow entry.`
        : `Policies are not merged: for the containers it selects this one replaces ${inForce}.\n` +
          `Copy the allow and deny entries of ${inForce} that must still apply, and keep this priority above it.`,
    ].join("\n");
    const yaml = policyDocumentYaml(
      {
        name,
        priority: base ? base.priority + 1 : UNKNOWN_BASE_PRIORITY,
        mode,
        enforceAfter: base?.enforceAfter,
        selector: workloadSelector(findings, base?.selector ?? {}),
        allow,
        deny: base?.deny ?? [],
      },
      comment,
    );
    const errors = errorsOf(loadPolicyText(yaml, `${name}.yaml`));
    if (errors.length)
      throw new Error(`the suggested policy fails its own check: ${errors.map(formatIssue).join("; ")}`);
    return { kind, summary, yaml };
  });
}
