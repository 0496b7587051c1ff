// The review page's queries at a million findings (SQLite): first and deep pages in each
// sort order and with filters, and the overview's summary. Baseline in the same run: the
// same deep page with LIMIT/OFFSET (what keyset pagination replaces), so `ratio` says how
// much of the OFFSET cost the keyset page still pays.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";

import type { FindingQuery, FindingSort } from "../../src/collector/store/FindingStore";
import { encodePageToken } from "../../src/collector/store/query";
import { SqliteStore } from "../../src/collector/store/SqliteStore";
import { FIXTURE_T0 } from "../testbed/findingFixtures";
import { manyFindingId, manyFindingSha256, seedManyFindings } from "../testbed/manyFindings";
import { emit, median, ratio } from "./benchUtil";

const N = 1_000_000;
const DEPTH = 900_000; // rows before the deep page, newest first
const RUNS = 15;

async function time(run: () => Promise<unknown> | unknown): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

export async function bench(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-review-bench-"));
  const file = path.join(dir, "findings.db");
  try {
    const seeded = performance.now();
    await seedManyFindings(file, N);
    process.stdout.write(`seeded ${N} findings in ${Math.round(performance.now() - seeded)} ms\n`);
    const raw = new Database(file, { readonly: true });
    const offset = await time(() =>
      raw.prepare("SELECT * FROM findings ORDER BY first_seen_ms DESC, id DESC LIMIT 50 OFFSET ?").all(DEPTH),
    );
    raw.close();
    const store = new SqliteStore(file);
    const i = N - 1 - DEPTH; // the row the deep page starts after
    const deep = (sort: FindingSort, value = FIXTURE_T0 + i * 1000) =>
      encodePageToken({ value, id: manyFindingId(i), sort });
    const cases: [string, FindingQuery, FindingSort, string][] = [
      ["first page", {}, "first_seen_desc", ""],
      ["deep page (900 000 rows in)", {}, "first_seen_desc", deep("first_seen_desc")],
      ["deep page, oldest first", {}, "first_seen_asc", deep("first_seen_asc")],
      ["namespace filter, first page", { namespace: "ns-7" }, "first_seen_desc", ""],
      ["namespace filter, deep page", { namespace: "ns-7" }, "first_seen_desc", deep("first_seen_desc")],
      ["reason filter", { reason: "volume" }, "first_seen_desc", ""],
      ["most execs first, deep page", {}, "count_desc", deep("count_desc", 1 + (i % 13))],
      ["path prefix, rare", { pathPrefix: "/tmp/d/99999" }, "first_seen_desc", ""],
      ["all in one SHA-256 group", { group: { by: "sha256", key: [manyFindingSha256(7)] } }, "first_seen_desc", ""],
      [
        "all in one workload group",
        { group: { by: "workload", key: ["ns-7", "deployment", "app-7"] } },
        "first_seen_desc",
        "",
      ],
    ];
    process.stdout.write(`baseline: deep page with OFFSET ${DEPTH}: ${offset.toFixed(2)} ms\n`);
    emit({ bench: "review", case: "offset deep page (baseline)", ms: offset });
    for (const [name, query, sort, token] of cases) {
      const ms = await time(() => store.list(query, 50, token, sort));
      process.stdout.write(
        `${name.padEnd(34)} ${ms.toFixed(2).padStart(8)} ms  ratio to OFFSET ${ratio(ms, offset)}\n`,
      );
      emit({ bench: "review", case: name, ms, ratio: ratio(ms, offset) });
    }
    const hour = 3600_000;
    const end = FIXTURE_T0 + N * 1000;
    for (const [name, since, bucket] of [
      ["summary, last 24 h (86 400 findings)", end - 24 * hour, hour],
      ["summary, all (1 000 000 findings)", FIXTURE_T0, 12 * hour],
    ] as const) {
      const ms = await time(() => store.summary({ sinceMs: since, untilMs: end, bucketMs: bucket, top: 8 }));
      process.stdout.write(`${name.padEnd(34)} ${ms.toFixed(2).padStart(8)} ms\n`);
      emit({ bench: "review", case: name, ms });
    }
    for (const by of ["sha256", "workload", "image"] as const) {
      const name = `groups by ${by}, first page`;
      const ms = await time(() => store.groups({}, by, 50, ""));
      process.stdout.write(`${name.padEnd(34)} ${ms.toFixed(2).padStart(8)} ms\n`);
      emit({ bench: "review", case: name, ms });
    }
    await store.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
