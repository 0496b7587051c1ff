// `driftguard agents`: every agent the collector heard from, with the status it shows
// (enforcing, auditing, disabled, starting, degraded with the agent's reasons, silent when
// its heartbeats stopped, unknown for an agent that does not say). Every string came from
// an agent and is printed escaped (findingsView.ts cell, util/visibleText.ts).
import { fromTimestamp, modeFromName } from "../api/convert";
import type { ApiAgentSummary } from "../api/agentTypes";
import { terminalJson, visibleText } from "../util/visibleText";
import { UsageError, type Command } from "./command";
import { collectorErrorLine, isCallError } from "./collectorErrors";
import { CONNECTION_FLAGS, CONNECTION_USAGE, connect } from "./collectorConnection";
import { cell } from "./findingsView";
import { parseFlags } from "./flags";
import { serverAddress } from "./serverAddress";

const USAGE = `usage: driftguard agents [--status S[,S]] [--json] [connection options]

Lists the agents with the status the collector shows for each: enforcing, auditing, disabled,
starting, degraded (with the agent's reasons), silent (no heartbeat within its interval) or
unknown (an agent too old to say).

  --status S[,S]            only agents with these statuses (e.g. degraded,silent,unknown)
  --json                    JSON: an array of agents

${CONNECTION_USAGE}`;

/** The flat form of an agent, for the table and --json. */
export interface AgentView {
  status: string;
  cluster: string;
  node: string;
  mode: string;
  version: string;
  lastSeen: string;
  statusSince: string;
  containers: number;
  spoolPending: number;
  reasons: { code: string; detail: string; notReady: boolean }[];
}

export function agentView(a: ApiAgentSummary): AgentView {
  const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : "");
  return {
    status: a.status,
    cluster: a.cluster,
    node: a.node,
    mode: modeFromName(a.mode) ?? "unknown",
    version: a.agentVersion,
    lastSeen: iso(fromTimestamp(a.lastSeen)),
    statusSince: iso(fromTimestamp(a.health?.since)),
    containers: a.containers,
    spoolPending: a.spoolPending,
    reasons: a.health?.reasons ?? [],
  };
}

const COLUMNS: [string, (v: AgentView) => string, number][] = [
  ["STATUS", (v) => v.status, 9],
  ["SINCE (UTC)", (v) => v.statusSince.replace("T", " ").slice(0, 19), 19],
  ["LAST HEARTBEAT (UTC)", (v) => v.lastSeen.replace("T", " ").slice(0, 19), 20],
  ["CLUSTER", (v) => v.cluster, 16],
  ["NODE", (v) => v.node, 32],
  ["MODE", (v) => v.mode, 7],
  ["CONTAINERS", (v) => String(v.containers), 10],
  ["VERSION", (v) => v.version, 0],
];

/** One line per agent, its reasons below it: "  - canary: exec canary: ... (not ready)". */
export function agentLines(v: AgentView): string[] {
  const row = COLUMNS.map(([, get, width]) => cell(get(v), width))
    .join("  ")
    .trimEnd();
  const why = v.reasons.map((r) => `  - ${visibleText(`${r.code}: ${r.detail}`)}${r.notReady ? " (not ready)" : ""}`);
  return [row, ...why];
}

export const agentsCommand: Command = {
  name: "agents",
  summary: "list the agents and their status (enforcing, degraded, silent, ...) on the collector",
  usage: USAGE,
  async run(argv) {
    const flags = parseFlags(argv, [...CONNECTION_FLAGS, { name: "json", boolean: true }, { name: "status" }]);
    if (flags.positionals.length > 0) throw new UsageError(`unexpected argument ${flags.positionals[0]}`);
    const wanted = flags.values
      .get("status")
      ?.split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const server = serverAddress(flags.values.get("server")!);
    const client = connect(flags, server);
    try {
      const { agents } = await client.listAgents();
      const views = agents.map(agentView).filter((v) => !wanted || wanted.includes(v.status));
      if (flags.booleans.has("json")) process.stdout.write(terminalJson(views, 2) + "\n");
      else {
        const header = COLUMNS.map(([title, , width]) => cell(title, width))
          .join("  ")
          .trimEnd();
        process.stdout.write([header, ...views.flatMap(agentLines)].join("\n") + "\n");
      }
      return 0;
    } catch (error) {
      if (!isCallError(error)) throw error;
      process.stderr.write(`driftguard agents: ${collectorErrorLine(error, server)}\n`);
      return 1;
    } finally {
      client.close();
    }
  },
};
