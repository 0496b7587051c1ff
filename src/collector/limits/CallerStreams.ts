// Long-lived streams per caller (agents' Report streams, reviewers' watches): at most
// `perCaller` open at once for one caller, so that no caller can hold the collector's
// memory and file descriptors with thousands of idle streams. At the cap a reviewer's new
// watch is refused; an agent's new stream replaces its oldest instead, since an agent has
// one stream and the old ones are most likely dead connections not yet noticed (a
// restarted agent must not be locked out by them). The registry also ends streams whose
// caller was just revoked.
import { status } from "@grpc/grpc-js";

import type { RevocationKey, Revocations } from "../identity/Revocations";

export interface OpenStream {
  revocation: readonly RevocationKey[];
  /** False once the caller's credential was withdrawn (a reviewer token removed from --tokens). */
  stillValid?: () => boolean;
  /** Ends the stream with this status. */
  end(code: status, details: string): void;
}

export class CallerStreams {
  private readonly byCaller = new Map<string, Set<OpenStream>>();

  constructor(
    readonly perCaller: number,
    /** At the cap: refuse the new stream, or end the caller's oldest. */
    private readonly atCap: "refuse" | "replace-oldest",
    /** A stream refused or ended because its caller had perCaller open (metrics). */
    private readonly onCap: () => void = () => undefined,
  ) {}

  /** Registers a stream and returns its release, or undefined when the caller is at its cap (refuse it). */
  open(key: string, stream: OpenStream): (() => void) | undefined {
    let streams = this.byCaller.get(key);
    let replaced: OpenStream | undefined;
    if (streams && streams.size >= this.perCaller) {
      this.onCap();
      if (this.atCap === "refuse") return undefined;
      replaced = streams.values().next().value!;
      streams.delete(replaced);
    }
    if (!streams) this.byCaller.set(key, (streams = new Set()));
    streams.add(stream);
    // Ended only now: its release must find the caller's set holding the new stream.
    replaced?.end(
      status.RESOURCE_EXHAUSTED,
      `replaced by a newer stream of ${key} (at most ${this.perCaller} at once)`,
    );
    let released = false;
    return () => {
      if (released) return;
      released = true;
      streams.delete(stream);
      if (streams.size === 0 && this.byCaller.get(key) === streams) this.byCaller.delete(key);
    };
  }

  /** What the caller is told when refused. */
  refusal(key: string): { code: status; details: string } {
    return {
      code: status.RESOURCE_EXHAUSTED,
      details: `${key} has ${this.perCaller} streams open already, the most one caller may; close one first`,
    };
  }

  /** Ends every open stream whose caller `revocations` names or whose credential was withdrawn; returns how many. */
  endRevoked(revocations: Revocations): number {
    let ended = 0;
    for (const streams of this.byCaller.values()) {
      for (const stream of [...streams]) {
        const revoked = revocations.find(stream.revocation);
        if (revoked) stream.end(status.PERMISSION_DENIED, `${revoked.kind} ${revoked.value} was revoked`);
        else if (stream.stillValid?.() === false) stream.end(status.UNAUTHENTICATED, "the token was withdrawn");
        else continue;
        ended++;
      }
    }
    return ended;
  }
}
