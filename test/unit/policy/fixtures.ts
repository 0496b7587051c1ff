// Builders for policy tests: a DriftPolicy or its YAML from a few fields.
import pino from "pino";
import { stringify } from "yaml";

import type { Logger } from "../../../src/log/logger";
import type { DriftPolicy, Workload } from "../../../src/policy/types";
import type { ContainerRecord } from "../../../src/runtime/types";

export function policy(name: string, fields: Partial<Omit<DriftPolicy, "name">> = {}): DriftPolicy {
  return {
    name,
    source: { file: `${name}.yaml`, line: 1 },
    priority: 0,
    mode: "enforce",
    selector: {},
    allow: { paths: [], digests: [], parents: [], volumes: [] },
    deny: [],
    ...fields,
  };
}

export function workload(fields: Partial<Workload> = {}): Workload {
  return { namespace: "shop", podLabels: {}, image: "docker.io/library/nginx:1.27", container: "web", ...fields };
}

/** One DriftPolicy document as YAML text. */
export function policyYaml(name: string, spec: Record<string, unknown>): string {
  return stringify({ apiVersion: "driftguard.dev/v1", kind: "DriftPolicy", metadata: { name }, spec });
}

/** A container as the runtime watcher reports it, with Kubernetes labels. */
export function containerRecord(
  id: string,
  labels: Record<string, string>,
  fields: Partial<ContainerRecord> = {},
): ContainerRecord {
  return {
    id,
    namespace: "k8s.io",
    image: "docker.io/library/nginx:1.27",
    labels,
    k8s: {
      namespace: labels["io.kubernetes.pod.namespace"],
      pod: labels["io.kubernetes.pod.name"],
      podUid: labels["io.kubernetes.pod.uid"],
      container: labels["io.kubernetes.container.name"],
    },
    snapshotter: "overlayfs",
    snapshotKey: id,
    rootfs: { upperDir: "", lowerDirs: [], layerIdentities: [] },
    mounts: [],
    cgroupsPath: "",
    pid: 1,
    ...fields,
  };
}

/** A pino logger whose lines land in an array. */
export function memoryLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "debug" },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}
