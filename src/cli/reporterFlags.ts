// The agent's flags for the findings reporter (src/report): where the collector is, the
// agent's mTLS identity and node token, and the spool bound. No --collector-address: no reporter (the
// JSON log line is written either way).
import * as os from "node:os";

import type { AgentConfig } from "../agent/AgentConfig";
import type { ReporterConfig } from "../report/Reporter";
import { UsageError } from "./command";
import { positiveInt, type FlagSpec, type ParsedFlags } from "./flags";

const DEFAULT_SPOOL_BYTES = 64 << 20;

export const REPORTER_FLAGS: FlagSpec[] = [
  { name: "collector-address", env: true },
  { name: "collector-ca", env: true },
  { name: "agent-cert", env: true },
  { name: "agent-key", env: true },
  { name: "collector-token-file", env: true },
  { name: "collector-insecure", boolean: true, env: true },
  { name: "cluster-name", default: "", env: true },
  { name: "spool-max-bytes", default: String(DEFAULT_SPOOL_BYTES), env: true },
];

export const REPORTER_USAGE = `
Findings to the collector (off without --collector-address):
  --collector-address H:P     the collector's AgentService
  --collector-ca FILE         CA of the collector's certificate
  --agent-cert FILE           this agent's client certificate (OU=agent)
  --agent-key FILE            its key
  --collector-token-file FILE the pod's projected ServiceAccount token (audience
                              driftguard-collector): names this node to the collector;
                              re-read when the kubelet rotates it
  --collector-insecure        plaintext, for a collector started with --insecure
  --cluster-name NAME         reported in findings and heartbeats
  --spool-max-bytes N         on-disk spool (<state-dir>/spool) bound [${DEFAULT_SPOOL_BYTES}]`;

export function reporterConfigFromFlags(flags: ParsedFlags, agent: AgentConfig): ReporterConfig | undefined {
  const address = flags.values.get("collector-address");
  if (!address) return undefined;
  const insecure = flags.booleans.has("collector-insecure");
  const files = ["collector-ca", "agent-cert", "agent-key"].filter((f) => flags.values.has(f));
  if (!insecure && files.length < 3) {
    throw new UsageError(
      "--collector-address needs --collector-ca, --agent-cert and --agent-key (or --collector-insecure)",
    );
  }
  const spoolMaxBytes = positiveInt(flags, "spool-max-bytes");
  if (spoolMaxBytes < 1 << 20) throw new UsageError("--spool-max-bytes must be at least 1048576");
  return {
    address,
    caFile: flags.values.get("collector-ca"),
    certFile: flags.values.get("agent-cert"),
    keyFile: flags.values.get("agent-key"),
    tokenFile: flags.values.get("collector-token-file"),
    insecure,
    clusterName: flags.values.get("cluster-name") ?? "",
    nodeName: agent.nodeName || os.hostname(),
    stateDir: agent.stateDir,
    spoolMaxBytes,
  };
}
