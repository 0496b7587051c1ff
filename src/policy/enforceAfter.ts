// enforceAfter: a date ("2026-03-01", "2026-03-01T08:00:00Z") or a duration ("14d",
// "12h30m") counted from the moment the policy first applied to a container (Aqua's
// enforce_after_days). Both are parsed here and evaluated purely, given "now".
import type { PolicyMode } from "../domain/verdict";
import type { EnforceAfter } from "./types";

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const MAX_DURATION_MS = 10 * 366 * 86_400_000;

/** Parses an enforceAfter value; a string saying what is wrong on failure. */
export function parseEnforceAfter(text: string): EnforceAfter | string {
  if (/^([0-9]+[smhdw])+$/.test(text)) {
    let ms = 0;
    for (const [, n, unit] of text.matchAll(/([0-9]+)([smhdw])/g)) ms += Number(n) * UNIT_MS[unit];
    if (ms <= 0) return "must be a duration longer than 0";
    if (ms > MAX_DURATION_MS) return "must be at most 10 years; use a date for later";
    return { kind: "duration", ms, text };
  }
  const date = /^([0-9]{4})-([0-9]{2})-([0-9]{2})(T.*)?$/.exec(text);
  if (date) {
    const [, y, mo, d, time] = date;
    // Date.parse accepts 2026-02-30 and rolls it over: check the calendar date itself.
    const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
    if (day.getUTCFullYear() !== Number(y) || day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) {
      return `${y}-${mo}-${d} is not a date`;
    }
    const atMs = time ? Date.parse(text) : day.getTime();
    if (Number.isNaN(atMs)) return `${text} is not a valid time (use 2026-03-01T08:00:00Z)`;
    return { kind: "date", atMs, text };
  }
  return "must be a duration like 14d or 12h30m, or a date like 2026-03-01 or 2026-03-01T08:00:00Z";
}

export interface ModeInForce {
  mode: PolicyMode;
  /** When the mode will turn into enforce, if it has not yet. */
  enforceAtMs?: number;
  /** Why this mode, in words. */
  why: string;
}

/**
 * The mode of a policy at nowMs. firstAppliedMs is when the policy first applied to a
 * container (undefined: it applies for the first time now).
 */
export function modeInForce(
  policy: { mode: PolicyMode; enforceAfter?: EnforceAfter },
  nowMs: number,
  firstAppliedMs: number | undefined,
): ModeInForce {
  const after = policy.enforceAfter;
  if (policy.mode !== "audit" || !after) return { mode: policy.mode, why: `mode ${policy.mode}` };
  const atMs = after.kind === "date" ? after.atMs : (firstAppliedMs ?? nowMs) + after.ms;
  const at = new Date(atMs).toISOString();
  if (nowMs >= atMs) {
    const since = after.kind === "date" ? `since ${after.text}` : `${after.text} after it first applied, since ${at}`;
    return { mode: "enforce", why: `mode audit, enforce ${since} (enforceAfter)` };
  }
  return { mode: "audit", enforceAtMs: atMs, why: `mode audit until ${at} (enforceAfter ${after.text})` };
}
