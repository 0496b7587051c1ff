// A SQLite findings database with a million rows, made in seconds for the pagination test and
// the review benchmark: the collector creates its schema, then the rows go in with one
// INSERT ... SELECT over a recursive counter (no JavaScript per row) while the secondary
// indexes are dropped, and the indexes are rebuilt once from the sorted data.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";

import { SqliteStore } from "../../src/collector/store/SqliteStore";
import { FIXTURE_T0 } from "./findingFixtures";

export const MANY_NAMESPACES = 40;

export const MANY_BINARIES = 1000;
export const MANY_WORKLOADS = 200;

/**
 * Finding i: first seen T0 + i s, namespace ns-(i % 40), reason by i % 8, count 1 + i % 13,
 * binary manyFindingSha256((i / 1000) % 1000) (a thousand findings in a row), owned by Deployment app-(i % 200).
 */
export async function seedManyFindings(file: string, n: number): Promise<void> {
  await new SqliteStore(file).close(); // migrations
  const db = new Database(file);
  try {
    db.pragma("journal_mode = OFF");
    db.pragma("synchronous = OFF");
    db.pragma("cache_size = -262144");
    const indexes = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'findings' AND sql IS NOT NULL")
      .all() as { name: string; sql: string }[];
    for (const index of indexes) db.exec(`DROP INDEX ${index.name}`);
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${n - 1})
      INSERT INTO findings (id, first_seen_ms, last_seen_ms, count, cluster, node, k8s_namespace, pod, pod_uid,
        k8s_container, container_id, runtime_namespace, image, image_digest, pid, ppid, parent_exe, uid, exe, cmdline,
        path, host_path, sha256, reason, verdict, policy_name, policy_mode, copy_of, received_ms, raised_ms,
        workload_kind, workload_name, workload_inferred_from)
      SELECT printf('m%07d', i), ${FIXTURE_T0} + i * 1000, ${FIXTURE_T0} + i * 1000 + (i % 7) * 60000, 1 + i % 13,
        'prod', 'node-' || (i % 50), 'ns-' || (i % ${MANY_NAMESPACES}), 'pod-' || (i % 400), 'uid', 'app', 'cid',
        'k8s.io', 'registry.local/app-' || (i % 30) || ':1', '', 100, 1, '/bin/sh', 0, '/bin/sh', 'sh -c x',
        '/tmp/d/' || i, '/h/' || i, printf('%064x', (i / 1000) % ${MANY_BINARIES}),
        CASE i % 8 WHEN 0 THEN 'volume' WHEN 1 THEN 'modified' ELSE 'new_file' END,
        CASE i % 3 WHEN 0 THEN 'audited' ELSE 'blocked' END, '', 'enforce', '', ${FIXTURE_T0} + i * 1000,
        ${FIXTURE_T0} + i * 1000, 'deployment', 'app-' || (i % ${MANY_WORKLOADS}), 'app.kubernetes.io/name'
      FROM n`);
    for (const index of indexes) db.exec(index.sql);
  } finally {
    db.close();
  }
}

export const manyFindingId = (i: number): string => `m${String(i).padStart(7, "0")}`;

/** The SHA-256 of binary b (b < MANY_BINARIES) as the seeded rows hold it. */
export const manyFindingSha256 = (b: number): string => b.toString(16).padStart(64, "0");

/** A SqliteStore over a fresh database of n seeded findings in a temp dir, and its removal. */
export async function manyFindingsStore(
  n: number,
  name: string,
): Promise<{ store: SqliteStore; remove(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `driftguard-${name}-`));
  const file = path.join(dir, "findings.db");
  await seedManyFindings(file, n);
  const store = new SqliteStore(file);
  return {
    store,
    async remove() {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
