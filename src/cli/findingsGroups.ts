// `driftguard findings groups --by sha256|workload|image`: the findings matching the
// filters grouped fleet-wide, the largest groups first, with how to list each one.
import type { ApiFindingGroup, GroupByName } from "../api/types";
import type { FindingsClient } from "../collector/findingsClient";
import { terminalJson, visibleText } from "../util/visibleText";
import { choice, positiveInt, type ParsedFlags } from "./flags";
import { filterFrom } from "./findingsFilter";
import { groupDigits } from "./findingsView";
import { workloadKindLabel } from "../domain/workload";

export const GROUPS_USAGE = `  groups --by sha256|workload|image
                            findings grouped: the same binary across the fleet, a workload, an image`;

const BY = ["sha256", "workload", "image"] as const;

export async function listGroups(client: FindingsClient, flags: ParsedFlags, json: boolean): Promise<number> {
  const by = choice(flags, "by", BY);
  const limit = flags.values.has("limit") ? positiveInt(flags, "limit") : 50;
  const page = await client.listGroups({
    filter: filterFrom(flags),
    by: `GROUP_BY_${by.toUpperCase()}` as GroupByName,
    pageSize: Math.min(500, limit),
  });
  if (json) {
    process.stdout.write(terminalJson(page.groups, 2) + "\n");
    return 0;
  }
  const header = ["FINDINGS", "EXECS", "PODS", "NODES", "OPEN", "RAN", "LAST SEEN (UTC)", "GROUP"];
  const widths = [8, 8, 6, 6, 6, 6, 19];
  const row = (cells: string[]) => cells.map((c, i) => (widths[i] ? c.padEnd(widths[i]) : c)).join("  ");
  const lines = [row(header)];
  for (const g of page.groups) {
    lines.push(
      row([
        groupDigits(g.findings),
        groupDigits(g.execs),
        groupDigits(g.pods),
        groupDigits(g.nodes),
        groupDigits(g.open),
        groupDigits(g.audited),
        toIso(g),
        visibleText(keyText(g)),
      ]),
    );
  }
  process.stdout.write(lines.join("\n") + "\n");
  if (page.nextPageToken) process.stderr.write(`showing the ${page.groups.length} largest groups (use --limit N)\n`);
  return 0;
}

function toIso(g: ApiFindingGroup): string {
  const seconds = Number(g.lastSeen?.seconds ?? 0);
  return new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 19);
}

/** What the group shares, as a reviewer reads it. */
export function keyText(g: ApiFindingGroup): string {
  const key = g.key?.key ?? [];
  switch (g.key?.by) {
    case "GROUP_BY_SHA256":
      return key[0] || "(no hash: fileless or not computed)";
    case "GROUP_BY_WORKLOAD":
      return key[1]
        ? `${key[0]}/${workloadKindLabel(key[1])}/${key[2]}`
        : `${key[0] || "(no namespace)"}/(workload unknown)`;
    default:
      return key[0] || "(no image)";
  }
}
