// Sample retention: samples stored longer ago than the retention are deleted, at start and
// hourly. A later finding with the same digest brings its sample back (the agent offers it).
import type { Logger } from "../../log/logger";
import type { SampleStore } from "../store/SampleStore";

const SWEEP_INTERVAL_MS = 3600_000;

/** Collector settings for samples. */
export interface SampleConfig {
  /** Bytes all samples may take; offers past it are refused. Default 4 GiB. */
  storeBytes: number;
  /** Samples stored longer ago are deleted (hourly); 0 keeps them. Default 30. */
  retentionDays: number;
}

export const DEFAULT_SAMPLE_CONFIG: SampleConfig = { storeBytes: 4 * 1024 ** 3, retentionDays: 30 };

/** Starts the sweeps; the timer is unref'd, clear it to stop. */
export function startSampleRetention(samples: SampleStore, days: number, logger: Logger): NodeJS.Timeout {
  const sweep = (): void => {
    const cutoff = Date.now() - days * 86_400_000;
    samples.deleteOlderThan(cutoff).then(
      (deleted) => {
        if (deleted > 0) logger.info({ deleted, cutoff: new Date(cutoff).toISOString() }, "retention: samples deleted");
      },
      (error: unknown) => logger.error({ err: error }, "sample retention sweep failed"),
    );
  };
  sweep();
  const timer = setInterval(sweep, SWEEP_INTERVAL_MS);
  timer.unref();
  return timer;
}
