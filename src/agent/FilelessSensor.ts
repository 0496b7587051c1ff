// The eBPF sensor as the agent uses it: what fanotify cannot see (fileless execs; where
// the kernel runs BPF LSM programs also the loader trick and dropped libraries). Started
// once; containers are registered by cgroup id as they attach. Its findings go through the
// same pipeline as the exec guard's verdicts.
import type { Logger } from "../log/logger";
import { nativeBinding, type NativePolicy, type VerdictRecord } from "../native/binding";
import type { BpfCoverage, NativeBpfSensor, SensorFinding } from "../native/bpfBinding";
import type { ContainerRecord } from "../runtime/types";
import { cgroupIdOfProcess } from "./cgroupId";

export class FilelessSensor {
  private sensor?: NativeBpfSensor;
  private readonly cgroupIds = new Map<string, number>(); // container key → cgroup id

  constructor(
    private readonly logger: Logger,
    private readonly onRecord: (record: VerdictRecord) => void,
  ) {}

  /** Loads what the kernel accepts; never fails the agent (fanotify is the core). */
  start(): BpfCoverage | undefined {
    try {
      const { BpfSensor } = nativeBinding();
      this.sensor = new BpfSensor({}, (batch) => batch.forEach((f) => this.onRecord(verdictRecordOf(f))));
      const coverage = this.sensor.start();
      this.logger.info(
        { built: coverage.built, tracepoint: coverage.tracepoint, lsm: coverage.lsm, reasons: coverage.reasons },
        coverage.lsm
          ? "eBPF sensor: fileless execs and drifted libraries are blocked in enforce"
          : coverage.tracepoint
            ? "eBPF sensor: fileless execs are detected (audit only: this kernel refuses BPF LSM programs)"
            : "eBPF sensor: no coverage of fileless execs on this node",
      );
      return coverage;
    } catch (error) {
      this.logger.warn({ err: error }, "eBPF sensor unavailable; fileless execs are not covered");
      this.sensor = undefined;
      return undefined;
    }
  }

  attach(key: string, record: ContainerRecord, policy: NativePolicy): void {
    if (!this.sensor) return;
    const cgroupId = this.cgroupIds.get(key) ?? cgroupIdOfProcess(record.pid);
    if (cgroupId === undefined) {
      this.logger.warn(
        { container: record.id },
        "no cgroup v2 id for the container: the eBPF sensor cannot attribute it",
      );
      return;
    }
    this.cgroupIds.set(key, cgroupId);
    this.sensor.putContainers([
      {
        cgroupId,
        containerId: key,
        execMode: policy.mode,
        // Blocking libraries needs the agent to feed the copy-ups it verified (trusted
        // files); until it does, a copied-up library would be refused: report only.
        libraryMode: policy.mode === "disabled" ? "disabled" : "audit",
      },
    ]);
  }

  detach(key: string): void {
    const cgroupId = this.cgroupIds.get(key);
    if (cgroupId === undefined) return;
    this.cgroupIds.delete(key);
    this.sensor?.removeContainers([cgroupId]);
  }

  close(): void {
    this.sensor?.flushFindings();
    this.sensor?.close();
    this.sensor = undefined;
  }
}

function verdictRecordOf(f: SensorFinding): VerdictRecord {
  return {
    timeMs: f.timeMs,
    pid: f.pid,
    ppid: f.ppid,
    uid: f.uid,
    containerId: f.containerId,
    path: f.path,
    hostPath: f.name,
    reason: f.reason,
    verdict: f.verdict,
    mode: f.mode,
    sha256: "",
    copyOf: "",
    policy: "",
    exe: f.exe,
    cmdline: f.cmdline,
    parentExe: f.parentExe,
  };
}
