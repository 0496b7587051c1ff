// Lineage for each finding, within a budget: reading a chain costs ~5 small /proc reads per
// ancestor on the JS thread, so a flood of findings (one container exec'ing drift in a
// loop) gets lineage for the first LINEAGE_PER_SECOND findings of each second and an
// empty, incomplete one for the rest, counted in stats().
import { nativeBinding } from "../../native/binding";
import { NO_LINEAGE, type ProcessLineage } from "../../report/ProcessLineage";
import { ContainerUsers, type ReadBeneath } from "./containerUsers";
import { readLineage, type ExecCaller } from "./processLineage";

export const LINEAGE_PER_SECOND = 200;

export class LineageReader {
  private readonly users: ContainerUsers;
  private windowStartMs = 0;
  private inWindow = 0;
  private readonly counters = { read: 0, skipped: 0 };

  constructor(
    private readonly procDir = "/proc",
    readBeneath: ReadBeneath = (root, p, max) => nativeBinding().readFileBeneath(root, p, max),
    private readonly now: () => number = Date.now,
  ) {
    this.users = new ContainerUsers(readBeneath, now);
  }

  /** initPid: host pid of the container's init, 0 when unknown. */
  read(caller: ExecCaller, initPid: number, execTimeMs: number): ProcessLineage {
    const now = this.now();
    if (now - this.windowStartMs >= 1000) {
      this.windowStartMs = now;
      this.inWindow = 0;
    }
    if (caller.pid <= 0 || this.inWindow >= LINEAGE_PER_SECOND) {
      this.counters.skipped++;
      return NO_LINEAGE;
    }
    this.inWindow++;
    this.counters.read++;
    return readLineage(caller, { procDir: this.procDir, initPid, execTimeMs }, this.users);
  }

  stats(): { read: number; skipped: number } {
    return { ...this.counters };
  }
}
