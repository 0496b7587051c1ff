// Two agents share a node's state dir during a rollout (maxSurge 1: the new agent guards
// the node before the old one leaves). The baseline cache and the policy times are written
// atomically under unique names and can be shared; a spool has one writer. Each agent
// takes the first free spool slot: slot 0 is <stateDir>/spool (where agents always kept
// it), slot n <stateDir>/spool-n, each held by a flock on <dir>.lock that the kernel drops
// when its agent dies. A slot left with findings is sent by the next agent to take it.
import * as fs from "node:fs";
import * as path from "node:path";

/** More than two agents on a node means something else is wrong: say so. */
export const SPOOL_SLOTS = 4;

export interface SpoolSlot {
  slot: number;
  dir: string;
}

export function takeSpoolSlot(stateDir: string, holdFileLock: (file: string) => boolean): SpoolSlot {
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  for (let slot = 0; slot < SPOOL_SLOTS; slot++) {
    const dir = path.join(stateDir, slot === 0 ? "spool" : `spool-${slot}`);
    if (holdFileLock(`${dir}.lock`)) return { slot, dir };
  }
  throw new Error(
    `every spool slot of ${stateDir} (${SPOOL_SLOTS}) is held by a running agent: more than two agents on this node share the state dir; give each its own --state-dir`,
  );
}
