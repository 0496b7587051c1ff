// Brings the exec ignore marks back after a container start paused them
// (native/guard/RuntimeStarts.hh). Each exec of the container runtime flushes every ignore
// mark and pauses adding new ones, so the new container's first exec raises an event and is
// held until the agent attached it. Marks may come back only when no container can be
// pending: no pause came after the one seen, and every container with a live task (created
// or running) is attached; a task exists before the runtime is exec'd to start it. Until then the
// guard is only slower, never blind. The guard reports each pause at once (onStartPause), so
// the check runs then, not at the next tick: an exec probe's `runc exec` costs the marks for
// one task list. Also follows the runtime binaries: an upgrade renames a
// new file over the old one, whose inode must be marked again.
import { componentLogger, type Logger } from "../log/logger";
import type { NativeExecGuard } from "../native/binding";
import type { ContainerSource } from "../runtime/ContainerSource";

export interface StartPauseDeps {
  guard: Pick<NativeExecGuard, "watchRuntimeBinaries" | "startPause" | "resumeIgnoreMarks"> &
    Partial<Pick<NativeExecGuard, "onStartPause">>;
  /** The runtime binaries as this process opens them (host view). */
  runtimeBinaries: string[];
  /** Keys of every container with a live task, from the runtime. */
  liveContainers: () => Promise<Set<string>>;
  /** True once the container is in the guard's tables (its mounts marked, its cgroup known). */
  attached: (key: string) => boolean;
  logger: Logger;
  /**
   * How often a pause is checked (a list of containerd tasks only while paused). Each pause
   * is also checked at once (onStartPause); the interval covers a container that attaches
   * later and the back-off. Default 50 ms.
   */
  intervalMs?: number;
  /** How often the runtime binaries are looked up again. Default 1 s. */
  rewatchMs?: number;
}

export class StartPauseResumer {
  private timer?: NodeJS.Timeout;
  private busy = false;
  /** A pause came while a check ran: check again when it ends. */
  private again = false;
  private lastWatchMs = 0;
  private watched = -1;
  /** After a check that found a container pending (or failed): no list before this. */
  private nextListMs = 0;
  private listBackoffMs = 0;

  constructor(private readonly deps: StartPauseDeps) {}

  /** Marks the runtime binaries and starts checking. Returns how many are watched. */
  start(): number {
    this.watch();
    // A call queued before stop may still come after it (and after the guard closed).
    this.deps.guard.onStartPause?.(() => {
      if (this.timer) void this.tick();
    });
    this.timer = setInterval(() => void this.tick(), this.deps.intervalMs ?? 50);
    this.timer.unref();
    return this.watched;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One check; resolves true if the marks are on (not paused) afterwards. */
  async tick(): Promise<boolean> {
    if (this.busy) {
      this.again = true;
      return false;
    }
    this.busy = true;
    this.again = false;
    try {
      if (Date.now() - this.lastWatchMs >= (this.deps.rewatchMs ?? 1000)) this.watch();
      const { guard } = this.deps;
      const pause = guard.startPause();
      if (!pause.paused) return true;
      if (pause.runtimesWatched === 0 || Date.now() < this.nextListMs) return false;
      // Listed after the pause was read: a container whose start paused is listed by now
      // (its task exists before the runtime is exec'd to start it).
      const live = await this.deps.liveContainers();
      for (const key of live) {
        if (!this.deps.attached(key)) return this.backOff();
      }
      this.listBackoffMs = 0;
      return guard.resumeIgnoreMarks(pause.seq);
    } catch (err) {
      this.deps.logger.warn({ err }, "cannot check for pending containers; exec ignore marks stay paused");
      return this.backOff();
    } finally {
      this.busy = false;
      if (this.again && this.timer) setImmediate(() => void this.tick());
    }
  }

  /** A container that stays unattached (its attach failed) must not have containerd listed 50 times a second. */
  private backOff(): false {
    this.listBackoffMs = Math.min(Math.max(this.listBackoffMs * 2, 20), 1000);
    this.nextListMs = Date.now() + this.listBackoffMs;
    return false;
  }

  private watch(): void {
    this.lastWatchMs = Date.now();
    const { guard, runtimeBinaries, logger } = this.deps;
    const watched = guard.watchRuntimeBinaries(runtimeBinaries);
    if (watched === 0 && this.watched !== 0) {
      logger.error(
        { paths: runtimeBinaries },
        "no container runtime binary found: exec ignore marks stay paused (every exec raises an event); set --runtime-binaries",
      );
    } else if (watched !== this.watched) {
      logger.info({ watched }, "container runtime binaries watched");
    }
    this.watched = watched;
  }
}

/** The agent's resumer, started: live containers from its source, attached ones from its attacher. */
export function startPauseResumer(
  guard: StartPauseDeps["guard"],
  source: Pick<ContainerSource, "liveContainers">,
  attacher: { has(key: string): boolean },
  runtimeBinaries: string[],
): StartPauseResumer {
  const resumer = new StartPauseResumer({
    guard,
    runtimeBinaries,
    liveContainers: () => source.liveContainers(),
    attached: (key) => attacher.has(key),
    logger: componentLogger("startpause"),
  });
  resumer.start();
  return resumer;
}
