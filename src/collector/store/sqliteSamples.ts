// SampleStore on the embedded SQLite database (SqliteStore's handle). [JS thread]
import type Database from "better-sqlite3";

import { rowToSampleInfo, type SampleInfo, type SampleStore } from "./SampleStore";

export class SqliteSamples implements SampleStore {
  constructor(private readonly db: Database.Database) {}

  async put(sha256: string, content: Buffer, nowMs: number): Promise<"stored" | "have"> {
    const insert = this.db.prepare(
      "INSERT INTO samples (sha256, size, content, stored_ms) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
    );
    return insert.run(sha256, content.length, content, nowMs).changes === 1 ? "stored" : "have";
  }

  async infos(sha256s: string[]): Promise<Map<string, SampleInfo>> {
    const out = new Map<string, SampleInfo>();
    if (sha256s.length === 0) return out;
    const marks = sha256s.map(() => "?").join(", ");
    const rows = this.db
      .prepare(`SELECT sha256, size, stored_ms FROM samples WHERE sha256 IN (${marks})`)
      .all(...sha256s) as Record<string, unknown>[];
    for (const row of rows) out.set(String(row.sha256), rowToSampleInfo(row));
    return out;
  }

  async content(sha256: string): Promise<Buffer | undefined> {
    const row = this.db.prepare("SELECT content FROM samples WHERE sha256 = ?").get(sha256) as
      { content: Buffer } | undefined;
    return row?.content;
  }

  async totals(): Promise<{ samples: number; bytes: number }> {
    const row = this.db.prepare("SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM samples").get() as {
      n: number;
      b: number;
    };
    return { samples: Number(row.n), bytes: Number(row.b) };
  }

  async deleteOlderThan(cutoffMs: number): Promise<number> {
    return this.db.prepare("DELETE FROM samples WHERE stored_ms < ?").run(cutoffMs).changes;
  }
}
