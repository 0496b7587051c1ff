// The filesystems the exec guard marks for fanotify, and who else must know them: the
// eBPF sensor treats a container's exec from any other filesystem as drift
// (unwatched_filesystem), so its watched set must equal the marks, and be complete before
// a container is attached. Every mark and unmark goes through here. [JS thread]
import type { NativeExecGuard } from "../native/binding";
import type { Marker } from "./containerVolumes";

/** Told of every filesystem marked (st_dev) and unmarked; replayed from the start when it joins. */
export interface MarkFollower {
  watchFilesystems(devs: number[]): void;
  unwatchFilesystems(devs: number[]): void;
}

export class FilesystemMarks implements Marker {
  /** st_dev → marks taken; fanotify keeps one mark per filesystem, removed by one unmark. */
  private readonly marked = new Set<number>();
  private readonly followers: MarkFollower[] = [];

  constructor(private readonly guard: Pick<NativeExecGuard, "markFilesystem" | "unmarkFilesystem">) {}

  markFilesystem(path: string, keepDirFd = true, expectDev?: number): { dev: number; added: boolean } {
    const mark =
      expectDev === undefined
        ? this.guard.markFilesystem(path, keepDirFd)
        : this.guard.markFilesystem(path, keepDirFd, expectDev);
    if (!this.marked.has(mark.dev)) {
      this.marked.add(mark.dev);
      for (const follower of this.followers) follower.watchFilesystems([mark.dev]);
    }
    return mark;
  }

  unmarkFilesystem(dev: number): void {
    this.guard.unmarkFilesystem(dev);
    if (!this.marked.delete(dev)) return;
    for (const follower of this.followers) follower.unwatchFilesystems([dev]);
  }

  /** Adds a follower and tells it every filesystem marked so far. */
  follow(follower: MarkFollower): void {
    this.followers.push(follower);
    if (this.marked.size > 0) follower.watchFilesystems([...this.marked]);
  }

  get devices(): ReadonlySet<number> {
    return this.marked;
  }
}
