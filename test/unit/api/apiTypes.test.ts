// The hand-written types of src/api/types.ts against the .proto files: a complete value of
// each message (TypeScript demands every field) survives encode → decode unchanged, so a
// field missing from, or misnamed in, either side fails here. And the shared finding check.
import * as assert from "node:assert/strict";

import { decodeMessage, encodeMessage, tryDecode, MalformedMessage, apiType } from "../../../src/api/apiProto";
import type { Heartbeat, ListAgentsResponse } from "../../../src/api/agentTypes";
import { toTimestamp } from "../../../src/api/convert";
import type {
  ApiFinding,
  ApiProcess,
  ApiTriageEvent,
  GetFindingResponse,
  ListFindingsRequest,
  UpdateTriageRequest,
} from "../../../src/api/types";
import { checkFinding } from "../../../src/api/validateFinding";

const ts = toTimestamp(Date.UTC(2026, 0, 1, 12));

const PROCESS: ApiProcess = {
  pid: 10,
  parentPid: 9,
  parentExecutable: "/bin/p",
  uid: -1,
  executable: "/bin/sh",
  commandLine: "sh -c x",
};
const TRIAGE: ApiTriageEvent = {
  from: "TRIAGE_STATUS_NEW",
  to: "TRIAGE_STATUS_ACKNOWLEDGED",
  actor: "alice",
  comment: "c",
  time: ts,
  kind: "TRIAGE_EVENT_KIND_TRIAGE",
};

const FULL_FINDING: ApiFinding = {
  id: "0123456789abcdef0123456789abcdef",
  firstSeen: ts,
  lastSeen: { seconds: ts.seconds + 5, nanos: 7_000_000 },
  count: 3,
  cluster: "prod",
  node: "node-a",
  kubernetes: { namespace: "shop", pod: "web-0", podUid: "u-1", container: "web" },
  container: { id: "c1", runtimeNamespace: "k8s.io", image: "web:1", imageDigest: "sha256:00" },
  process: PROCESS,
  path: "/tmp/x",
  hostPath: "/h/tmp/x",
  sha256: "ab".repeat(32),
  reason: "DRIFT_REASON_NEW_FILE",
  verdict: "VERDICT_BLOCKED",
  policyName: "p",
  policyMode: "POLICY_MODE_ENFORCE",
  copyOf: "/bin/busybox",
  triageStatus: "TRIAGE_STATUS_ACKNOWLEDGED",
  lastTriage: TRIAGE,
  received: ts,
  action: "ACTION_KILLED",
  workload: { kind: "WORKLOAD_KIND_DEPLOYMENT", name: "web", inferredFrom: "label pod-template-hash" },
  truncatedFields: ["process.command_line"],
  posture: { specField: "mounts[7]", value: "/ -> /host (read-only)", key: "/host" },
  attackTechniques: ["T1105", "T1036.003"],
  lineage: {
    processes: [
      {
        pid: 10,
        executable: "/bin/sh",
        argv: ["sh", "-c", "x"],
        uid: 1000,
        gid: 1000,
        user: "app",
        startTime: ts,
        inContainer: true,
      },
      { pid: 9, executable: "/shim", argv: [], uid: 0, gid: 0, user: "", startTime: ts, inContainer: false },
    ],
    execSession: true,
    complete: true,
  },
  writer: { pid: 8, executable: "/bin/busybox", commandLine: "cp /bin/busybox /tmp/x", uid: 0, time: ts },
};

const LINEAGE = FULL_FINDING.lineage!;

function roundTrip<T extends object>(type: string, value: T): void {
  assert.deepEqual(decodeMessage(type, encodeMessage(type, value)), value, type);
  const protoFields = Object.keys(apiType(type).fields).sort();
  assert.deepEqual(Object.keys(value).sort(), protoFields, `${type}: fields of the TS type and the proto differ`);
}

describe("driftguard.v1 API types", () => {
  it("match the proto messages field for field", () => {
    roundTrip("Finding", FULL_FINDING);
    const heartbeat: Required<Heartbeat> = {
      agentVersion: "0.1.0",
      node: "n",
      cluster: "c",
      mode: "POLICY_MODE_AUDIT",
      containers: 4,
      drops: { spoolFull: 1, nativeVerdicts: 2, rejected: 3 },
      spoolPending: 5,
      spoolBytes: 6,
      sentAt: ts,
      health: {
        status: "AGENT_STATUS_DEGRADED",
        reasons: [{ code: "canary", detail: "a staged drift exec ran", notReady: true }],
        since: ts,
      },
    };
    roundTrip("Heartbeat", heartbeat);
    const agents: Required<ListAgentsResponse> = {
      agents: [
        {
          cluster: "c",
          node: "n",
          agentVersion: "0.1.0",
          mode: "POLICY_MODE_ENFORCE",
          status: "silent",
          health: heartbeat.health,
          lastSeen: ts,
          containers: 2,
          drops: heartbeat.drops,
          spoolPending: 1,
          identity: "agent",
        },
      ],
      heartbeatIntervalMs: 10_000,
    };
    roundTrip("ListAgentsResponse", agents);
    const list: Required<ListFindingsRequest> = {
      filter: {
        since: ts,
        until: ts,
        cluster: "c",
        namespace: "n",
        pod: "p",
        image: "i",
        reason: "DRIFT_REASON_VOLUME",
        verdict: "VERDICT_AUDITED",
        triageStatus: "TRIAGE_STATUS_NEW",
        node: "x",
        podPrefix: "pp",
        pathPrefix: "/tmp/",
        sha256: "ab".repeat(32),
        workloadKind: "WORKLOAD_KIND_CRONJOB",
        workloadName: "nightly",
        imagePrefix: "registry/",
        container: "web",
        group: { by: "GROUP_BY_WORKLOAD", key: ["shop", "deployment", "web"] },
        reasons: ["DRIFT_REASON_NEW_FILE", "DRIFT_REASON_POSTURE_PRIVILEGED"],
      },
      pageSize: 10,
      pageToken: "t",
    };
    roundTrip("ListFindingsRequest", list);
    const get: Required<GetFindingResponse> = { finding: FULL_FINDING, triageHistory: [TRIAGE] };
    roundTrip("GetFindingResponse", get);
    const triage: Required<UpdateTriageRequest> = { id: "x", status: "TRIAGE_STATUS_RESOLVED", comment: "" };
    roundTrip("UpdateTriageRequest", triage);
  });

  it("decodes garbage into a MalformedMessage instead of throwing", () => {
    const bad = tryDecode("ReportRequest", Buffer.from([0x12, 0xff, 0xff, 0xff, 0x0f, 1, 2]));
    assert.ok(bad instanceof MalformedMessage);
  });

  it("checks reported findings", () => {
    const now = Date.UTC(2026, 0, 2);
    const ok: ApiFinding = { ...FULL_FINDING };
    assert.equal(checkFinding(ok, now), "");
    const cases: [Partial<ApiFinding>, RegExp][] = [
      [{ id: "" }, /id/],
      [{ id: "bad id!" }, /id/],
      [{ count: 0 }, /count/],
      [{ reason: "DRIFT_REASON_UNSPECIFIED" }, /reason/],
      [{ verdict: "VERDICT_UNSPECIFIED" }, /verdict/],
      [{ policyMode: "POLICY_MODE_UNSPECIFIED" }, /policy_mode/],
      [{ firstSeen: null }, /first_seen/],
      [{ lastSeen: { seconds: ts.seconds - 10, nanos: 0 } }, /out of range/],
      [{ path: "" }, /path/],
      [{ path: "x".repeat(5000) }, /path longer/],
      [{ sha256: "XYZ" }, /sha256/],
      [{ process: { ...PROCESS, commandLine: "x".repeat(9000) } }, /commandLine/],
      [{ action: "ACTION_BOGUS" as never }, /unknown action/],
      [{ action: "ACTION_AUDITED" }, /contradicts the verdict/],
      [{ verdict: "VERDICT_AUDITED", action: "ACTION_REFUSED" }, /contradicts the verdict/],
      [{ attackTechniques: ["T1105", "<script>"] }, /attack_techniques: "<script>"/],
      [{ attackTechniques: Array(17).fill("T1105") }, /more than 16 attack_techniques/],
      [{ lineage: { ...LINEAGE, processes: Array(17).fill(LINEAGE.processes[0]) } }, /longer than 16 processes/],
      [{ lineage: { ...LINEAGE, processes: [{ ...LINEAGE.processes[0], pid: 0 }] } }, /pid must be positive/],
      [
        { lineage: { ...LINEAGE, processes: [{ ...LINEAGE.processes[0], argv: ["x".repeat(257)] }] } },
        /argument longer/,
      ],
      [
        { lineage: { ...LINEAGE, processes: [...LINEAGE.processes].reverse() } },
        /outside the container but not the last/,
      ],
    ];
    for (const [change, expected] of cases) assert.match(checkFinding({ ...ok, ...change }, now), expected);
    // An agent from before actions: no action, the verdict says what happened.
    assert.equal(checkFinding({ ...ok, action: "ACTION_UNSPECIFIED" }, now), "");
    // A posture finding is about a container: no path, but the spec field that shows it.
    const posture: ApiFinding = { ...ok, reason: "DRIFT_REASON_POSTURE_PRIVILEGED", path: "", sha256: "", copyOf: "" };
    assert.equal(checkFinding(posture, now), "");
    assert.match(checkFinding({ ...posture, posture: null }, now), /posture\.spec_field is required/);
    assert.match(checkFinding({ ...ok, posture: null, path: "" }, now), /path is required/);
    const long = { ...posture.posture!, value: "x".repeat(5000) };
    assert.match(checkFinding({ ...posture, posture: long }, now), /posture\.value longer/);
    // An agent from before techniques: none reported, the collector derives them.
    assert.equal(checkFinding({ ...ok, attackTechniques: undefined }, now), "");
    assert.equal(checkFinding({ ...ok, lineage: null }, now), "", "an agent before lineage");
    assert.equal(checkFinding({ ...ok, writer: null }, now), "", "no writer seen");
    assert.match(checkFinding({ ...ok, writer: { ...ok.writer!, commandLine: "x".repeat(3000) } }, now), /writer/);
  });
});
