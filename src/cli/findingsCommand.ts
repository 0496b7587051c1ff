// `driftguard findings list|show|watch|triage`: the security team's view of the collector.
import * as fs from "node:fs";

import { reasonName, triageName, verdictName, TRIAGE_STATUSES, toTimestamp } from "../api/convert";
import type { ApiFinding, FindingFilter } from "../api/types";
import { FindingsClient } from "../collector/findingsClient";
import { DRIFT_REASONS, reasonsMatching } from "../domain/driftReason";
import { VERDICTS, type Verdict } from "../domain/verdict";
import type { TriageStatus } from "../api/convert";
import { UsageError, type Command } from "./command";
import { parseFlags, positiveInt, type FlagSpec, type ParsedFlags } from "./flags";
import { EXPORT_USAGE, exportFindings } from "./findingsExport";
import { eventView, findingView } from "../api/findingView";
import { details, tableHeader, tableRow } from "./findingsView";
import { errorMessage } from "../util/errorMessage";

const FLAGS: FlagSpec[] = [
  { name: "server", default: "localhost:7443", env: true },
  { name: "ca", env: true },
  { name: "token-file", env: true },
  { name: "cert", env: true },
  { name: "key", env: true },
  { name: "insecure", boolean: true },
  { name: "json", boolean: true },
  { name: "cluster" },
  { name: "namespace" },
  { name: "pod" },
  { name: "image" },
  { name: "node" },
  { name: "reason" },
  { name: "verdict" },
  { name: "status" },
  { name: "since" },
  { name: "until" },
  { name: "limit" },
  { name: "comment", default: "" },
  { name: "format" },
  { name: "output" },
  { name: "aws-account", env: true },
  { name: "aws-region", env: true },
];

const USAGE = `usage: driftguard findings <list|show ID|watch|triage ID STATUS|export> [options]

  list                      findings, most recent first
  show ID                   one finding with its triage history
  watch                     new findings as the collector stores them (Ctrl-C ends)
  triage ID STATUS          STATUS acknowledged | resolved | false_positive | new [--comment TEXT]
${EXPORT_USAGE}

Connection (also DRIFTGUARD_SERVER, _CA, _TOKEN_FILE, _CERT, _KEY; or DRIFTGUARD_TOKEN):
  --server HOST:PORT        the collector [localhost:7443]
  --ca FILE                 CA that signed the collector's certificate
  --token-file FILE         a file holding your bearer token
  --cert FILE --key FILE    or a client certificate (OU = your role)
  --insecure                plaintext, for a collector started with --insecure

Filters (list, watch, export): --cluster --namespace --pod --image --node (exact),
  --reason REASON or a glob (posture_* for every posture finding): ${DRIFT_REASONS.join("|")}
  --verdict ${VERDICTS.join("|")}   --status ${TRIAGE_STATUSES.join("|")}
  --since/--until TIME      ISO time or an age like 30m, 6h, 7d
  --limit N                 list at most N [50]; export at most N [all]
  --json                    JSON instead of a table (list: an array; watch: one line per finding)`;

export const findingsCommand: Command = {
  name: "findings",
  summary: "list, show, watch and triage findings on the collector",
  usage: USAGE,
  async run(argv) {
    const flags = parseFlags(argv, FLAGS);
    const [sub, ...rest] = flags.positionals;
    const client = new FindingsClient({
      address: flags.values.get("server")!,
      caFile: flags.values.get("ca"),
      token: readToken(flags),
      certFile: flags.values.get("cert"),
      keyFile: flags.values.get("key"),
      insecure: flags.booleans.has("insecure"),
    });
    const json = flags.booleans.has("json");
    try {
      switch (sub) {
        case "list":
          return await list(client, flags, json);
        case "show":
          return await show(client, need(rest, 1, "show ID")[0], json);
        case "watch":
          return await watch(client, flags, json);
        case "export":
          need(rest, 0, "export --format asff|json|csv");
          return await exportFindings(client, flags, filterFrom(flags));
        case "triage": {
          const [id, status] = need(rest, 2, "triage ID STATUS");
          return await triage(client, id, status, flags.values.get("comment")!, json);
        }
        default:
          throw new UsageError(sub ? `unknown subcommand ${sub}` : "a subcommand is needed");
      }
    } catch (error) {
      const e = error as { code?: number; details?: string; message: string };
      if (e.code === undefined) throw error;
      process.stderr.write(`driftguard findings: ${e.details || e.message}\n`);
      return 1;
    } finally {
      client.close();
    }
  },
};

async function list(client: FindingsClient, flags: ParsedFlags, json: boolean): Promise<number> {
  const limit = flags.values.has("limit") ? positiveInt(flags, "limit") : 50;
  const found: ApiFinding[] = [];
  let pageToken = "";
  do {
    const page = await client.list({
      filter: filterFrom(flags),
      pageSize: Math.min(1000, limit - found.length),
      pageToken,
    });
    found.push(...page.findings);
    pageToken = page.nextPageToken;
  } while (pageToken && found.length < limit);
  const views = found.map(findingView);
  if (json) process.stdout.write(JSON.stringify(views, null, 2) + "\n");
  else process.stdout.write([tableHeader(), ...views.map(tableRow)].join("\n") + "\n");
  return 0;
}

async function show(client: FindingsClient, id: string, json: boolean): Promise<number> {
  const { finding, triageHistory } = await client.get({ id });
  const view = findingView(finding!);
  const history = triageHistory.map(eventView);
  process.stdout.write(json ? JSON.stringify({ ...view, history }, null, 2) + "\n" : details(view, history));
  return 0;
}

async function watch(client: FindingsClient, flags: ParsedFlags, json: boolean): Promise<number> {
  const stream = client.watch({ filter: filterFrom(flags) });
  if (!json) process.stdout.write(tableHeader() + "\n");
  return new Promise((resolve, reject) => {
    process.once("SIGINT", () => stream.cancel());
    stream.on("data", (message: { finding: ApiFinding }) => {
      const view = findingView(message.finding);
      process.stdout.write((json ? JSON.stringify(view) : tableRow(view)) + "\n");
    });
    stream.on("error", (error: { code: number }) => (error.code === 1 ? resolve(0) : reject(error)));
    stream.on("end", () => resolve(0));
  });
}

async function triage(
  client: FindingsClient,
  id: string,
  status: string,
  comment: string,
  json: boolean,
): Promise<number> {
  if (!TRIAGE_STATUSES.includes(status as TriageStatus)) {
    throw new UsageError(`STATUS must be one of ${TRIAGE_STATUSES.join(", ")}`);
  }
  const { finding } = await client.updateTriage({ id, status: triageName(status as TriageStatus), comment });
  const view = findingView(finding!);
  process.stdout.write(json ? JSON.stringify(view, null, 2) + "\n" : `${id}: ${view.triage.status}\n`);
  return 0;
}

function filterFrom(flags: ParsedFlags): FindingFilter {
  const v = (name: string) => flags.values.get(name) ?? "";
  const oneOf = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const value = flags.values.get(name);
    if (value !== undefined && !allowed.includes(value as T)) {
      throw new UsageError(`--${name} must be one of ${allowed.join(", ")}`);
    }
    return value as T | undefined;
  };
  const reasons = flags.values.has("reason") ? reasonsMatching(v("reason")) : [];
  if (flags.values.has("reason") && reasons.length === 0) {
    throw new UsageError(`--reason matches no reason; reasons are ${DRIFT_REASONS.join(", ")}`);
  }
  const verdict = oneOf<Verdict>("verdict", VERDICTS);
  const status = oneOf<TriageStatus>("status", TRIAGE_STATUSES);
  return {
    since: flags.values.has("since") ? toTimestamp(parseTime(v("since"), "since")) : null,
    until: flags.values.has("until") ? toTimestamp(parseTime(v("until"), "until")) : null,
    cluster: v("cluster"),
    namespace: v("namespace"),
    pod: v("pod"),
    image: v("image"),
    node: v("node"),
    // One reason as before (collectors without `reasons` understand it); a glob as a list.
    reason: reasons.length === 1 ? reasonName(reasons[0]) : "DRIFT_REASON_UNSPECIFIED",
    reasons: reasons.length > 1 ? reasons.map(reasonName) : [],
    verdict: verdict ? verdictName(verdict) : "VERDICT_UNSPECIFIED",
    triageStatus: status ? triageName(status) : "TRIAGE_STATUS_UNSPECIFIED",
  };
}

/** An ISO time, or an age ("90s", "30m", "6h", "7d") before now. */
export function parseTime(text: string, flag: string, now = Date.now()): number {
  const age = /^(\d+)([smhd])$/.exec(text);
  if (age)
    return now - Number(age[1]) * { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[age[2] as "s" | "m" | "h" | "d"];
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`--${flag} must be an ISO time or an age like 30m, 6h, 7d (got ${text})`);
  return ms;
}

function readToken(flags: ParsedFlags): string | undefined {
  const file = flags.values.get("token-file");
  if (!file) return process.env.DRIFTGUARD_TOKEN || undefined;
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new UsageError(`cannot read --token-file ${file}: ${errorMessage(error)}`);
  }
}

function need(args: string[], n: number, what: string): string[] {
  if (args.length !== n) throw new UsageError(`usage: driftguard findings ${what}`);
  return args;
}
