// The errors of a layer walk: a layer directory of a committed snapshot never changes, so
// an entry that vanished or changed type since it was listed means the snapshot is being
// removed or tampered with.
import { getSystemErrorName } from "node:util";

import { errorMessage } from "../util/errorMessage";
import { changedSinceListed } from "./beneathFs";
import { BaselineError } from "./types";

export function walkError(root: string, imagePath: string, error: unknown, call: string): BaselineError {
  if (error instanceof BaselineError) return error;
  const reason = errorMessage(error);
  return new BaselineError(
    "IO_ERROR",
    `${root}:${imagePath}`,
    changedSinceListed(error)
      ? `vanished or changed type during the walk (${call}: ${reason}); a layer directory must not change`
      : `${call} failed: ${reason}`,
  );
}

/** An entry that fstatat could not read, as the error the open would have thrown. */
export function errnoError(errno: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(-errno);
  return Object.assign(new Error(`${code} (errno ${errno})`), { code });
}
