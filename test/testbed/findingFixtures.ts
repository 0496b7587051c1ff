// Findings for collector and reporter tests.
import type { FindingRecord } from "../../src/collector/store/FindingStore";
import type { DriftFinding, FileWriter } from "../../src/report/DriftFinding";
import { apiLineage, apiWriter } from "../../src/report/apiFinding";
import type { ProcessLineage } from "../../src/report/ProcessLineage";

const T0 = Date.UTC(2026, 0, 1);

/** cp (busybox) dropped the file a second before it ran. */
export const FIXTURE_WRITER: FileWriter = {
  pid: 108,
  uid: 0,
  exe: "/bin/busybox",
  cmdline: "cp /bin/busybox /tmp/x/ls",
  time: new Date(T0 - 1000).toISOString(),
};

/** An exec session: sh started by `kubectl exec` (its parent the shim) ran the drift. */
export const FIXTURE_LINEAGE: ProcessLineage = {
  processes: [
    { pid: 110, exe: "/bin/sh", argv: ["sh", "-c", "x"], uid: 0, gid: 0, user: "root", startMs: T0, inContainer: true },
    {
      pid: 99,
      exe: "/usr/bin/containerd-shim-runc-v2",
      argv: ["/usr/bin/containerd-shim-runc-v2", "-namespace", "k8s.io"],
      uid: 0,
      gid: 0,
      user: "",
      startMs: T0 - 60_000,
      inContainer: false,
    },
  ],
  execSession: true,
  complete: true,
};

/** An agent-side finding: `i` makes its path (and so its aggregate) distinct. */
export function driftFinding(i: number, over: Partial<DriftFinding> = {}): DriftFinding {
  return {
    time: new Date().toISOString(),
    node: "node-a",
    verdict: "blocked",
    action: over.verdict === "audited" ? "audited" : "refused",
    reason: "new_file",
    mode: "enforce",
    policy: "",
    path: `/tmp/drift/${i}`,
    hostPath: `/var/lib/containerd/snapshots/7/fs/tmp/drift/${i}`,
    sha256: "ab".repeat(32),
    copyOf: "/bin/busybox",
    attackTechniques: ["T1105", "T1036.003"],
    process: {
      pid: 100 + i,
      ppid: 99,
      uid: 0,
      exe: "/bin/sh",
      cmdline: "sh -c x",
      parentExe: "/usr/bin/containerd-shim",
    },
    container: {
      id: "c1",
      namespace: "k8s.io",
      image: "registry.local/shop/web:1",
      imageDigest: "sha256:" + "cd".repeat(32),
    },
    k8s: { namespace: "shop", pod: "web-0", podUid: "uid-1", container: "web" },
    lineage: FIXTURE_LINEAGE,
    writer: FIXTURE_WRITER,
    ...over,
  };
}

/** A collector-side record. */
export function findingRecord(i: number, over: Partial<FindingRecord> = {}): FindingRecord {
  return {
    id: `f${String(i).padStart(6, "0")}`,
    firstSeenMs: T0 + i * 1000,
    lastSeenMs: T0 + i * 1000,
    count: 1,
    cluster: "prod",
    node: "node-a",
    k8sNamespace: "shop",
    pod: "web-0",
    podUid: "uid-1",
    k8sContainer: "web",
    containerId: "c1",
    runtimeNamespace: "k8s.io",
    image: "registry.local/shop/web:1",
    imageDigest: "",
    pid: 100,
    ppid: 99,
    parentExe: "/usr/bin/containerd-shim",
    uid: 0,
    exe: "/bin/sh",
    cmdline: "sh -c x",
    path: `/tmp/drift/${i}`,
    hostPath: `/h/${i}`,
    sha256: "ab".repeat(32),
    reason: "new_file",
    verdict: "blocked",
    policyName: "",
    policyMode: "enforce",
    copyOf: "",
    action: over.verdict === "audited" ? "audited" : "refused",
    workloadKind: "statefulset",
    workloadName: "web",
    workloadInferredFrom: "label statefulset.kubernetes.io/pod-name",
    truncated: "",
    postureField: "",
    postureValue: "",
    postureKey: "",
    attackTechniques: "T1105",
    lineage: JSON.stringify(apiLineage(FIXTURE_LINEAGE)),
    writer: JSON.stringify(apiWriter(FIXTURE_WRITER)),
    ...over,
  };
}

export const FIXTURE_T0 = T0;
