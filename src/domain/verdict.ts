// What happened to a drift exec, and the policy modes that decide it. Same shape as
// driftReason.ts: one entry per value, the proto number bound by vocabulary.test.ts.

export const VERDICT = {
  // The exec failed with EPERM (or the mapping was refused).
  blocked: { proto: 1 },
  // The exec ran and was recorded.
  audited: { proto: 2 },
} as const satisfies Record<string, { readonly proto: number }>;

export type Verdict = keyof typeof VERDICT;
export const VERDICTS = Object.keys(VERDICT) as readonly Verdict[];

export function isVerdict(value: string): value is Verdict {
  return Object.hasOwn(VERDICT, value);
}

/** What was done to the exec; a verdict "blocked" is refused or killed. */
export const ACTION = {
  // The exec (or mapping) failed with EPERM before anything of the program ran.
  refused: { proto: 1 },
  // The exec had committed; the new program got SIGKILL before its first instruction.
  killed: { proto: 2 },
  // It ran, and was recorded.
  audited: { proto: 3 },
} as const satisfies Record<string, { readonly proto: number }>;

export type Action = keyof typeof ACTION;
export const ACTIONS = Object.keys(ACTION) as readonly Action[];

/** The action a finding without one (an agent before actions existed) stands for. */
export function actionOfVerdict(verdict: Verdict): Action {
  return verdict === "blocked" ? "refused" : "audited";
}

export const POLICY_MODE = {
  // Drift is blocked.
  enforce: { proto: 1 },
  // Drift runs and is recorded.
  audit: { proto: 2 },
  // The guard is off for the container (only deadline findings can occur).
  disabled: { proto: 3 },
} as const satisfies Record<string, { readonly proto: number }>;

export type PolicyMode = keyof typeof POLICY_MODE;
export const POLICY_MODES = Object.keys(POLICY_MODE) as readonly PolicyMode[];
