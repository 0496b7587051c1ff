// How the attacher reports an image whose baseline could not be built. An image over its
// budget (src/baseline/budget.ts) is a hostile or unusually large image: it is reported
// once at error level with the budget and what passed it; the builder remembers it, so
// its next containers fail at once without reading a layer and are logged at debug only.
import { BudgetExceeded } from "../baseline/budget";
import type { Logger } from "../log/logger";
import type { ContainerRecord } from "../runtime/types";

/** What the guard does with the containers of an image without a baseline. */
const CONSEQUENCE =
  "its containers are still guarded: image-layer files by location, writable-layer execs " +
  "as unverified (their policy answers: refused in enforce, reported in audit)";

export function logBaselineFailure(logger: Logger, record: ContainerRecord, error: unknown): void {
  if (!(error instanceof BudgetExceeded)) {
    logger.error({ image: record.image, err: error, baselineFailed: true }, `image baseline failed; ${CONSEQUENCE}`);
    return;
  }
  const fields = {
    image: record.image,
    container: record.id,
    budget: { maxEntries: error.budget.maxEntries, maxManifestBytes: error.budget.maxManifestBytes },
    exceeded: error.exceeded === "entries" ? "maxEntries" : "maxManifestBytes",
    counted: error.counted,
    detail: error.message,
    baselineFailed: true,
  };
  if (error.firstReport) logger.error(fields, `image over its baseline budget; ${CONSEQUENCE}`);
  else logger.debug(fields, "image over its baseline budget (reported before)");
}
