// When each policy first applied to a container, kept under the agent's state dir so that
// an enforceAfter duration keeps counting across agent restarts. Keyed by policy name: a
// renamed policy starts a new clock. Written atomically (temp file + rename).
import * as fs from "node:fs";
import * as path from "node:path";

import type { Logger } from "../log/logger";

interface StateFile {
  version: 1;
  /** Policy name → ISO time it first applied. */
  firstApplied: Record<string, string>;
}

export class FirstAppliedStore {
  private readonly times = new Map<string, number>();
  readonly file: string;

  constructor(
    stateDir: string,
    private readonly logger: Logger,
  ) {
    this.file = path.join(stateDir, "policy-first-applied.json");
    this.read();
  }

  get(policy: string): number | undefined {
    return this.times.get(policy);
  }

  /** Records nowMs for a policy that never applied before; true if it was new. */
  record(policy: string, nowMs: number): boolean {
    if (this.times.has(policy)) return false;
    this.times.set(policy, nowMs);
    this.write();
    return true;
  }

  private read(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        this.logger.warn({ file: this.file, err: error }, "enforceAfter state unreadable; clocks start again");
      }
      return;
    }
    try {
      const state = JSON.parse(text) as Partial<StateFile>;
      for (const [name, iso] of Object.entries(state.firstApplied ?? {})) {
        const ms = typeof iso === "string" ? Date.parse(iso) : NaN;
        if (!Number.isNaN(ms)) this.times.set(name, ms);
      }
    } catch (error) {
      this.logger.warn({ file: this.file, err: error }, "enforceAfter state corrupt; clocks start again");
    }
  }

  private write(): void {
    const state: StateFile = {
      version: 1,
      firstApplied: Object.fromEntries([...this.times].map(([name, ms]) => [name, new Date(ms).toISOString()])),
    };
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(temp, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
      fs.renameSync(temp, this.file);
    } catch (error) {
      // Not fatal: the clock runs in memory; a restart would start it again.
      this.logger.error({ file: this.file, err: error }, "cannot persist enforceAfter state");
    }
  }
}
