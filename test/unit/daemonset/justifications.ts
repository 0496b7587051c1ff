// Fields that weaken isolation must carry their reason beside them in the manifests' source:
// a comment at the end of the line or in the comment block right above it. The rendered
// YAML has no comments, so the source files are read.
import { isMap, isPair, isScalar, isSeq, parseAllDocuments, visit, type Node, type Pair } from "yaml";

/** A field that needs a reason, and when (by its key and, for some, its value). */
interface Rule {
  key: string;
  when?: (value: unknown) => boolean;
  /** For a list: each item needs its own reason (capabilities, one by one). */
  eachItem?: boolean;
}

const isTrue = (v: unknown): boolean => v === true;
export const RULES: Rule[] = [
  { key: "privileged", when: isTrue },
  { key: "allowPrivilegeEscalation", when: isTrue },
  { key: "hostPID", when: isTrue },
  { key: "hostNetwork", when: isTrue },
  { key: "hostIPC", when: isTrue },
  { key: "runAsUser", when: (v) => v === 0 },
  { key: "runAsNonRoot", when: (v) => v === false },
  { key: "readOnlyRootFilesystem", when: (v) => v === false },
  { key: "readOnly", when: (v) => v === false },
  { key: "automountServiceAccountToken", when: isTrue },
  { key: "add", eachItem: true }, // capabilities.add
  { key: "seLinuxOptions" },
  { key: "hostPath" },
  { key: "mountPropagation" },
  { key: "procMount" },
  { key: "priorityClassName" },
  { key: "tolerations" },
  { key: "type", when: (v) => v === "Unconfined" }, // seccompProfile, appArmorProfile
  { key: "pod-security.kubernetes.io/enforce", when: (v) => v === "privileged" },
];

/** Each field of a YAML text that needs a reason and has none, as "file:line key". */
export function unjustified(text: string, file: string): string[] {
  const lines = text.split("\n");
  const lineOf = (offset: number): number => text.slice(0, offset).split("\n").length - 1;
  const missing: string[] = [];
  const check = (node: Node | Pair, what: string): void => {
    const range = isPair(node) ? (node.key as Node).range : node.range;
    const line = lineOf(range?.[0] ?? 0);
    if (!hasReason(lines, line)) missing.push(`${file}:${line + 1} ${what}`);
  };
  for (const doc of parseAllDocuments(text)) {
    visit(doc, {
      Pair(_, pair) {
        if (!isScalar(pair.key)) return;
        const key = String(pair.key.value);
        const rule = RULES.find((r) => r.key === key);
        if (!rule) return;
        const value = isScalar(pair.value) ? pair.value.value : isMap(pair.value) || isSeq(pair.value) ? {} : undefined;
        if (rule.eachItem && isSeq(pair.value)) {
          for (const item of pair.value.items) if (isScalar(item)) check(item, `${key}: ${String(item.value)}`);
        } else if (!rule.when || rule.when(value)) {
          check(pair, `${key}: ${isScalar(pair.value) ? String(pair.value.value) : "..."}`);
        }
      },
    });
  }
  return missing;
}

/** A comment ends the line, or a comment block ends right above it. */
function hasReason(lines: string[], line: number): boolean {
  if (/\s#\s/.test(lines[line] ?? "")) return true;
  return /^\s*#/.test(lines[line - 1] ?? "");
}
