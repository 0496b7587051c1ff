// The policies an install hands the agent, loaded as the agent loads its --policy-dir.
import * as assert from "node:assert/strict";

import { errorsOf, formatIssue, warningsOf } from "../../../src/policy/issues";
import { isPolicyFileName, loadPolicyTexts } from "../../../src/policy/loadPolicies";
import type { DriftPolicy } from "../../../src/policy/types";
import { find, type K8sObject } from "./kustomize";

/** The policies of an install's ConfigMap, loaded as the agent loads its --policy-dir. */
export function installedPolicies(objects: K8sObject[]): DriftPolicy[] {
  const configMap = find(objects, "ConfigMap", "driftguard-policies") as K8sObject & { data: Record<string, string> };
  const files = Object.entries(configMap.data)
    .filter(([name]) => isPolicyFileName(name))
    .map(([file, text]) => ({ file, text }));
  const result = loadPolicyTexts(files);
  const issues = [...errorsOf(result), ...warningsOf(result)].map(formatIssue);
  assert.deepEqual(issues, [], "the agent's loader finds no error and no warning");
  return result.policies;
}
