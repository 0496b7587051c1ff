// Whether a failed read means the entry vanished or changed type meanwhile (removed,
// replaced by a symlink, a FIFO, a device). The native hasher reports strerror text, not
// an errno code.
import { errorMessage } from "../util/errorMessage";

export function vanishedWhileRead(error: unknown): boolean {
  if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
  return /No such file|not a regular file|ELOOP|Too many levels of symbolic links/.test(errorMessage(error));
}
