// Reads what the agent needs from a container's OCI runtime spec and labels. The spec is
// written by whoever created the container, so it is parsed as hostile input: any
// malformed part is a SpecError naming the container, never an exception of another kind.
import { parseSecuritySpec, type SecuritySpec } from "./securitySpec";
import type { KubernetesIdentity, OciMount } from "./types";
import { errorMessage } from "../util/errorMessage";

/** The type URL containerd stores OCI specs under (typeurl registration of specs.Spec). */
export const OCI_SPEC_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";

export class SpecError extends Error {
  override readonly name = "SpecError";
  readonly code = "spec_invalid";

  constructor(
    readonly containerId: string,
    reason: string,
  ) {
    super(`container ${containerId}: unusable OCI spec: ${reason}`);
  }
}

export interface SpecFacts {
  mounts: OciMount[];
  /** linux.cgroupsPath, "" if absent. */
  cgroupsPath: string;
  /** What the posture judgement reads (never fails the parse). */
  security: SecuritySpec;
}

/** Parses the spec Any of container `containerId`. Throws SpecError. */
export function parseOciSpec(containerId: string, spec: { typeUrl: string; value: Uint8Array } | undefined): SpecFacts {
  if (!spec || spec.value.length === 0) throw new SpecError(containerId, "the container has no spec");
  if (spec.typeUrl !== OCI_SPEC_TYPE_URL) {
    throw new SpecError(containerId, `spec type ${JSON.stringify(spec.typeUrl)} is not ${OCI_SPEC_TYPE_URL}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(spec.value).toString("utf8"));
  } catch (err) {
    throw new SpecError(containerId, `spec is not JSON (${errorMessage(err)})`);
  }
  if (!isObject(json)) throw new SpecError(containerId, "spec is not a JSON object");
  return {
    mounts: parseMounts(containerId, json.mounts),
    cgroupsPath: parseCgroupsPath(containerId, json.linux),
    security: parseSecuritySpec(json),
  };
}

function parseMounts(containerId: string, value: unknown): OciMount[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new SpecError(containerId, "mounts is not an array");
  return value.map((entry: unknown, i): OciMount => {
    const where = `mounts[${i}]`;
    if (!isObject(entry)) throw new SpecError(containerId, `${where} is not an object`);
    const destination = entry.destination;
    if (typeof destination !== "string" || destination === "") {
      throw new SpecError(containerId, `${where}.destination is missing or not a string`);
    }
    return {
      destination,
      // The OCI spec lets type and source be omitted (e.g. for some bind mounts).
      type: optionalString(containerId, `${where}.type`, entry.type),
      source: optionalString(containerId, `${where}.source`, entry.source),
      options: optionalStrings(containerId, `${where}.options`, entry.options),
    };
  });
}

function parseCgroupsPath(containerId: string, linux: unknown): string {
  if (linux === undefined || linux === null) return "";
  if (!isObject(linux)) throw new SpecError(containerId, "linux is not an object");
  return optionalString(containerId, "linux.cgroupsPath", linux.cgroupsPath);
}

function optionalString(containerId: string, where: string, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") throw new SpecError(containerId, `${where} is not a string`);
  return value;
}

function optionalStrings(containerId: string, where: string, value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new SpecError(containerId, `${where} is not an array of strings`);
  }
  return value as string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Labels the kubelet's CRI sets on every container (namespace k8s.io). */
export const KUBERNETES_LABELS = {
  namespace: "io.kubernetes.pod.namespace",
  pod: "io.kubernetes.pod.name",
  podUid: "io.kubernetes.pod.uid",
  container: "io.kubernetes.container.name",
} as const;

/** Kubernetes identity from container labels; fields absent from the labels stay undefined. */
export function kubernetesIdentity(labels: Record<string, string>): KubernetesIdentity {
  const identity: KubernetesIdentity = {};
  for (const [field, label] of Object.entries(KUBERNETES_LABELS) as [keyof KubernetesIdentity, string][]) {
    const value = labels[label];
    if (value !== undefined && value !== "") identity[field] = value;
  }
  return identity;
}
