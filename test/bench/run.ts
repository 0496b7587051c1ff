// `npm run bench [name...]`: runs every test/bench/*.bench.js (or the named ones) in turn.
// Each bench prints human-readable lines and one machine-readable JSON line per result,
// with ratios against a baseline measured in the same run.
import * as fs from "node:fs";
import * as path from "node:path";

interface BenchModule {
  bench(): Promise<void>;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith(".bench.js"))
    .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.js$/, "")))
    .sort();
  if (files.length === 0) throw new Error(`no benchmark matches ${wanted.join(", ")}`);
  for (const file of files) {
    process.stdout.write(`\n== ${file.replace(/\.bench\.js$/, "")}\n`);
    const mod = require(path.join(__dirname, file)) as BenchModule;
    await mod.bench();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
