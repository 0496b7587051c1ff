// How the agent's eBPF sensor glue (src/agent/EbpfSensor.ts) uses the writable-layer copy
// check, on a real overlay mount. The BPF side of the trust is tested in the QEMU guest
// (test/integration/bpf/lsm.qemu.test.ts); here a recording stand-in takes its place.
import * as assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";

import pino from "pino";

import { EbpfSensor } from "../../../src/agent/EbpfSensor";
import { libraryModeFor } from "../../../src/agent/sensorPolicy";
import type { NativePolicy, VerdictRecord } from "../../../src/native/binding";
import { globsUnder } from "../../../src/policy/volumeKinds";
import type {
  BpfContainer,
  BpfCoverage,
  NativeBpfSensor,
  SensorFinding,
  TrustedFile,
} from "../../../src/native/bpfBinding";
import type { ContainerRecord } from "../../../src/runtime/types";
import { createOverlayBed, type OverlayBed } from "../../testbed/overlayBed";

import { lowerWithLibraries, sha256, statOf, until } from "./layerCopyBed";

/** A library mapping the kernel refused in container k8s.io/c1, as the native sensor reports it. */
function blockedLibrary(over: Partial<SensorFinding>): SensorFinding {
  return {
    ...({} as SensorFinding),
    reason: "library",
    source: "lsm_mmap",
    verdict: "blocked",
    action: "refused",
    mode: "enforce",
    containerId: "k8s.io/c1",
    ...over,
  };
}

/** Records what the agent asks of the kernel sensor. */
class RecordingSensor implements Partial<NativeBpfSensor> {
  containers = new Map<number, BpfContainer>();
  trusted: TrustedFile[] = [];
  removedTrusted: Pick<TrustedFile, "dev" | "ino">[] = [];
  forgotten: number[] = [];
  /** The agent's callback for findings, as the native sensor would call it. */
  emit: (batch: SensorFinding[]) => void = () => {};
  constructor(private readonly lsm: boolean) {}
  start(): BpfCoverage {
    return {
      built: true,
      tracepoint: !this.lsm,
      lsm: this.lsm,
      entryChecked: this.lsm,
      programTypes: { rawTracepoint: true, tracingRawTp: false, fentry: this.lsm, lsm: this.lsm },
      reasons: [],
    };
  }
  putContainers(containers: BpfContainer[]): void {
    for (const c of containers) this.containers.set(c.cgroupId, { ...c });
  }
  removeContainers(ids: number[]): void {
    for (const id of ids) this.containers.delete(id);
  }
  putTrustedFiles(files: TrustedFile[]): void {
    this.trusted.push(...files);
  }
  removeTrustedFiles(files: Pick<TrustedFile, "dev" | "ino">[]): void {
    this.removedTrusted.push(...files);
  }
  forgetWritten(dev: number): number {
    this.forgotten.push(dev);
    return 0;
  }
  /** st_dev → watchers, as the native sensor counts them. */
  watched = new Map<number, number>();
  watchFilesystems(devs: number[]): void {
    for (const dev of devs) this.watched.set(dev, (this.watched.get(dev) ?? 0) + 1);
  }
  unwatchFilesystems(devs: number[]): void {
    for (const dev of devs) {
      const n = (this.watched.get(dev) ?? 0) - 1;
      if (n > 0) this.watched.set(dev, n);
      else this.watched.delete(dev);
    }
  }
  flushFindings(): void {}
  close(): void {}
}

/** A process moved into the bed's cgroup: it stands in for a container's init. */
function initInBed(bed: OverlayBed): ChildProcess {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  fs.writeFileSync(path.join(bed.cgroupDir, "cgroup.procs"), String(child.pid));
  return child;
}

async function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGKILL");
  await once(child, "exit");
}

describe("the agent's eBPF sensor glue @root", function () {
  this.timeout(30000);
  let bed: OverlayBed;
  let init: ChildProcess;
  beforeEach(() => {
    bed = createOverlayBed(lowerWithLibraries);
    init = initInBed(bed);
  });
  afterEach(async () => {
    await stopped(init);
    bed.remove();
  });

  const policy = (over: Partial<NativePolicy> = {}): NativePolicy => ({
    name: "p",
    mode: "enforce",
    allowPaths: [],
    allowDigests: [],
    ...over,
  });
  // A process in the bed's cgroup stands in for the container's init; its root overlay is
  // found in the mount table by the writable layer. (Not this test process: the agent's
  // own cgroup is never registered, see the last test.)
  const record = (): ContainerRecord =>
    ({
      id: "c1",
      namespace: "k8s.io",
      pid: init.pid!,
      rootfs: { upperDir: bed.upperDir, lowerDirs: [bed.lowerDir], layerIdentities: ["l1"] },
    }) as ContainerRecord;
  const view = { rootPrefix: "", source: "test", mountinfoPath: "/proc/self/mountinfo", mountNamespace: 0 } as never;

  function started(
    lsm: boolean,
    logger = pino({ level: "silent" }),
  ): { sensor: EbpfSensor; native: RecordingSensor; records: VerdictRecord[] } {
    const native = new RecordingSensor(lsm);
    const records: VerdictRecord[] = [];
    const sensor = new EbpfSensor(
      logger,
      view,
      (r) => records.push(r),
      (_options, onFindings) => {
        native.emit = onFindings;
        return native as unknown as NativeBpfSensor;
      },
    );
    sensor.start();
    return { sensor, native, records };
  }

  it("registers the container, then trusts unwritten copies once its writable layer is clean", async () => {
    fs.chmodSync(path.join(bed.merged, "usr/lib/libgood.so"), 0o700);
    const { sensor, native } = started(true);
    sensor.attach("k8s.io/c1", record(), policy());
    const [registered] = [...native.containers.values()];
    assert.deepEqual(
      { ...registered, cgroupId: 0 },
      {
        cgroupId: 0,
        containerId: "k8s.io/c1",
        execMode: "enforce",
        libraryMode: "enforce",
        trustUnwrittenCopies: false,
        volumeDevs: [],
      },
    );
    // Its root overlay (found in the mount table by its writable layer) is watched: its execs reach fanotify.
    assert.deepEqual([...native.watched.keys()], [fs.statSync(bed.merged).dev]);
    const digest = sha256(path.join(bed.lowerDir, "usr/lib/libgood.so"));
    await sensor.imageSettled("k8s.io/c1", record(), new Map([["/usr/lib/libgood.so", digest]]));
    assert.equal(native.containers.get(registered.cgroupId)?.trustUnwrittenCopies, true);
    assert.deepEqual(native.trusted, [statOf(path.join(bed.upperDir, "usr/lib/libgood.so"))]);
    sensor.detach("k8s.io/c1");
    assert.equal(native.containers.size, 0);
    assert.equal(native.watched.size, 0);
    assert.equal(native.removedTrusted.length, 1);
    assert.deepEqual(native.forgotten, [fs.statSync(bed.merged).dev]); // the overlay the host mounted for it
  });

  it("checks the writable layer again when the task restarts (a new mount: its writes were marked on the old one)", async () => {
    fs.chmodSync(path.join(bed.merged, "usr/lib/libgood.so"), 0o700);
    const { sensor, native } = started(true);
    sensor.attach("k8s.io/c1", record(), policy());
    const digest = sha256(path.join(bed.lowerDir, "usr/lib/libgood.so"));
    await sensor.imageSettled("k8s.io/c1", record(), new Map([["/usr/lib/libgood.so", digest]]));
    const [registered] = [...native.containers.values()];
    assert.equal(native.containers.get(registered.cgroupId)?.trustUnwrittenCopies, true);
    // The restarted task: another process in the bed's cgroup stands in.
    const child = initInBed(bed);
    try {
      sensor.attach("k8s.io/c1", { ...record(), pid: child.pid! }, policy());
      assert.equal(native.containers.get(registered.cgroupId)?.trustUnwrittenCopies, false, "distrusted at once");
      assert.equal(native.forgotten.length, 1, "the old mount's marks are forgotten");
      await until(() => native.containers.get(registered.cgroupId)?.trustUnwrittenCopies === true);
      assert.equal(
        native.containers.get(registered.cgroupId)?.trustUnwrittenCopies,
        true,
        "trusted after the new check",
      );
    } finally {
      await stopped(child);
    }
  });

  it("keeps unwritten copies untrusted when a copied-up program differs from the image", async () => {
    fs.appendFileSync(path.join(bed.merged, "usr/lib/libbad.so"), "patched");
    const { sensor, native } = started(true);
    sensor.attach("k8s.io/c1", record(), policy());
    const digest = sha256(path.join(bed.lowerDir, "usr/lib/libbad.so"));
    await sensor.imageSettled("k8s.io/c1", record(), new Map([["/usr/lib/libbad.so", digest]]));
    const [registered] = [...native.containers.values()];
    assert.equal(registered.trustUnwrittenCopies, false);
    assert.equal(registered.libraryMode, "enforce", "libraries are still judged: only hashed copies load");
  });

  it("hashes a refused copy and trusts it when it equals the image file at its path", async () => {
    fs.appendFileSync(path.join(bed.merged, "usr/lib/libbad.so"), "patched"); // the layer is not clean
    const { sensor, native } = started(true);
    sensor.attach("k8s.io/c1", record(), policy());
    const digests = new Map(
      ["/usr/lib/libgood.so", "/usr/lib/libbad.so"].map((p) => [p, sha256(path.join(bed.lowerDir, p))]),
    );
    await sensor.imageSettled("k8s.io/c1", record(), digests);
    assert.deepEqual(native.trusted, []);
    fs.chmodSync(path.join(bed.merged, "usr/lib/libgood.so"), 0o700); // copied up after the check
    const refused = (imagePath: string, over: Partial<SensorFinding> = {}): SensorFinding => {
      const st = fs.statSync(path.join(bed.upperDir, imagePath));
      return blockedLibrary({ path: imagePath, name: path.basename(imagePath), dev: st.dev, ino: st.ino, ...over });
    };
    native.emit([
      refused("/usr/lib/libbad.so"), // differs from the image
      refused("/usr/lib/libgood.so", { ino: 1 }), // another inode than the one at the path
      refused("/usr/lib/libgood.so", { verdict: "audited" }), // it loaded: nothing to do
    ]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(native.trusted, []);
    native.emit([refused("/usr/lib/libgood.so")]);
    await until(() => native.trusted.length > 0);
    assert.deepEqual(native.trusted, [statOf(path.join(bed.upperDir, "usr/lib/libgood.so"))]);
  });

  it("never follows a symlink swapped into a refused copy's path", async () => {
    fs.appendFileSync(path.join(bed.merged, "usr/lib/libbad.so"), "patched"); // the layer is not clean
    const { sensor, native } = started(true);
    sensor.attach("k8s.io/c1", record(), policy());
    const good = "/usr/lib/libgood.so";
    await sensor.imageSettled("k8s.io/c1", record(), new Map([[good, sha256(path.join(bed.lowerDir, good))]]));
    fs.chmodSync(path.join(bed.merged, good), 0o700); // an unchanged copy, refused by the kernel
    const copy = fs.statSync(path.join(bed.upperDir, good));
    const finding = blockedLibrary({ path: good, name: "libgood.so", dev: copy.dev, ino: copy.ino });
    // Between the refusal and the hash the directory moves and a symlink takes its name: the
    // path reaches the same file only through a link (that could as well lead onto the host).
    const [lib, real] = [path.join(bed.upperDir, "usr/lib"), path.join(bed.upperDir, "usr/lib.real")];
    fs.renameSync(lib, real);
    fs.symlinkSync("lib.real", lib);
    native.emit([finding]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(native.trusted, [], "hashed through a symlink");
    fs.unlinkSync(lib);
    fs.renameSync(real, lib);
    native.emit([finding]); // the same finding, the path plain again: trusted
    await until(() => native.trusted.length > 0);
    assert.deepEqual(native.trusted, [statOf(path.join(bed.upperDir, good))]);
  });

  it("judges the container's own tmpfs volumes unless its policy allows them, naming files inside the container", () => {
    const { sensor, native, records } = started(true);
    const volumes = [
      { source: "", dev: bed.tmpfsDev, destination: "/data" },
      { source: bed.hostDir, dev: 0, destination: "/hostvol" }, // the host's filesystem: not told apart
    ];
    sensor.attach("k8s.io/c1", record(), policy(), volumes);
    const [registered] = [...native.containers.values()];
    assert.deepEqual(registered.volumeDevs, [bed.tmpfsDev]);
    native.emit([blockedLibrary({ path: "/plugins/evil.so", volume: true, dev: bed.tmpfsDev })]);
    assert.equal(records[0]?.path, "/data/plugins/evil.so");
    assert.equal(records[0]?.reason, "library");
    sensor.attach("k8s.io/c1", record(), policy({ allowVolumes: globsUnder("/data") }), volumes);
    assert.deepEqual(native.containers.get(registered.cgroupId)?.volumeDevs, []);
  });

  it("does not check the writable layer when the kernel runs no LSM programs", async () => {
    fs.chmodSync(path.join(bed.merged, "usr/lib/libgood.so"), 0o700);
    const { sensor, native } = started(false);
    sensor.attach("k8s.io/c1", record(), policy());
    await sensor.imageSettled("k8s.io/c1", record(), new Map());
    assert.deepEqual(native.trusted, []);
  });

  it("never registers a container attributed to the agent's own cgroup: its verdicts would fall on the agent", () => {
    const lines: { level: number; msg: string; pid?: number }[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(JSON.parse(line) as never) });
    const { sensor, native } = started(false, logger);
    // A wrong attribution: the container's init found as this process (the agent here).
    sensor.attach("k8s.io/c1", { ...record(), pid: process.pid }, policy());
    assert.equal(native.containers.size, 0, "not registered");
    assert.equal(native.watched.size, 0, "its root not watched either");
    sensor.attach("k8s.io/c1", { ...record(), pid: process.pid }, policy({ mode: "audit" })); // a policy refresh
    assert.equal(native.containers.size, 0, "still not registered");
    assert.equal(lines.length, 1, `said once per task: ${JSON.stringify(lines)}`);
    assert.equal(lines[0].pid, process.pid);
    assert.match(lines[0].msg, /agent's own cgroup.*not registered with the eBPF sensor/);
    // Its real init, in a cgroup of its own, is.
    sensor.attach("k8s.io/c1", record(), policy());
    assert.deepEqual([...native.containers.keys()], [fs.statSync(bed.cgroupDir).ino]);
  });

  it("reports libraries instead of blocking them when the policy has exceptions the kernel cannot apply", () => {
    assert.equal(libraryModeFor(policy()), "enforce");
    assert.equal(libraryModeFor(policy({ mode: "audit" })), "audit");
    assert.equal(libraryModeFor(policy({ mode: "disabled" })), "disabled");
    assert.equal(libraryModeFor(policy({ allowPaths: ["/app/plugins/**"] })), "audit");
    assert.equal(libraryModeFor(policy({ allowDigests: ["ab".repeat(32)] })), "audit");
    assert.equal(libraryModeFor(policy({ allowParents: ["/usr/bin/make"] })), "audit");
    assert.equal(libraryModeFor(policy({ allowVolumes: ["/data"] })), "enforce", "volume files are not judged");
  });
});
