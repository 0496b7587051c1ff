// `driftguard findings export --format asff|asff-workflow|json|csv`: every finding matching
// the filters, read page by page from FindingService and written as it arrives (constant
// memory), to stdout or --output FILE.
//   json           an array of the same objects as `findings list --json`
//   csv            one row per finding (csv.ts)
//   asff           one BatchImportFindings request body per line, {"Findings": [...]} with at
//                  most 100 findings each, for `aws securityhub batch-import-findings --cli-input-json`
//   asff-workflow  the triage of those findings as BatchUpdateFindings request bodies
//                  (export/asffWorkflow.ts), for `aws securityhub batch-update-findings --cli-input-json`
// JSON is written with the characters a terminal would act on as \u escapes (the same values).
import * as fs from "node:fs";

import type { FindingFilter } from "../api/types";
import { ASFF_BATCH, asffFinding, type AsffOptions } from "../collector/export/asff";
import { WorkflowUpdates } from "../collector/export/asffWorkflow";
import { terminalJson } from "../util/visibleText";
import { csvHeader, csvRow } from "../collector/export/csv";
import type { FindingsClient } from "../collector/findingsClient";
import { UsageError } from "./command";
import { positiveInt, type ParsedFlags } from "./flags";
import { findingView, type FindingView } from "../api/findingView";

export const EXPORT_FORMATS = ["asff", "asff-workflow", "json", "csv"] as const;
type Format = (typeof EXPORT_FORMATS)[number];

export const EXPORT_USAGE = `  export                    --format asff|asff-workflow|json|csv [--output FILE] [filters] [--limit N]
                            asff: BatchImportFindings requests; asff-workflow: the triage as
                            BatchUpdateFindings requests; both need --aws-account ID and --aws-region REGION`;

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
  if (!accountId) throw new UsageError("--format asff needs --aws-account with the 12-digit account id");
  if (!/^\d{12}$/.test(accountId))
    throw new UsageError(`--aws-account ${JSON.stringify(accountId)} is not an AWS account id (12 digits)`);
  if (!region) throw new UsageError("--format asff needs --aws-region, e.g. eu-west-1");
  if (!/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(region)) {
    throw new UsageError(
      `--aws-region ${JSON.stringify(region)} is not an AWS region name (like eu-west-1, us-gov-west-1, cn-north-1)`,
    );
  }
  return { accountId, region };
}

/** One encoder per format: what goes before, per finding, and after. */
function encoder(format: Format, flags: ParsedFlags) {
  switch (format) {
    case "json": {
      let first = true;
      return {
        start: "[",
        each: (f: FindingView) => `${first ? ((first = false), "\n") : ",\n"}  ${terminalJson(f)}`,
        end: () => (first ? "]\n" : "\n]\n"),
      };
    }
    case "csv":
      return { start: csvHeader(), each: csvRow, end: () => "" };
    case "asff": {
      const options = asffOptions(flags);
      let batch: unknown[] = [];
      const flush = () => {
        const line = batch.length ? terminalJson({ Findings: batch }) + "\n" : "";
        batch = [];
        return line;
      };
      return {
        start: "",
        each: (f: FindingView) => (batch.push(asffFinding(f, options)), batch.length === ASFF_BATCH ? flush() : ""),
        end: flush,
      };
    }
    case "asff-workflow": {
      const updates = new WorkflowUpdates(asffOptions(flags));
      return { start: "", each: (f: FindingView) => updates.add(f), end: () => updates.flush() };
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
