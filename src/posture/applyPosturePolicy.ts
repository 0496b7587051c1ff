// Which of a container's posture properties its policy reports: those of its Pod Security
// level that no allow.posture exception covers. An exception may name the property alone,
// or narrow it to host paths (mounts) or capability names; what it leaves uncovered is
// still reported. Pure.
import { PSS_LEVELS, POSTURE, type PssLevel } from "../domain/posture";
import { globMatches } from "../policy/glob";
import type { PosturePolicy } from "../policy/posturePolicy";
import type { PostureException } from "../policy/types";
import { capabilityName } from "./capabilities";
import { capabilitiesValue, type PostureProperty } from "./judgePosture";

export interface PostureOutcome {
  /** Properties to report, as narrowed by partial exceptions. */
  reported: PostureProperty[];
  /** Properties an exception covers, with it. */
  allowed: { property: PostureProperty; exception: PostureException }[];
}

function atLevel(policy: PssLevel, property: PssLevel): boolean {
  return PSS_LEVELS.indexOf(property) <= PSS_LEVELS.indexOf(policy);
}

export function applyPosturePolicy(properties: readonly PostureProperty[], policy: PosturePolicy): PostureOutcome {
  const outcome: PostureOutcome = { reported: [], allowed: [] };
  if (policy.mode === "disabled") return outcome;
  for (const property of properties) {
    if (!atLevel(policy.level, POSTURE[property.reason].pss.level)) continue;
    const name = POSTURE[property.reason].property;
    let left: PostureProperty | undefined = property;
    for (const exception of policy.allow) {
      if (exception.property !== name || !left) continue;
      const narrowed = uncovered(left, exception);
      if (!narrowed) outcome.allowed.push({ property, exception });
      left = narrowed;
    }
    if (left) outcome.reported.push(left);
  }
  return outcome;
}

/** What an exception of the property's name leaves of it; undefined when it covers all. */
function uncovered(property: PostureProperty, exception: PostureException): PostureProperty | undefined {
  if (exception.paths) {
    const source = property.source ?? "";
    return exception.paths.some((glob) => globMatches(glob, source)) ? undefined : property;
  }
  if (exception.capabilities && property.capabilities) {
    const allowed = new Set(exception.capabilities.map(capabilityName));
    const rest = property.capabilities.filter((c) => !allowed.has(c));
    if (rest.length === 0) return undefined;
    return rest.length === property.capabilities.length
      ? property
      : { ...property, capabilities: rest, value: capabilitiesValue(rest) };
  }
  return undefined;
}
