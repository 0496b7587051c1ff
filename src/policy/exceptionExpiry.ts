// Time-limited exceptions (`expires:` on an allow entry), for break-glass debugging: an
// entry past its time is dropped from the policy the agent applies (resolve.ts), the
// policy source re-applies every container's policy at the moment one lapses and logs
// `exception expired` (DirectoryPolicySource.ts), and `policy check` warns about entries
// already past. Pure functions of the policies and "now".
import { parseEnforceAfter } from "./enforceAfter";
import type { DriftPolicy, Expiry, PolicyAllow } from "./types";

/** A date or time as `expires` takes it; a string saying what is wrong on failure. */
export function parseExpiry(text: string): Expiry | string {
  const parsed = parseEnforceAfter(text);
  if (typeof parsed === "string") return parsed.replace(/a duration like 14d or 12h30m, or /, "");
  if (parsed.kind !== "date") return "must be a date like 2026-03-01 or a time like 2026-03-01T08:00:00Z";
  return { atMs: parsed.atMs, text: parsed.text };
}

export interface ExceptionEntry {
  /** "path /tmp/x", "digest sha256:…", "parent /usr/bin/make", "volume kind emptyDir". */
  entry: string;
  reason: string;
  expires?: Expiry;
}

/** Every allow entry of a policy, described. */
export function exceptionEntries(policy: DriftPolicy): ExceptionEntry[] {
  const { paths, digests, parents, volumes } = policy.allow;
  return [
    ...paths.map((p) => ({ entry: `path ${p.path}`, reason: p.reason, expires: p.expires })),
    ...digests.map((d) => ({ entry: `digest sha256:${d.sha256}`, reason: d.reason, expires: d.expires })),
    ...parents.map((p) => ({ entry: `parent ${p.path}`, reason: p.reason, expires: p.expires })),
    ...volumes.map((v) => ({
      entry: "kind" in v ? `volume kind ${v.kind}` : `volume ${v.path}`,
      reason: v.reason,
      expires: v.expires,
    })),
  ];
}

const live = <T extends { expires?: Expiry }>(entries: T[], nowMs: number): T[] =>
  entries.filter((e) => !e.expires || e.expires.atMs > nowMs);

/** The policy without the allow entries expired at nowMs (the same object when none is). */
export function liveExceptions(policy: DriftPolicy, nowMs: number): DriftPolicy {
  const a = policy.allow;
  const allow: PolicyAllow = {
    paths: live(a.paths, nowMs),
    digests: live(a.digests, nowMs),
    parents: live(a.parents, nowMs),
    volumes: live(a.volumes, nowMs),
    ...(a.posture ? { posture: a.posture } : {}),
  };
  const lists = ["paths", "digests", "parents", "volumes"] as const;
  const same = lists.every((k) => allow[k].length === a[k].length);
  return same ? policy : { ...policy, allow };
}

/** The next moment an exception of these policies lapses after nowMs; Infinity for none. */
export function nextExpiry(policies: readonly DriftPolicy[], nowMs: number): number {
  let next = Infinity;
  for (const p of policies)
    for (const e of exceptionEntries(p)) if (e.expires && e.expires.atMs > nowMs) next = Math.min(next, e.expires.atMs);
  return next;
}

/** The exceptions that lapsed in (fromMs, toMs], with their policy. */
export function lapsedExceptions(
  policies: readonly DriftPolicy[],
  fromMs: number,
  toMs: number,
): (ExceptionEntry & { policy: string })[] {
  return policies.flatMap((p) =>
    exceptionEntries(p)
      .filter((e) => e.expires && e.expires.atMs > fromMs && e.expires.atMs <= toMs)
      .map((e) => ({ ...e, policy: p.name })),
  );
}
