// Loads a policy directory (every *.yaml and *.yml at its top, following symlinks, as a
// mounted ConfigMap presents them) or one text. Returns a LoadResult; never throws, so
// that no file content can stop the agent.
import * as fs from "node:fs";
import * as path from "node:path";

import type { LoadResult, PolicyIssue } from "./issues";
import { parsePolicyYaml } from "./parse";
import { dropDuplicateNames, shadowWarnings } from "./policySet";
import type { DriftPolicy } from "./types";
import { validateDocument } from "./validate";
import { errorMessage } from "../util/errorMessage";

export const MAX_FILE_BYTES = 1024 * 1024;
export const MAX_FILES = 1000;

/** The documents of one file's text, validated one by one. */
export function loadPolicyText(text: string, file: string): { policies: DriftPolicy[]; issues: PolicyIssue[] } {
  const parsed = parsePolicyYaml(text, file);
  const issues = [...parsed.issues];
  const policies: DriftPolicy[] = [];
  for (const doc of parsed.documents) {
    const validated = validateDocument(doc, file);
    issues.push(...validated.issues);
    if (validated.policy) policies.push(validated.policy);
  }
  if (parsed.documents.length === 0 && issues.length === 0) {
    issues.push(fileIssue("empty_file", "warning", file, "the file holds no document"));
  }
  issues.sort((a, b) => a.line - b.line || a.column - b.column); // stable: same place keeps its order
  return { policies, issues };
}

/** Policies of a set of texts (file name → text), with the checks across documents. */
export function loadPolicyTexts(files: { file: string; text: string }[]): LoadResult {
  const issues: PolicyIssue[] = [];
  const all: DriftPolicy[] = [];
  for (const { file, text } of files) {
    const loaded = loadPolicyText(text, file);
    issues.push(...loaded.issues);
    all.push(...loaded.policies);
  }
  return finish(
    all,
    issues,
    files.map((f) => f.file),
  );
}

function finish(all: DriftPolicy[], issues: PolicyIssue[], files: string[]): LoadResult {
  const { unique, issues: duplicates } = dropDuplicateNames(all);
  issues.push(...duplicates, ...shadowWarnings(unique));
  if (unique.length === 0 && !issues.some((i) => i.severity === "error")) {
    issues.push(fileIssue("no_policies", "warning", "", "no DriftPolicy found: every container gets the default mode"));
  }
  return { policies: unique, issues, files };
}

/** True for names the loader reads: *.yaml / *.yml, not hidden (a ConfigMap's ..data). */
export function isPolicyFileName(name: string): boolean {
  return !name.startsWith(".") && /\.ya?ml$/.test(name);
}

/** Lists a directory's policy files; an issue when it cannot be read. */
export function listPolicyDir(dir: string): { files: string[]; issues: PolicyIssue[] } {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter(isPolicyFileName).sort();
  } catch (error) {
    const message = `cannot read the policy directory: ${errorMessage(error)}`;
    return { files: [], issues: [fileIssue("dir_unreadable", "error", dir, message)] };
  }
  if (names.length > MAX_FILES) {
    const message = `${names.length} policy files, at most ${MAX_FILES}`;
    return { files: [], issues: [fileIssue("file_too_large", "error", dir, message)] };
  }
  return { files: names.map((n) => path.join(dir, n)), issues: [] };
}

/** Loads files (each its own YAML stream) as one policy set. */
export function loadPolicyFiles(files: string[], issues: PolicyIssue[] = []): LoadResult {
  const texts: { file: string; text: string }[] = [];
  for (const file of files) {
    const text = readPolicyFile(file, issues);
    if (text !== undefined) texts.push({ file, text });
  }
  const loaded = loadPolicyTexts(texts);
  // "No policies" says nothing new when the directory or a file could not be read.
  const unread = issues.some((i) => i.severity === "error");
  const found = loaded.issues.filter((i) => !(unread && i.code === "no_policies"));
  return { policies: loaded.policies, issues: [...issues, ...found], files };
}

export function loadPolicyDir(dir: string): LoadResult {
  const listed = listPolicyDir(dir);
  return loadPolicyFiles(listed.files, listed.issues);
}

function readPolicyFile(file: string, issues: PolicyIssue[]): string | undefined {
  try {
    const stat = fs.statSync(file); // follows the ConfigMap's symlinks
    if (!stat.isFile()) {
      issues.push(fileIssue("file_unreadable", "error", file, "not a regular file"));
      return undefined;
    }
    if (stat.size > MAX_FILE_BYTES) {
      issues.push(fileIssue("file_too_large", "error", file, `${stat.size} bytes, at most ${MAX_FILE_BYTES}`));
      return undefined;
    }
    const data = fs.readFileSync(file);
    if (data.length > MAX_FILE_BYTES) {
      issues.push(fileIssue("file_too_large", "error", file, `${data.length} bytes, at most ${MAX_FILE_BYTES}`));
      return undefined;
    }
    return data.toString("utf8");
  } catch (error) {
    // A file removed between readdir and read (a ConfigMap update) is reported, and the
    // update's own event triggers the next load.
    issues.push(fileIssue("file_unreadable", "error", file, errorMessage(error)));
    return undefined;
  }
}

function fileIssue(
  code: PolicyIssue["code"],
  severity: PolicyIssue["severity"],
  file: string,
  message: string,
): PolicyIssue {
  return { severity, code, file, line: 0, column: 0, field: "", message };
}
