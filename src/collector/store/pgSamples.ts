// SampleStore on PostgreSQL (PostgresStore's pool): replicas share the samples; the
// primary key settles two replicas storing one digest at once.
import type pg from "pg";

import { rowToSampleInfo, type SampleInfo, type SampleStore } from "./SampleStore";

export class PgSamples implements SampleStore {
  constructor(private readonly pool: pg.Pool) {}

  async put(sha256: string, content: Buffer, nowMs: number): Promise<"stored" | "have"> {
    const result = await this.pool.query(
      "INSERT INTO samples (sha256, size, content, stored_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING",
      [sha256, content.length, content, nowMs],
    );
    return result.rowCount === 1 ? "stored" : "have";
  }

  async infos(sha256s: string[]): Promise<Map<string, SampleInfo>> {
    const out = new Map<string, SampleInfo>();
    if (sha256s.length === 0) return out;
    const { rows } = await this.pool.query("SELECT sha256, size, stored_ms FROM samples WHERE sha256 = ANY($1)", [
      sha256s,
    ]);
    for (const row of rows as Record<string, unknown>[]) out.set(String(row.sha256), rowToSampleInfo(row));
    return out;
  }

  async content(sha256: string): Promise<Buffer | undefined> {
    const { rows } = await this.pool.query("SELECT content FROM samples WHERE sha256 = $1", [sha256]);
    return (rows[0] as { content: Buffer } | undefined)?.content;
  }

  async totals(): Promise<{ samples: number; bytes: number }> {
    const { rows } = await this.pool.query("SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM samples");
    return { samples: Number(rows[0].n), bytes: Number(rows[0].b) };
  }

  async deleteOlderThan(cutoffMs: number): Promise<number> {
    return (await this.pool.query("DELETE FROM samples WHERE stored_ms < $1", [cutoffMs])).rowCount ?? 0;
  }
}
