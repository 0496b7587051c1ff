// One parsed YAML document → a DriftPolicy, or the issues that keep it from being one:
// the schema first (schema.ts), then what a schema cannot say (label keys, operators and
// their values, digests, dates, selectors that can never match).
import { fieldName, severityOf, type IssueCode, type PolicyIssue } from "./issues";
import { DIGEST_PATTERN } from "./imageRef";
import { parseEnforceAfter } from "./enforceAfter";
import { parseExpiry } from "./exceptionExpiry";
import type { ParsedDocument } from "./parse";
import { postureOfSpec } from "./postureValidate";
import { DOCUMENT_SCHEMA, LABEL_KEY_PATTERN } from "./schema";
import { checkSchema, isMapping } from "./schemaCheck";
import {
  API_VERSION,
  KIND,
  type CaptureSettings,
  type DriftPolicy,
  type LabelExpression,
  type PolicySelector,
} from "./types";

type Path = (string | number)[];

interface Reporter {
  (code: IssueCode, path: Path, message: string, atKey?: boolean): void;
  errors: number;
}

export function validateDocument(doc: ParsedDocument, file: string): { policy?: DriftPolicy; issues: PolicyIssue[] } {
  const issues: PolicyIssue[] = [];
  const value = doc.value;
  const name = isMapping(value) && isMapping(value.metadata) ? value.metadata.name : undefined;
  const policyName = typeof name === "string" ? name : undefined;
  const report = ((code, path, message, atKey = false) => {
    const at = doc.locate(path, atKey);
    const severity = severityOf(code);
    if (severity === "error") report.errors++;
    issues.push({
      severity,
      code,
      file,
      line: at.line,
      column: at.column,
      field: fieldName(path),
      policy: policyName,
      message,
    });
  }) as Reporter;
  report.errors = 0;
  if (!isMapping(value)) {
    report("not_a_mapping", [], `a DriftPolicy document must be a mapping with apiVersion, kind, metadata, spec`);
    return { issues };
  }
  if (value.apiVersion !== API_VERSION) {
    report(
      "unsupported_api_version",
      ["apiVersion"],
      `apiVersion must be ${API_VERSION} (got ${JSON.stringify(value.apiVersion) ?? "nothing"})`,
    );
    return { issues };
  }
  if (value.kind !== KIND) {
    report(
      "unsupported_kind",
      ["kind"],
      `kind must be ${KIND} (got ${JSON.stringify(value.kind) ?? "nothing"}); only DriftPolicy documents belong in the policy directory`,
    );
    return { issues };
  }
  for (const finding of checkSchema(DOCUMENT_SCHEMA, value))
    report(finding.code, finding.path, finding.message, finding.atKey);
  if (report.errors > 0) return { issues };
  const spec = value.spec as Record<string, unknown>;
  const selector = (spec.selector ?? {}) as PolicySelector;
  checkSelector(selector, report);
  const enforceAfter = checkEnforceAfter(spec, report);
  checkGlobs(spec, report);
  const allow = checkExpiries(spec, report);
  const posture = postureOfSpec(spec, report);
  if (report.errors > 0) return { issues };
  const policy: DriftPolicy = {
    name: policyName!,
    source: { file, line: doc.start.line },
    priority: (spec.priority as number | undefined) ?? 0,
    mode: spec.mode as DriftPolicy["mode"],
    enforceAfter,
    selector: normalizeSelector(selector),
    allow: {
      paths: (allow.paths ?? []) as DriftPolicy["allow"]["paths"],
      digests: ((allow.digests ?? []) as DriftPolicy["allow"]["digests"]).map((d) => ({
        ...d,
        sha256: d.sha256.replace(/^sha256:/, ""),
      })),
      parents: (allow.parents ?? []) as DriftPolicy["allow"]["parents"],
      volumes: (allow.volumes ?? []) as DriftPolicy["allow"]["volumes"],
      ...(posture.exceptions ? { posture: posture.exceptions } : {}),
    },
    deny: ((spec.deny ?? []) as { path: string; reason?: string }[]).map((d) => ({
      path: d.path,
      reason: d.reason ?? "",
    })),
    ...(posture.settings ? { posture: posture.settings } : {}),
    ...(spec.capture ? { capture: { maxBytes: (spec.capture as CaptureSettings).maxBytes } } : {}),
  };
  return { policy, issues };
}

function normalizeSelector(selector: PolicySelector): PolicySelector {
  const out: PolicySelector = { ...selector };
  if (selector.matchExpressions) {
    out.matchExpressions = selector.matchExpressions.map((e) => ({
      key: e.key,
      operator: e.operator,
      values: e.values ?? [],
    }));
  }
  return out;
}

const LABEL_KEY = new RegExp(LABEL_KEY_PATTERN);
const SELECTOR: Path = ["spec", "selector"];

function checkSelector(selector: PolicySelector, report: Reporter): void {
  for (const field of ["namespaces", "images", "containers"] as const) {
    if (selector[field]?.length === 0) {
      report(
        "selector_matches_nothing",
        [...SELECTOR, field],
        `an empty list matches no container; remove ${field} to match every one`,
      );
    }
  }
  const labels = selector.matchLabels ?? {};
  for (const key of Object.keys(labels)) {
    if (!LABEL_KEY.test(key) || key.length > 317) {
      report(
        "invalid_value",
        [...SELECTOR, "matchLabels", key],
        `"${key}" is not a label key (like app or example.com/tier)`,
        true,
      );
    }
  }
  (selector.matchExpressions ?? []).forEach((e: Partial<LabelExpression>, i) => {
    const at: Path = [...SELECTOR, "matchExpressions", i];
    const values = e.values ?? [];
    const needsValues = e.operator === "In" || e.operator === "NotIn";
    if (needsValues && values.length === 0)
      report("invalid_value", [...at, "values"], `operator ${e.operator} needs at least one value`);
    if (!needsValues && values.length > 0)
      report("invalid_value", [...at, "values"], `operator ${e.operator} takes no values`);
    const wanted = Object.prototype.hasOwnProperty.call(labels, e.key!) ? labels[e.key!] : undefined;
    if (wanted === undefined) return;
    const contradicts =
      e.operator === "DoesNotExist" ||
      (e.operator === "In" && !values.includes(wanted)) ||
      (e.operator === "NotIn" && values.includes(wanted));
    if (contradicts)
      report("selector_matches_nothing", at, `contradicts matchLabels ${e.key}=${wanted}: no pod can match`);
  });
  (selector.images ?? []).forEach((image, i) => {
    const digest = image.startsWith("sha256:")
      ? image
      : image.includes("@")
        ? image.slice(image.indexOf("@") + 1)
        : undefined;
    if (digest !== undefined && !DIGEST_PATTERN.test(digest)) {
      report(
        "invalid_value",
        [...SELECTOR, "images", i],
        `"${digest}" is not a digest: sha256: and 64 lower-case hex digits`,
      );
    }
  });
}

function checkEnforceAfter(spec: Record<string, unknown>, report: Reporter): DriftPolicy["enforceAfter"] {
  if (typeof spec.enforceAfter !== "string") return undefined;
  const parsed = parseEnforceAfter(spec.enforceAfter);
  if (typeof parsed === "string") {
    report("invalid_value", ["spec", "enforceAfter"], parsed);
    return undefined;
  }
  if (spec.mode !== "audit") {
    report(
      "enforce_after_ignored",
      ["spec", "enforceAfter"],
      `only a policy in mode audit turns into enforce; this one is ${String(spec.mode)}`,
    );
  }
  return parsed;
}

/** The allow lists with each `expires` parsed; a bad one is an error, one already past a warning. */
function checkExpiries(spec: Record<string, unknown>, report: Reporter): Record<string, unknown[] | undefined> {
  const allow = { ...((spec.allow ?? {}) as Record<string, Record<string, unknown>[] | undefined>) };
  for (const list of ["paths", "digests", "parents", "volumes"]) {
    allow[list] = allow[list]?.map((entry, i) => {
      if (typeof entry.expires !== "string") return entry;
      const at: Path = ["spec", "allow", list, i, "expires"];
      const expires = parseExpiry(entry.expires);
      if (typeof expires === "string") report("invalid_value", at, expires);
      else if (expires.atMs <= Date.now())
        report("exception_expired", at, `expired at ${new Date(expires.atMs).toISOString()}: it no longer applies`);
      return { ...entry, expires: typeof expires === "string" ? undefined : expires };
    });
  }
  return allow;
}

function checkGlobs(spec: Record<string, unknown>, report: Reporter): void {
  const allow = (spec.allow ?? {}) as Record<string, { path?: string }[] | undefined>;
  const lists: [Path, { path?: string }[] | undefined][] = [
    [["spec", "allow", "paths"], allow.paths],
    [["spec", "allow", "parents"], allow.parents],
    [["spec", "deny"], spec.deny as { path?: string }[] | undefined],
  ];
  for (const [at, entries] of lists) {
    (entries ?? []).forEach((entry, i) => {
      if (entry.path?.includes("**")) {
        report(
          "glob_double_star",
          [...at, i, "path"],
          "fnmatch(3) has no **: it matches like * and stops at /; list each depth (/a/*, /a/*/*)",
        );
      }
    });
  }
}
