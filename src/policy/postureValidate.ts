// spec.posture and spec.allow.posture of a document that passed the schema: what the schema
// cannot say (which narrowing fits which property, enforce outside mode enforce), then the
// values as the agent uses them.
import type { PssLevel } from "../domain/posture";
import type { IssueCode } from "./issues";
import { DEFAULT_POSTURE, type PostureException, type PostureSettings } from "./types";

type Report = (code: IssueCode, path: (string | number)[], message: string) => void;

const MOUNT_PROPERTIES = new Set(["sensitive_mount", "runtime_socket"]);

export function postureOfSpec(
  spec: Record<string, unknown>,
  report: Report,
): { settings?: PostureSettings; exceptions?: PostureException[] } {
  const given = spec.posture as { level?: PssLevel; enforce?: boolean } | undefined;
  const settings = given && { level: given.level ?? DEFAULT_POSTURE.level, enforce: given.enforce ?? false };
  if (settings?.enforce && spec.mode !== "enforce") {
    report(
      "posture_enforce_ignored",
      ["spec", "posture", "enforce"],
      `only a policy in mode enforce stops containers; this one is ${String(spec.mode)}, so posture is reported only`,
    );
  }
  const entries = ((spec.allow as Record<string, unknown> | undefined)?.posture ?? undefined) as
    PostureException[] | undefined;
  entries?.forEach((e, i) => {
    const at = ["spec", "allow", "posture", i];
    if (e.paths && !MOUNT_PROPERTIES.has(e.property)) {
      report(
        "invalid_value",
        [...at, "paths"],
        `paths narrow sensitive_mount and runtime_socket only, not ${e.property}`,
      );
    }
    if (e.capabilities && e.property !== "capabilities") {
      report(
        "invalid_value",
        [...at, "capabilities"],
        `capabilities narrow the capabilities property only, not ${e.property}`,
      );
    }
  });
  const exceptions = entries?.map((e) => ({
    property: e.property,
    reason: e.reason,
    ...(e.paths ? { paths: e.paths } : {}),
    ...(e.capabilities ? { capabilities: e.capabilities.map((c) => (c.startsWith("CAP_") ? c : `CAP_${c}`)) } : {}),
  }));
  return { settings, exceptions };
}
