// The checks of a reported lineage and writer (part of checkFinding): its bounds are the agent's
// (src/report/ProcessLineage.ts LINEAGE_LIMITS), with room for the "…" marks it adds.
import { LINEAGE_LIMITS } from "./lineageLimits";
import type { ApiFileWriter, ApiLineage } from "./types";

const MAX_PATH = 4096;
const MAX_USER = 64;

/** What is wrong with a reported writer, or "". */
export function checkWriter(w: ApiFileWriter | null | undefined): string {
  if (!w) return "";
  if (!Number.isInteger(w.pid) || w.pid < 0) return "writer.pid must not be negative";
  if ((w.executable ?? "").length > MAX_PATH) return `writer.executable longer than ${MAX_PATH}`;
  // 512 bytes of arguments, each control byte written as 4 characters.
  if ((w.commandLine ?? "").length > 4 * 512) return "writer.command_line longer than 2048";
  return "";
}

/** What is wrong with a reported lineage, or "". */
export function checkLineage(l: ApiLineage | null | undefined): string {
  if (!l) return "";
  const processes = l.processes ?? [];
  if (processes.length > LINEAGE_LIMITS.depth) return `lineage longer than ${LINEAGE_LIMITS.depth} processes`;
  for (const [i, p] of processes.entries()) {
    const where = `lineage.processes[${i}]`;
    if (!Number.isInteger(p.pid) || p.pid <= 0) return `${where}.pid must be positive`;
    if ((p.executable ?? "").length > MAX_PATH) return `${where}.executable longer than ${MAX_PATH}`;
    if ((p.user ?? "").length > MAX_USER) return `${where}.user longer than ${MAX_USER}`;
    const argv = p.argv ?? [];
    if (argv.length > LINEAGE_LIMITS.argc + 1) return `${where}.argv has more than ${LINEAGE_LIMITS.argc} arguments`;
    if (argv.some((a) => typeof a !== "string" || a.length > LINEAGE_LIMITS.argLength))
      return `${where}.argv has an argument longer than ${LINEAGE_LIMITS.argLength}`;
    if (argv.join("").length > LINEAGE_LIMITS.argvLength + LINEAGE_LIMITS.argLength)
      return `${where}.argv longer than ${LINEAGE_LIMITS.argvLength} in all`;
    if (i < processes.length - 1 && !p.inContainer) return `${where} is outside the container but not the last`;
  }
  return "";
}
