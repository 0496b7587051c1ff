// A DriftPolicy written back as the YAML document the loader reads (the inverse of
// validate.ts), for exceptions suggested from findings (suggestException.ts). Empty lists
// and defaults are left out, so that the text says only what the policy sets. Values come
// from findings (attacker-controlled paths): a value with a character a terminal or an
// editor would act on or hide is written double-quoted with that character escaped, so the
// text reads as what it is and loads back to the same value.
import { Document, isScalar, visit } from "yaml";

import { hasHiddenChars } from "../util/visibleText";

import { API_VERSION, KIND, type DriftPolicy, type Expiry, type PolicyAllow } from "./types";

/** An allow entry as written: its fields, and `expires` as its text. */
function entry<T extends { expires?: Expiry }>(e: T): Record<string, unknown> {
  const { expires, ...rest } = e;
  return expires ? { ...rest, expires: expires.text } : rest;
}

function allowSpec(allow: PolicyAllow): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const list of ["paths", "digests", "parents", "volumes"] as const)
    if (allow[list].length) out[list] = (allow[list] as { expires?: Expiry }[]).map(entry);
  return Object.keys(out).length ? out : undefined;
}

/** The policy as one YAML document, `comment` (plain text, any lines) above it. */
export function policyDocumentYaml(policy: Omit<DriftPolicy, "source">, comment: string): string {
  const selector = Object.fromEntries(Object.entries(policy.selector).filter(([, v]) => v !== undefined));
  const spec: Record<string, unknown> = { priority: policy.priority, mode: policy.mode };
  if (policy.enforceAfter) spec.enforceAfter = policy.enforceAfter.text;
  if (Object.keys(selector).length) spec.selector = selector;
  const allow = allowSpec(policy.allow);
  if (allow) spec.allow = allow;
  if (policy.capture) spec.capture = { maxBytes: policy.capture.maxBytes };
  if (policy.deny.length) spec.deny = policy.deny.map((d) => (d.reason ? { ...d } : { path: d.path }));
  const doc = new Document({ apiVersion: API_VERSION, kind: KIND, metadata: { name: policy.name }, spec });
  doc.commentBefore = comment
    .split("\n")
    .map((line) => ` ${line}`)
    .join("\n");
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === "string" && hasHiddenChars(node.value)) node.type = "QUOTE_DOUBLE";
    },
  });
  // What the library leaves raw inside those double quotes (bidi, invisible, C1) as \u escapes.
  return doc.toString({ lineWidth: 0 }).replace(HIDDEN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const HIDDEN = /[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
