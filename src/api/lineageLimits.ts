// The bounds of a finding's lineage: the agent cuts to them, the collector refuses more.
export const LINEAGE_LIMITS = {
  /** Processes in one chain. */
  depth: 16,
  /** Arguments of one process, and characters of one argument and of all of them. */
  argc: 32,
  argLength: 256,
  argvLength: 1024,
} as const;
