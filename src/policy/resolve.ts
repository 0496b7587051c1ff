// Which policy applies to a workload, in which mode, and why: a pure function of the
// workload, the policy set, the agent's default mode, the time and when each policy first
// applied. The highest priority wins; equal priorities go to the name first in order.
import { liveExceptions } from "./exceptionExpiry";
import { modeInForce } from "./enforceAfter";
import { matchSelector } from "./selector";
import type { PolicyMode } from "../domain/verdict";
import type { DriftPolicy, Workload } from "./types";

export const DEFAULT_POLICY_NAME = "default";

export interface ResolveOptions {
  /** Mode of containers no policy matches (the agent's --mode). */
  defaultMode: PolicyMode;
  nowMs: number;
  /** When a policy first applied to a container; undefined if it never has. */
  firstAppliedMs?: (policyName: string) => number | undefined;
}

export interface ConsideredPolicy {
  name: string;
  priority: number;
  matched: boolean;
  reasons: string[];
}

export interface Resolution {
  /** undefined: no policy matched, the default mode applies. */
  policy?: DriftPolicy;
  /** The policy's name, or "default". */
  name: string;
  mode: PolicyMode;
  /** When an audit policy with enforceAfter turns into enforce, if it has not yet. */
  enforceAtMs?: number;
  /** Why this policy and this mode, one sentence per line. */
  reasons: string[];
  /** Every policy in rank order, with whether it matched and why. */
  considered: ConsideredPolicy[];
}

/** Policies in the order they are tried: priority high to low, then name. */
export function rankPolicies(policies: readonly DriftPolicy[]): DriftPolicy[] {
  return [...policies].sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function resolvePolicy(
  workload: Workload,
  policies: readonly DriftPolicy[],
  options: ResolveOptions,
): Resolution {
  const considered: ConsideredPolicy[] = [];
  let winner: DriftPolicy | undefined;
  for (const policy of rankPolicies(policies)) {
    const match = matchSelector(policy.selector, workload);
    considered.push({ name: policy.name, priority: policy.priority, matched: match.matched, reasons: match.reasons });
    if (match.matched && !winner) winner = policy;
  }
  if (!winner) {
    return {
      name: DEFAULT_POLICY_NAME,
      mode: options.defaultMode,
      reasons: [
        policies.length === 0
          ? `no policies; the agent's default mode ${options.defaultMode} applies`
          : `no policy matches; the agent's default mode ${options.defaultMode} applies`,
      ],
      considered,
    };
  }
  const won = considered.find((c) => c.name === winner.name)!;
  const reasons = [
    `policy ${winner.name} (priority ${winner.priority}, ${winner.source.file}:${winner.source.line}) matches: ${won.reasons.join("; ")}`,
  ];
  const outranked = considered.filter((c) => c.matched && c !== won);
  if (outranked.length > 0) {
    reasons.push(
      `it outranks the other matching ${outranked.map((c) => `${c.name} (priority ${c.priority})`).join(", ")}`,
    );
  }
  const mode = modeInForce(winner, options.nowMs, options.firstAppliedMs?.(winner.name));
  reasons.push(mode.why);
  const policy = liveExceptions(winner, options.nowMs); // break-glass exceptions past their time are gone
  return { policy, name: winner.name, mode: mode.mode, enforceAtMs: mode.enforceAtMs, reasons, considered };
}
