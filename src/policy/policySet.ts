// Checks across the documents of a policy set: names must be unique, and a policy that a
// higher-ranked one always hides never applies (a warning: probably not what was meant).
import { globMatches, hasGlob } from "./glob";
import type { PolicyIssue } from "./issues";
import { rankPolicies } from "./resolve";
import type { DriftPolicy, LabelExpression, PolicySelector } from "./types";

/** Drops the later of two policies with one name; returns the errors. */
export function dropDuplicateNames(policies: DriftPolicy[]): { unique: DriftPolicy[]; issues: PolicyIssue[] } {
  const seen = new Map<string, DriftPolicy>();
  const issues: PolicyIssue[] = [];
  for (const policy of policies) {
    const first = seen.get(policy.name);
    if (!first) {
      seen.set(policy.name, policy);
      continue;
    }
    issues.push({
      severity: "error",
      code: "duplicate_name",
      file: policy.source.file,
      line: policy.source.line,
      column: 1,
      field: "metadata.name",
      policy: policy.name,
      message: `policy ${policy.name} is already defined at ${first.source.file}:${first.source.line}; names must be unique`,
    });
  }
  return { unique: [...seen.values()], issues };
}

export function shadowWarnings(policies: DriftPolicy[]): PolicyIssue[] {
  const ranked = rankPolicies(policies);
  const issues: PolicyIssue[] = [];
  ranked.forEach((policy, i) => {
    const hider = ranked.slice(0, i).find((higher) => selectorCovers(higher.selector, policy.selector));
    if (!hider) return;
    issues.push({
      severity: "warning",
      code: "shadowed_policy",
      file: policy.source.file,
      line: policy.source.line,
      column: 1,
      field: "spec.selector",
      policy: policy.name,
      message: `never applies: ${hider.name} (priority ${hider.priority}, ${hider.source.file}:${hider.source.line}) ranks higher and matches every container this one selects`,
    });
  });
  return issues;
}

/**
 * True when every workload b matches is certainly matched by a (never a false positive;
 * overlaps it cannot prove are not reported).
 */
export function selectorCovers(a: PolicySelector, b: PolicySelector): boolean {
  return (
    namesCovered(a.namespaces, b.namespaces) &&
    namesCovered(a.containers, b.containers) &&
    (a.images === undefined ||
      (b.images !== undefined && b.images.every((image) => a.images!.includes(image) || a.images!.includes("**")))) &&
    Object.entries(a.matchLabels ?? {}).every(([k, v]) => b.matchLabels?.[k] === v) &&
    (a.matchExpressions ?? []).every((e) => expressionImplied(e, b))
  );
}

function namesCovered(a: string[] | undefined, b: string[] | undefined): boolean {
  if (a === undefined) return true;
  if (b === undefined) return false;
  return b.every((name) => a.includes(name) || (!hasGlob(name) && a.some((glob) => globMatches(glob, name))));
}

function expressionImplied(e: LabelExpression, b: PolicySelector): boolean {
  const same = (b.matchExpressions ?? []).some(
    (x) => x.key === e.key && x.operator === e.operator && x.values.join("\n") === e.values.join("\n"),
  );
  if (same) return true;
  const labels = b.matchLabels ?? {};
  if (!Object.prototype.hasOwnProperty.call(labels, e.key)) return false;
  const value = labels[e.key];
  return (
    e.operator === "Exists" ||
    (e.operator === "In" && e.values.includes(value)) ||
    (e.operator === "NotIn" && !e.values.includes(value))
  );
}
