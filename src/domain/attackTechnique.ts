// MITRE ATT&CK (Enterprise) techniques a finding is evidence of: the catalogue of the ids
// driftguard names, with the tactic ASFF files them under. Which reason names which
// technique is the reason's entry in driftReason.ts; techniquesOf() adds what depends on
// more than the reason (a renamed copy of an image program).

export interface AttackTechniqueEntry {
  /** The technique's name on attack.mitre.org. */
  readonly name: string;
  /** The tactic it is filed under (ASFF's "TTPs/<tactic>/<id>" type); the first, where several. */
  readonly tactic: "Command and Control" | "Defense Evasion" | "Persistence";
}

export const ATTACK_TECHNIQUE = {
  // A tool or payload brought into the container and run.
  T1105: { name: "Ingress Tool Transfer", tactic: "Command and Control" },
  // An image program copied to a new name (cp /bin/sh /tmp/kworker).
  "T1036.003": { name: "Masquerading: Rename System Utilities", tactic: "Defense Evasion" },
  // An image binary whose content was replaced in place.
  T1554: { name: "Compromise Host Software Binary", tactic: "Persistence" },
  // A file made executable at run time (chmod +x).
  "T1222.002": {
    name: "File and Directory Permissions Modification: Linux and Mac File and Directory Permissions Modification",
    tactic: "Defense Evasion",
  },
  // Code run from memory (memfd, a deleted file).
  T1620: { name: "Reflective Code Loading", tactic: "Defense Evasion" },
  // A dropped library mapped executable (LD_PRELOAD, the loader run on a dropped file).
  "T1574.006": { name: "Hijack Execution Flow: Dynamic Linker Hijacking", tactic: "Defense Evasion" },
  // A program run from a filesystem mounted where the guard does not look.
  T1564: { name: "Hide Artifacts", tactic: "Defense Evasion" },
} as const satisfies Record<string, AttackTechniqueEntry>;

export type AttackTechniqueId = keyof typeof ATTACK_TECHNIQUE;

/** What a stored or reported technique id must look like (T1234 or T1234.567). */
export const TECHNIQUE_ID = /^T\d{4}(\.\d{3})?$/;

export function isAttackTechniqueId(value: string): value is AttackTechniqueId {
  return Object.hasOwn(ATTACK_TECHNIQUE, value);
}
