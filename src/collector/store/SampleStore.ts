// The collector's samples (schema version 7): captured files, one row per SHA-256, content
// in the database. Callers check size and digest before put(); the store keeps the first
// copy of a digest and never replaces it.
export interface SampleInfo {
  sha256: string;
  size: number;
  storedMs: number;
}

export interface SampleStore {
  /** Stores content under sha256 unless a sample of that digest is there: "have" then. */
  put(sha256: string, content: Buffer, nowMs: number): Promise<"stored" | "have">;
  /** Size and time of the sample of each digest given that has one. */
  infos(sha256s: string[]): Promise<Map<string, SampleInfo>>;
  /** The sample's bytes, or undefined. */
  content(sha256: string): Promise<Buffer | undefined>;
  /** Samples and their bytes in all. */
  totals(): Promise<{ samples: number; bytes: number }>;
  /** Deletes samples stored before cutoffMs; returns how many. */
  deleteOlderThan(cutoffMs: number): Promise<number>;
}

export const rowToSampleInfo = (row: Record<string, unknown>): SampleInfo => ({
  sha256: String(row.sha256),
  size: Number(row.size),
  storedMs: Number(row.stored_ms),
});

/** Schema version 7's table (schema.ts); `bytes` is the database's binary type. */
export const samplesTable = (bytes: string): string =>
  `CREATE TABLE samples (sha256 TEXT PRIMARY KEY, size BIGINT NOT NULL, content ${bytes} NOT NULL, stored_ms BIGINT NOT NULL)`;
