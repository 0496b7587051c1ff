// `driftguard findings triage`: one finding, several by id, or every finding matching the
// filters (--all-matching), in one request and one history entry per finding. A false
// positive needs --comment here as on the page and in the API (the collector checks).
import { triageName, toTimestamp, TRIAGE_STATUSES, type TriageStatus } from "../api/convert";
import { findingView } from "../api/findingView";
import type { FindingsClient } from "../collector/findingsClient";
import { terminalJson, visibleText } from "../util/visibleText";
import { UsageError } from "./command";
import { filterFrom } from "./findingsFilter";
import { groupDigits } from "./findingsView";
import type { ParsedFlags } from "./flags";

export const TRIAGE_USAGE = `  triage ID [ID...] STATUS  STATUS acknowledged | resolved | false_positive [--comment TEXT]
                            (a false positive needs --comment; new findings may be one at once)
  triage --all-matching STATUS [filters] --comment TEXT [--yes]
                            every finding the filters match (shows how many first; --yes changes them)`;

export async function triage(
  client: FindingsClient,
  flags: ParsedFlags,
  args: string[],
  json: boolean,
): Promise<number> {
  const status = args[args.length - 1];
  if (!status || !TRIAGE_STATUSES.includes(status as TriageStatus)) {
    throw new UsageError(`the last argument of triage is the STATUS: one of ${TRIAGE_STATUSES.join(", ")}`);
  }
  const comment = flags.values.get("comment") ?? "";
  if (status === "false_positive" && !comment.trim()) {
    throw new UsageError("a false positive needs --comment saying why");
  }
  const ids = args.slice(0, -1);
  const all = flags.booleans.has("all-matching");
  if (all === ids.length > 0) throw new UsageError("give the findings' ids, or --all-matching with filters");
  if (ids.length === 1) {
    const { finding } = await client.updateTriage({ id: ids[0], status: triageName(status as TriageStatus), comment });
    const view = findingView(finding!);
    process.stdout.write(json ? terminalJson(view, 2) + "\n" : `${visibleText(ids[0])}: ${view.triage.status}\n`);
    return 0;
  }
  const request = { status: triageName(status as TriageStatus), comment };
  if (!all) return report(await client.updateTriageBulk({ ...request, ids }), json);
  const filter = filterFrom(flags);
  const seenBefore = toTimestamp(Date.now());
  const count = await client.list({ filter, pageSize: 1 });
  const matching = count.totalIsLowerBound ? `more than ${groupDigits(count.totalSize)}` : groupDigits(count.totalSize);
  if (!flags.booleans.has("yes")) {
    process.stderr.write(`${matching} findings match these filters; run again with --yes to mark them ${status}\n`);
    return 1;
  }
  return report(await client.updateTriageBulk({ ...request, filter, seenBefore }), json);
}

function report(
  r: { changed: number; unchanged: number; notAllowed: number; notFound: string[] },
  json: boolean,
): number {
  if (json) process.stdout.write(terminalJson(r, 2) + "\n");
  else {
    const parts = [`${groupDigits(r.changed)} changed`, `${groupDigits(r.unchanged)} already had the status`];
    if (r.notAllowed) parts.push(`${groupDigits(r.notAllowed)} may not move there from their status`);
    if (r.notFound.length) parts.push(`not found: ${r.notFound.map(visibleText).join(", ")}`);
    process.stdout.write(parts.join("; ") + "\n");
  }
  return r.notFound.length > 0 ? 1 : 0;
}
