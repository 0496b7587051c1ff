// `driftguard findings list|show|watch|triage|groups|export`: the security team's view of
// the collector. Everything printed from a finding is escaped (findingsView.ts); a failed
// call is one line with its fix (collectorErrors.ts).
import type { ApiFinding, WatchEventName } from "../api/types";
import { FindingsClient } from "../collector/findingsClient";
import { terminalJson } from "../util/visibleText";
import { UsageError, type Command } from "./command";
import { collectorErrorLine, isCallError } from "./collectorErrors";
import { EXPORT_USAGE, exportFindings } from "./findingsExport";
import { FILTER_FLAGS, FILTER_USAGE, filterFrom } from "./findingsFilter";
import { GROUPS_USAGE, listGroups } from "./findingsGroups";
import { SAMPLE_USAGE, downloadSample } from "./findingsSample";
import { TRIAGE_USAGE, triage } from "./findingsTriage";
import { eventView, findingView } from "../api/findingView";
import { details, groupDigits, tableHeader, tableRow } from "./findingsView";
import { parseFlags, positiveInt, type FlagSpec, type ParsedFlags } from "./flags";
import { CONNECTION_FLAGS, CONNECTION_USAGE, connect } from "./collectorConnection";
import { serverAddress } from "./serverAddress";

const FLAGS: FlagSpec[] = [
  ...CONNECTION_FLAGS,
  { name: "json", boolean: true },
  ...FILTER_FLAGS,
  { name: "limit" },
  { name: "comment", default: "" },
  { name: "all-matching", boolean: true },
  { name: "yes", boolean: true },
  { name: "by" },
  { name: "format" },
  { name: "output" },
  { name: "force", boolean: true },
  { name: "aws-account", env: true },
  { name: "aws-region", env: true },
];

const USAGE = `usage: driftguard findings <list|show ID|watch|triage|groups|export|sample ID> [options]

  list                      findings, most recent first
  show ID                   one finding with its triage history
  watch                     new and recurring findings as the collector stores them (Ctrl-C ends)
${TRIAGE_USAGE}
${GROUPS_USAGE}
${EXPORT_USAGE}
${SAMPLE_USAGE}

${CONNECTION_USAGE}

${FILTER_USAGE}
  --limit N                 list at most N [50]; export at most N [all]
  --json                    JSON instead of a table (list: an array; watch: one line per finding)`;

export const findingsCommand: Command = {
  name: "findings",
  summary: "list, show, watch, group and triage findings on the collector",
  usage: USAGE,
  async run(argv) {
    const flags = parseFlags(argv, FLAGS);
    const [sub, ...rest] = flags.positionals;
    const server = serverAddress(flags.values.get("server")!);
    const client = connect(flags, server);
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
          need(rest, 0, "export --format asff|asff-workflow|json|csv");
          return await exportFindings(client, flags, filterFrom(flags));
        case "triage":
          return await triage(client, flags, rest, json);
        case "sample":
          return await downloadSample(client, flags, need(rest, 1, "sample ID --output FILE")[0]);
        case "groups":
          need(rest, 0, "groups --by sha256|workload|image");
          return await listGroups(client, flags, json);
        default:
          throw new UsageError(sub ? `unknown subcommand ${sub}` : "a subcommand is needed");
      }
    } catch (error) {
      if (!isCallError(error)) throw error;
      process.stderr.write(`driftguard findings: ${collectorErrorLine(error, server)}\n`);
      return 1;
    } finally {
      client.close();
    }
  },
};

async function list(client: FindingsClient, flags: ParsedFlags, json: boolean): Promise<number> {
  const limit = flags.values.has("limit") ? positiveInt(flags, "limit") : 50;
  const filter = filterFrom(flags);
  const found: ApiFinding[] = [];
  let pageToken = "";
  let total = { size: 0, atLeast: false };
  do {
    const page = await client.list({ filter, pageSize: Math.min(1000, limit - found.length), pageToken });
    if (!pageToken) total = { size: page.totalSize, atLeast: page.totalIsLowerBound };
    found.push(...page.findings);
    pageToken = page.nextPageToken;
  } while (pageToken && found.length < limit);
  const views = found.map(findingView);
  if (json) process.stdout.write(terminalJson(views, 2) + "\n");
  else process.stdout.write([tableHeader(), ...views.map(tableRow)].join("\n") + "\n");
  if (pageToken) {
    const of = total.atLeast ? `more than ${groupDigits(total.size)}` : groupDigits(Math.max(total.size, found.length));
    process.stderr.write(`showing ${groupDigits(found.length)} of ${of} findings (use --limit N for more)\n`);
  }
  return 0;
}

async function show(client: FindingsClient, id: string, json: boolean): Promise<number> {
  const { finding, triageHistory } = await client.get({ id });
  const view = findingView(finding!);
  const history = triageHistory.map(eventView);
  process.stdout.write(json ? terminalJson({ ...view, history }, 2) + "\n" : details(view, history));
  return 0;
}

const EVENT_WORDS: Record<WatchEventName, string> = {
  WATCH_EVENT_UNSPECIFIED: "",
  WATCH_EVENT_NEW: "new",
  WATCH_EVENT_RECURRED: "recurred",
};

async function watch(client: FindingsClient, flags: ParsedFlags, json: boolean): Promise<number> {
  const stream = client.watch({ filter: filterFrom(flags) });
  if (!json) process.stdout.write(`${"EVENT".padEnd(8)}  ${tableHeader()}\n`);
  return new Promise((resolve, reject) => {
    process.once("SIGINT", () => stream.cancel());
    stream.on("data", (message: { finding: ApiFinding; event: WatchEventName }) => {
      const view = findingView(message.finding);
      const event = EVENT_WORDS[message.event] ?? "";
      process.stdout.write((json ? terminalJson({ event, ...view }) : `${event.padEnd(8)}  ${tableRow(view)}`) + "\n");
    });
    stream.on("error", (error: { code: number }) => (error.code === 1 ? resolve(0) : reject(error)));
    stream.on("end", () => resolve(0));
  });
}

export function need(args: string[], n: number, what: string): string[] {
  if (args.length !== n) throw new UsageError(`usage: driftguard findings ${what}`);
  return args;
}
