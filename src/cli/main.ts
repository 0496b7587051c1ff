#!/usr/bin/env node
// Entry point of the `driftguard` command.
import { UsageError, type Command } from "./command";
import { allCommands } from "./commands";

function help(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "usage: driftguard <command> [options]",
    "",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `driftguard <command> --help` for a command's options.",
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const commands = allCommands();
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(help(commands) + "\n");
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`driftguard: unknown command "${name}"\n\n${help(commands)}\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(command.usage + "\n");
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      // What is wrong, the command's synopsis, and where the rest is: not the whole help.
      const synopsis = command.usage.split("\n")[0];
      process.stderr.write(
        `driftguard ${command.name}: ${error.message}\n${synopsis}\nRun "driftguard ${command.name} --help" for every option.\n`,
      );
      return 2;
    }
    throw error;
  }
}

// A reader that went away (`driftguard findings list | head`) is no error: exit quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // One line; the stack only when asked for (DRIFTGUARD_DEBUG=1), since users act on the message.
    const debug = process.env.DRIFTGUARD_DEBUG === "1" && error instanceof Error;
    process.stderr.write(
      `driftguard: ${debug ? error.stack : error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
