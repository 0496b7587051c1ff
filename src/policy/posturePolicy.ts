// A resolved policy as the posture judgement applies it to one container: its mode, the
// Pod Security level, whether a forbidden posture stops the container, and its exceptions.
import type { PssLevel } from "../domain/posture";
import type { PolicyMode } from "../domain/verdict";
import type { Resolution } from "./resolve";
import { DEFAULT_POSTURE, type PostureException } from "./types";

export interface PosturePolicy {
  /** The policy's name, or "default". */
  name: string;
  mode: PolicyMode;
  level: PssLevel;
  /** Kill the task of a container with a posture no exception allows (mode enforce and posture.enforce). */
  stop: boolean;
  allow: readonly PostureException[];
}

export function posturePolicyOf(resolution: Pick<Resolution, "name" | "mode" | "policy">): PosturePolicy {
  const settings = resolution.policy?.posture ?? DEFAULT_POSTURE;
  return {
    name: resolution.name,
    mode: resolution.mode,
    level: settings.level,
    stop: resolution.mode === "enforce" && settings.enforce,
    allow: resolution.policy?.allow.posture ?? [],
  };
}

/** What `policy explain` says about posture, one line each. */
export function explainPosture(resolution: Pick<Resolution, "name" | "mode" | "policy">): string[] {
  const p = posturePolicyOf(resolution);
  if (p.mode === "disabled") return ["posture: not judged (mode disabled)"];
  const enforce = resolution.policy?.posture?.enforce ?? false;
  const stop = p.stop
    ? "a container with a posture no exception allows is stopped (posture.enforce)"
    : enforce
      ? "posture.enforce is set but the mode is not enforce: reported, never stopped"
      : "reported, never stopped (posture.enforce is off)";
  const allowed = p.allow.map((e) => {
    const narrowed = e.paths ? ` for ${e.paths.join(", ")}` : e.capabilities ? ` for ${e.capabilities.join(", ")}` : "";
    return `  allow ${e.property}${narrowed}: ${e.reason}`;
  });
  return [
    `posture: judged against Pod Security ${p.level}; ${stop}`,
    "posture exceptions (these properties give no finding):",
    ...(allowed.length > 0 ? allowed : ["  none"]),
  ];
}
