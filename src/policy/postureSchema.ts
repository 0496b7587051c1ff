// The posture parts of the DriftPolicy format (schema.ts holds the rest and checks these
// against its types where it uses them; importing them here would be an import cycle):
// spec.posture and spec.allow.posture. Property names come from src/domain/posture.ts.
import { POSTURE_PROPERTIES, PSS_LEVELS } from "../domain/posture";

// Descriptions are short enough for one line each in the generated JSON Schema, which
// must stay under the 300 lines of every file in src/; the parent says the rest.
export const postureSettings = {
  type: "object" as const,
  description:
    "How container posture is judged for the selected containers. level: the Pod Security Standards level, baseline (default) or restricted (adds no seccomp, and root with privilege escalation). enforce: stop (kill the task of) a container with a posture property no exception allows; mode enforce only, default false; Kubernetes restarts a stopped container, which is stopped again (CrashLoopBackOff). See daemonset/policies/README.md.",
  properties: {
    level: { type: "string" as const, enum: PSS_LEVELS, maxLength: 16 },
    enforce: { type: "boolean" as const, description: "Stop containers whose posture no exception allows." },
  },
};

const hostPathGlob = {
  type: "string" as const,
  pattern: "^/",
  patternHint: "an absolute host path or a glob of one (* within a path component, ** across)",
  maxLength: 4096,
};

const capability = {
  type: "string" as const,
  pattern: "^(CAP_)?[A-Z_]+$",
  patternHint: "a capability name like NET_ADMIN or CAP_NET_ADMIN",
  maxLength: 64,
};

/** allow.posture; `reason` is the allow list's reason schema. */
export function postureAllow<R>(reason: R) {
  return {
    type: "array" as const,
    maxItems: 256,
    description: "Posture properties allowed for the selected containers (a CNI, a CSI driver, the agent itself).",
    items: {
      type: "object" as const,
      required: ["property", "reason"],
      properties: {
        property: {
          type: "string" as const,
          enum: POSTURE_PROPERTIES,
          maxLength: 64,
          description: "The property (a posture finding's reason without posture_).",
        },
        paths: {
          type: "array" as const,
          items: hostPathGlob,
          maxItems: 256,
          description: "sensitive_mount and runtime_socket only: the host paths (mount sources) allowed; absent: all.",
        },
        capabilities: {
          type: "array" as const,
          items: capability,
          maxItems: 64,
          description: "capabilities only: the added capabilities allowed; absent: all.",
        },
        reason,
      },
    },
  };
}
