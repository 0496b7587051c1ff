// Files the collector re-reads while it runs: its TLS certificate, key and client CA, the
// reviewers' tokens, an issuer's JWKS and the revocation list. Polled and compared by
// content rather than watched with inotify: the kubelet updates a mounted Secret by
// swapping a `..data` symlink, which inotify on the file's path does not report, and a
// poll of a few small files costs nothing. A change that fails to apply (half-written
// file, bad PEM) is logged and counted, and what was in force stays in force.
import { createHash } from "node:crypto";
import * as fs from "node:fs";

import type { Logger } from "../../log/logger";
import { errorMessage } from "../../util/errorMessage";

export type ReloadResult = "applied" | "rejected";

export interface FileWatchOptions {
  /** What the files are, for logs and metrics: "tls", "tokens", "jwks", "revocations". */
  what: string;
  files: string[];
  intervalMs: number;
  logger: Logger;
  /** Puts the new contents in force; throws when they are not acceptable. */
  apply(contents: Buffer[]): void;
  onReload?(what: string, result: ReloadResult): void;
}

export class FileWatch {
  private readonly timer: NodeJS.Timeout;
  private digest: string;
  /** The poll running or last run, and the one queued behind it. */
  private running: Promise<void> = Promise.resolve();
  private queued?: Promise<void>;

  /** `initial`: the contents already in force (read at start). */
  constructor(
    private readonly o: FileWatchOptions,
    initial: Buffer[],
  ) {
    this.digest = digestOf(initial);
    this.timer = setInterval(() => void this.poll(), o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Reads the files and applies them if they changed; resolves once a read that started after
   * this call is done (tests call it after writing a file instead of waiting for the timer).
   */
  poll(): Promise<void> {
    // At most one poll queued behind the running one: it reads whatever was written before it starts.
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.pollOnce();
    });
    this.running = this.queued;
    return this.queued;
  }

  private async pollOnce(): Promise<void> {
    let contents: Buffer[];
    try {
      contents = await Promise.all(this.o.files.map((f) => fs.promises.readFile(f)));
    } catch (error) {
      // Mid-swap, or removed: keep what is in force, try again at the next poll.
      this.o.logger.warn({ what: this.o.what, err: errorMessage(error) }, "cannot re-read; keeping the previous");
      return;
    }
    const digest = digestOf(contents);
    if (digest === this.digest) return;
    this.digest = digest; // a rejected version is not retried until the files change again
    try {
      this.o.apply(contents);
      this.o.logger.info({ what: this.o.what, files: this.o.files }, "reloaded");
      this.o.onReload?.(this.o.what, "applied");
    } catch (error) {
      this.o.logger.error(
        { what: this.o.what, err: errorMessage(error) },
        "changed files rejected; the previous stay in force",
      );
      this.o.onReload?.(this.o.what, "rejected");
    }
  }
}

/** Reads every file or throws naming the flag and the file. */
export function readFlagFiles(files: { file: string; flag: string }[]): Buffer[] {
  return files.map(({ file, flag }) => {
    try {
      return fs.readFileSync(file);
    } catch (error) {
      throw new Error(`${flag} ${file}: ${errorMessage(error)}`);
    }
  });
}

function digestOf(contents: Buffer[]): string {
  const hash = createHash("sha256");
  for (const c of contents) hash.update(createHash("sha256").update(c).digest());
  return hash.digest("hex");
}
