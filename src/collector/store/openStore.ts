// --db: "sqlite:PATH" (or a plain path) or "postgres://..." / "postgresql://...".
import type { FindingStore } from "./FindingStore";

export async function openStore(db: string): Promise<FindingStore> {
  if (/^postgres(ql)?:\/\//.test(db)) {
    // Required lazily: a SQLite collector never loads pg, and the reverse.
    const { PostgresStore } = require("./PostgresStore") as typeof import("./PostgresStore");
    return PostgresStore.open(db);
  }
  const file = db.startsWith("sqlite:") ? db.slice("sqlite:".length) : db;
  if (!file) throw new Error(`--db ${db}: give sqlite:PATH or postgres://USER@HOST:PORT/DB`);
  const { SqliteStore } = require("./SqliteStore") as typeof import("./SqliteStore");
  return new SqliteStore(file);
}

/** The --db value without a password, for logs. */
export function redactDb(db: string): string {
  return db.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/, "$1:***@");
}
