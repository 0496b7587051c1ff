// Findings as large as ingest accepts, for the collector's byte bounds.
import type { FindingRecord } from "../../src/collector/store/FindingStore";
import { findingRecord } from "./findingFixtures";

/** A finding at the validator's limits (~37 000 characters), each character three bytes in UTF-8: ~110 KB encoded. */
export function bigRecord(i: number, id = `big${i}`): FindingRecord {
  const long = (n: number) => "€".repeat(n);
  return findingRecord(i, {
    id,
    path: `/${i}/${long(4000)}`,
    hostPath: `/h/${long(4090)}`,
    copyOf: `/${long(4095)}`,
    exe: `/${long(4095)}`,
    parentExe: `/${long(4095)}`,
    cmdline: long(8192),
    k8sNamespace: long(1024),
    pod: long(1024),
    image: long(1024),
  });
}
