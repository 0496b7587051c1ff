// Every subcommand of `driftguard`, in the order `driftguard help` lists them.
import type { Command } from "./command";

export function allCommands(): Command[] {
  // Required lazily so that `driftguard baseline` does not load the agent's dependencies.
  return [
    require("./agentCommand").agentCommand as Command,
    require("./baselineCommand").baselineCommand as Command,
    require("./policyCommand").policyCommand as Command,
    require("./collectorCommand").collectorCommand as Command,
    require("./findingsCommand").findingsCommand as Command,
    require("./agentsCommand").agentsCommand as Command,
    require("./certsCommand").certsCommand as Command,
  ];
}
