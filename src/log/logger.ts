// Structured logs only: one pino root, one child per component. Secrets are never logged.
import pino, { type Logger } from "pino";

export type { Logger };

let root: Logger | undefined;

export function rootLogger(): Logger {
  root ??= pino({
    level: process.env.DRIFTGUARD_LOG_LEVEL ?? "info",
    base: { app: "driftguard" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ["token", "*.token", "authorization", "*.authorization", "key", "*.key"], remove: true },
  });
  return root;
}

export function componentLogger(component: string): Logger {
  return rootLogger().child({ component });
}
