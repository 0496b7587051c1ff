// The ATT&CK techniques of one finding: its reason's (driftReason.ts), and T1036.003 when
// the exec'd file is an image program under another name ("copy of").
import type { AttackTechniqueId } from "./attackTechnique";
import { DRIFT_REASON, isDriftReason } from "./driftReason";

/** A reason this build does not know (a newer agent's) names no technique. */
export function techniquesOf(reason: string, copyOf: string): AttackTechniqueId[] {
  const techniques: AttackTechniqueId[] = isDriftReason(reason) ? [...DRIFT_REASON[reason].attack] : [];
  if (copyOf) techniques.push("T1036.003");
  return techniques;
}
