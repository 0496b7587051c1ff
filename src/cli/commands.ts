// Every subcommand of `driftguard`, in the order `driftguard help` lists them.
import type { Command } from "./command";

export function allCommands(): Command[] {
  // Required lazily so that `driftguard baseline` does not load the agent's dependencies.
  return [
    require("./agentCommand").agentCommand as Command,
    require("./baselineCommand").baselineCommand as Command,
  ];
}
