// The policy files a `driftguard policy` subcommand names: directories and single files,
// loaded as one set by the agent's own loader.
import * as fs from "node:fs";

import type { LoadResult, PolicyIssue } from "../policy/issues";
import { listPolicyDir, loadPolicyFiles } from "../policy/loadPolicies";
import { UsageError } from "./command";

/** Loads directories and single files as one set, so that names are checked across all. */
export function loadPaths(paths: string[]): LoadResult {
  if (paths.length === 0) throw new UsageError("give at least one policy directory or file");
  const files: string[] = [];
  const issues: PolicyIssue[] = [];
  for (const p of paths) {
    if (!isDirectory(p)) {
      files.push(p);
      continue;
    }
    const listed = listPolicyDir(p);
    files.push(...listed.files);
    issues.push(...listed.issues);
  }
  return loadPolicyFiles(files, issues);
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false; // reported as unreadable when loaded as a file
  }
}
