// `driftguard findings export --format asff|json|csv`: every finding matching the filters,
// read page by page from FindingService and written as it arrives (constant memory), to
// stdout or --output FILE.
//   json  an array of the same objects as `findings list --json`
//   csv   one row per finding (csv.ts)
//   asff  one BatchImportFindings request body per line, {"Findings": [...]} with at most 100
//         findings each, e.g. for `aws securityhub batch-import-findings --cli-input-json`
import * as fs from "node:fs";

import type { FindingFilter } from "../api/types";
import { ASFF_BATCH, asffFinding, type AsffOptions } from "../collector/export/asff";
import { csvHeader, csvRow } from "../collector/export/csv";
import type { FindingsClient } from "../collector/findingsClient";
import { UsageError } from "./command";
import { positiveInt, type ParsedFlags } from "./flags";
import { findingView, type FindingView } from "../api/findingView";

export const EXPORT_FORMATS = ["asff", "json", "csv"] as const;
type Format = (typeof EXPORT_FORMATS)[number];

export const EXPORT_USAGE = `  export                    --format asff|json|csv [--output FILE] [filters] [--limit N]
                            asff needs --aws-account ID (12 digits) and --aws-region REGION`;

interface Writer {
  write(text: string): void;
  close(): Promise<void>;
}

function writer(file: string | undefined): Writer {
  if (!file) return { write: (t) => void process.stdout.write(t), close: async () => undefined };
  const fd = fs.openSync(file, "w", 0o600); // findings are sensitive: not world-readable
  return {
    write: (t) => fs.writeSync(fd, t),
    close: async () => fs.closeSync(fd),
  };
}

function asffOptions(flags: ParsedFlags): AsffOptions {
  const accountId = flags.values.get("aws-account") ?? "";
  const region = flags.values.get("aws-region") ?? "";
  if (!/^\d{12}$/.test(accountId))
    throw new UsageError("--format asff needs --aws-account with the 12-digit account id");
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new UsageError("--format asff needs --aws-region, e.g. eu-west-1");
  return { accountId, region };
}

/** One encoder per format: what goes before, per finding, and after. */
function encoder(format: Format, flags: ParsedFlags) {
  switch (format) {
    case "json": {
      let first = true;
      return {
        start: "[",
        each: (f: FindingView) => `${first ? ((first = false), "\n") : ",\n"}  ${JSON.stringify(f)}`,
        end: () => (first ? "]\n" : "\n]\n"),
      };
    }
    case "csv":
      return { start: csvHeader(), each: csvRow, end: () => "" };
    case "asff": {
      const options = asffOptions(flags);
      let batch: unknown[] = [];
      const flush = () => {
        const line = batch.length ? JSON.stringify({ Findings: batch }) + "\n" : "";
        batch = [];
        return line;
      };
      return {
        start: "",
        each: (f: FindingView) => (batch.push(asffFinding(f, options)), batch.length === ASFF_BATCH ? flush() : ""),
        end: flush,
      };
    }
  }
}

export async function exportFindings(
  client: FindingsClient,
  flags: ParsedFlags,
  filter: FindingFilter,
): Promise<number> {
  const format = flags.values.get("format") as Format | undefined;
  if (!format || !EXPORT_FORMATS.includes(format)) {
    throw new UsageError(`export needs --format ${EXPORT_FORMATS.join(", ")}`);
  }
  const limit = flags.values.has("limit") ? positiveInt(flags, "limit") : Number.MAX_SAFE_INTEGER;
  const encode = encoder(format, flags);
  const out = writer(flags.values.get("output"));
  let written = 0;
  try {
    out.write(encode.start);
    let pageToken = "";
    do {
      const page = await client.list({ filter, pageSize: Math.min(1000, limit - written), pageToken });
      for (const f of page.findings) out.write(encode.each(findingView(f)));
      written += page.findings.length;
      pageToken = page.nextPageToken;
    } while (pageToken && written < limit);
    out.write(encode.end());
  } finally {
    await out.close();
  }
  if (flags.values.has("output"))
    process.stderr.write(`${written} findings written to ${flags.values.get("output")}\n`);
  return 0;
}
