// A page of findings bounded by bytes as well as by count. Findings are up to ~100 KB each
// (validateFinding.ts's limits, in UTF-8), so a page of 1000 could exceed any message
// limit; the page ends early instead, and its token continues after its last finding (the
// keyset pagination of store/query.ts can continue after any row). Rows are read from the
// store in chunks, so one request never holds more than a chunk beyond the bound.
import type { FindingQuery, FindingSort, FindingStore, Page, StoredFinding } from "../store/FindingStore";
import { encodePageToken, keyOf } from "../store/query";

/** A page's findings, at most this many bytes (one finding larger than that is sent alone). */
export const MAX_PAGE_BYTES = 2 << 20;
const READ_CHUNK = 100;
/** Numbers, enums, timestamps, field tags and JSON names: far less than this per finding. */
const FIXED_BYTES = 512;

/** An upper bound of a finding's encoded size: its strings' UTF-8 bytes plus a fixed allowance. */
export function findingBytes(f: StoredFinding): number {
  let bytes = FIXED_BYTES;
  for (const value of Object.values(f)) if (typeof value === "string") bytes += Buffer.byteLength(value);
  return bytes;
}

export interface PageBound {
  maxBytes: number;
  /** The page ended before pageSize because of maxBytes (metrics). */
  onCut?: () => void;
}

export async function readBoundedPage(
  store: FindingStore,
  query: FindingQuery,
  pageSize: number,
  pageToken: string,
  sort: FindingSort,
  bound: PageBound,
): Promise<Page> {
  const findings: StoredFinding[] = [];
  let bytes = 0;
  let token = pageToken;
  for (;;) {
    const chunk = await store.list(query, Math.min(READ_CHUNK, pageSize - findings.length), token, sort);
    for (const finding of chunk.findings) {
      const size = findingBytes(finding);
      if (findings.length > 0 && bytes + size > bound.maxBytes) {
        bound.onCut?.();
        return { findings, nextPageToken: encodePageToken(keyOf(findings[findings.length - 1], sort)) };
      }
      findings.push(finding);
      bytes += size;
    }
    if (!chunk.nextPageToken || findings.length >= pageSize) return { findings, nextPageToken: chunk.nextPageToken };
    token = chunk.nextPageToken;
  }
}
