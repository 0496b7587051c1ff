// A small flag parser: --name value, --name=value, boolean --flag, and positionals.
// Every flag may also come from the environment (DRIFTGUARD_<NAME>), so a DaemonSet can
// configure the agent without a long argv.
import { UsageError } from "./command";

export interface FlagSpec {
  /** Long name without dashes, e.g. "state-dir". */
  name: string;
  boolean?: boolean;
  default?: string;
  /** Read DRIFTGUARD_<NAME> (upper case, dashes → underscores) when the flag is absent. */
  env?: boolean;
}

export interface ParsedFlags {
  values: Map<string, string>;
  booleans: Set<string>;
  positionals: string[];
}

export function envName(flag: string): string {
  return "DRIFTGUARD_" + flag.toUpperCase().replace(/-/g, "_");
}

export function parseFlags(argv: string[], specs: FlagSpec[], env: NodeJS.ProcessEnv = process.env): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, string>();
  const booleans = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown option --${name}`);
    if (spec.boolean) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      booleans.add(name);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    values.set(name, value);
  }
  for (const spec of specs) {
    if (spec.env && !values.has(spec.name) && !booleans.has(spec.name)) {
      const fromEnv = env[envName(spec.name)];
      if (fromEnv !== undefined && fromEnv !== "") {
        if (spec.boolean) {
          if (fromEnv === "true" || fromEnv === "1") booleans.add(spec.name);
        } else {
          values.set(spec.name, fromEnv);
        }
      }
    }
    if (!values.has(spec.name) && spec.default !== undefined) values.set(spec.name, spec.default);
  }
  return { values, booleans, positionals };
}

/** A flag value from a fixed set of choices. */
export function choice<T extends string>(flags: ParsedFlags, name: string, allowed: readonly T[]): T {
  const value = flags.values.get(name);
  if (value === undefined || !allowed.includes(value as T)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(", ")} (got ${JSON.stringify(value)})`);
  }
  return value as T;
}

/** A positive integer flag value. */
export function positiveInt(flags: ParsedFlags, name: string): number {
  const raw = flags.values.get(name);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new UsageError(`--${name} must be a positive integer (got ${raw})`);
  return value;
}
