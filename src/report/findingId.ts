// Finding ids. An id names one aggregate (identical execs of one container in one window)
// and is chosen once, when the aggregate opens; it travels with every report of the
// aggregate through the spool, so retries and count updates carry the same id and the
// collector merges them.
//
// The id includes the agent's incarnation (random per start): after a restart, the
// in-memory counts of open aggregates are gone, and a new exec opens a new aggregate with
// a new id. Without it, the same key and window would map to an id the collector already
// holds with a higher count, and max() would silently swallow the new execs.
import { createHash, randomBytes } from "node:crypto";

export interface AggregateKey {
  containerNamespace: string;
  containerId: string;
  path: string;
  sha256: string;
  reason: string;
  verdict: string;
}

export function aggregateKey(k: AggregateKey): string {
  return [k.containerNamespace, k.containerId, k.path, k.sha256, k.reason, k.verdict].join("\0");
}

/** A fresh incarnation: 16 hex characters. */
export function newIncarnation(): string {
  return randomBytes(8).toString("hex");
}

/** 32 hex characters (128 bits of SHA-256) of everything that makes the aggregate unique. */
export function findingId(parts: {
  incarnation: string;
  sequence: number;
  node: string;
  key: string;
  firstSeenMs: number;
}): string {
  return createHash("sha256")
    .update(
      ["v1", parts.incarnation, String(parts.sequence), parts.node, parts.key, String(parts.firstSeenMs)].join("\0"),
    )
    .digest("hex")
    .slice(0, 32);
}

/**
 * A posture finding's id: stable per container, property and verdict, with no incarnation,
 * so that an agent restart re-reports the property under the id the collector already
 * holds (it merges, and notifies nobody again), while a collector that lost it stores it anew.
 */
export function postureFindingId(parts: {
  cluster: string;
  node: string;
  containerNamespace: string;
  containerId: string;
  reason: string;
  key: string;
  verdict: string;
}): string {
  const { cluster, node, containerNamespace, containerId, reason, key, verdict } = parts;
  return createHash("sha256")
    .update(["posture-v1", cluster, node, containerNamespace, containerId, reason, key, verdict].join("\0"))
    .digest("hex")
    .slice(0, 32);
}
