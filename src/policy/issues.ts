// What loading policies can find wrong: a stable code, where (file, line, column, field),
// what is wrong. Loading returns these as values and never throws at the first one.
import type { DriftPolicy } from "./types";

export const ERROR_CODES = [
  "dir_unreadable",
  "file_unreadable",
  "file_too_large",
  "yaml_syntax",
  "duplicate_key",
  "not_a_mapping",
  "unsupported_api_version",
  "unsupported_kind",
  "missing_field",
  "wrong_type",
  "invalid_value",
  "duplicate_name",
] as const;

export const WARNING_CODES = [
  "unknown_field",
  "yaml_warning",
  "empty_file",
  "no_policies",
  "selector_matches_nothing",
  "shadowed_policy",
  "enforce_after_ignored",
  "exception_expired",
  "glob_double_star",
  "posture_enforce_ignored",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
export type WarningCode = (typeof WARNING_CODES)[number];
export type IssueCode = ErrorCode | WarningCode;

export interface PolicyIssue {
  severity: "error" | "warning";
  code: IssueCode;
  /** File as given to the loader ("" when the issue is about the directory). */
  file: string;
  /** 1-based; 0 when unknown. */
  line: number;
  column: number;
  /** Dotted path of the field, e.g. spec.allow.paths[0].path; "" for the whole document. */
  field: string;
  /** metadata.name of the document, when it has one. */
  policy?: string;
  message: string;
}

export interface LoadResult {
  /** The valid policies (documents with errors are left out). */
  policies: DriftPolicy[];
  issues: PolicyIssue[];
  /** Files read, in the order read. */
  files: string[];
}

export function severityOf(code: IssueCode): PolicyIssue["severity"] {
  return (ERROR_CODES as readonly string[]).includes(code) ? "error" : "warning";
}

export function errorsOf(result: { issues: PolicyIssue[] }): PolicyIssue[] {
  return result.issues.filter((i) => i.severity === "error");
}

export function warningsOf(result: { issues: PolicyIssue[] }): PolicyIssue[] {
  return result.issues.filter((i) => i.severity === "warning");
}

/** `file:line:col: error code field: message [policy name]`, as compilers print. */
export function formatIssue(issue: PolicyIssue): string {
  const where = issue.file ? `${issue.file}${issue.line > 0 ? `:${issue.line}:${issue.column}` : ""}: ` : "";
  const field = issue.field ? ` ${issue.field}:` : ":";
  const policy = issue.policy ? ` [policy ${issue.policy}]` : "";
  return `${where}${issue.severity} ${issue.code}${field} ${issue.message}${policy}`;
}

/** A field path as users write it: spec.allow.paths[0].path. */
export function fieldName(path: readonly (string | number)[]): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : out ? `.${part}` : part;
  return out;
}
