// BpfSensor's loading and attaching: which programs go into the object (LSM where the
// probe says they load, the BTF-typed exec tracepoint where the kernel has it), the order
// they attach in, and the self-test that the LSM programs really run. [JS thread]
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bpf/BpfSensorLoaded.hh"
#include "bpf/LibbpfLog.hh"
#include "bpf/ProgramProbe.hh"

namespace driftguard {

// [JS thread] Loads the object with the LSM programs if the probe says they load, and
// the BTF-typed exec tracepoint (it also judges the new program's interpreter) if the
// kernel has it, else the raw one; each left out in turn if loading fails.
void BpfSensor::load() {
  bool withLsm = options_.tryLsm && coverage_.programTypes.lsm;
  bool withBtf = coverage_.programTypes.tracingRawTp;
  if (!options_.tryLsm) coverage_.reasons.push_back("LSM programs not tried (tryLsm: false)");
  for (;;) {
    struct dg_sensor* skel = dg_sensor__open();
    if (skel == nullptr) {
      coverage_.reasons.push_back(withLibbpf(std::string("bpf_object__open(sensor): ") + strerror(errno)));
      return;
    }
    skel->rodata->wakeup_bytes = options_.wakeupBytes;
    skel->rodata->report_unknown = options_.reportUnknownCgroups;
    skel->rodata->host_mntns = options_.hostMountNamespace;
    bpf_program__set_autoload(skel->progs.dg_exec_btf, withBtf);
    bpf_program__set_autoload(skel->progs.dg_exec_tracepoint, !withBtf);
    bpf_map__set_max_entries(skel->maps.events, options_.ringBytes);
    bpf_program__set_autoload(skel->progs.dg_bprm_check, withLsm);
    bpf_program__set_autoload(skel->progs.dg_mmap_file, withLsm);
    bpf_program__set_autoload(skel->progs.dg_file_mprotect, withLsm);
    bpf_program__set_autoload(skel->progs.dg_file_open, withLsm);
    bpf_program__set_autoload(skel->progs.dg_path_truncate, withLsm);
    // The written marks and the judged volumes: only the LSM programs use them.
    bpf_map__set_autocreate(skel->maps.written, withLsm);
    bpf_map__set_autocreate(skel->maps.volume_devs, withLsm);
    bpf_map__set_autocreate(skel->maps.container_volumes, withLsm);
    int err = dg_sensor__load(skel);
    if (err == 0) {
      loaded_ = std::make_unique<Loaded>();
      loaded_->skel = skel;
      loaded_->btfTracepoint = withBtf;
      SensorMaps::Fds fds;
      fds.watchedDevs = bpf_map__fd(skel->maps.watched_devs);
      fds.containers = bpf_map__fd(skel->maps.containers);
      fds.trustedFiles = bpf_map__fd(skel->maps.trusted_files);
      fds.stats = bpf_map__fd(skel->maps.stats);
      if (withLsm) {
        fds.written = bpf_map__fd(skel->maps.written);
        fds.volumeDevs = bpf_map__fd(skel->maps.volume_devs);
        fds.containerVolumes = bpf_map__fd(skel->maps.container_volumes);
      }
      loaded_->maps = std::make_unique<SensorMaps>(fds);
      return;
    }
    dg_sensor__destroy(skel);
    coverage_.reasons.push_back(withLibbpf(std::string("loading the sensor") + (withLsm ? " with LSM programs" : "") +
                                           (withBtf ? " with tp_btf" : "") + ": " + strerror(-err)));
    if (withBtf) {
      withBtf = false;  // bpf_find_vma or bpf_task_pt_regs missing: the raw tracepoint instead
    } else if (withLsm) {
      withLsm = false;
      withBtf = coverage_.programTypes.tracingRawTp;
    } else {
      return;
    }
  }
}

// [JS thread]
void BpfSensor::attachTracepoint() {
  struct dg_sensor* skel = loaded_->skel;
  if (loaded_->btfTracepoint) {
    skel->links.dg_exec_btf = bpf_program__attach_trace(skel->progs.dg_exec_btf);
    coverage_.tracepoint = skel->links.dg_exec_btf != nullptr;
  } else {
    skel->links.dg_exec_tracepoint =
        bpf_program__attach_raw_tracepoint(skel->progs.dg_exec_tracepoint, "sched_process_exec");
    coverage_.tracepoint = skel->links.dg_exec_tracepoint != nullptr;
  }
  if (!coverage_.tracepoint) {
    coverage_.reasons.push_back(withLibbpf(std::string("attaching ") + (loaded_->btfTracepoint ? "tp_btf" : "raw_tp") +
                                           "/sched_process_exec: " + strerror(errno)));
  }
}

// [JS thread]
bool BpfSensor::attachLsm() {
  struct dg_sensor* skel = loaded_->skel;
  // Write tracking first: a copy must not look unwritten for a write made while the
  // mmap_file program already ran.
  struct {
    struct bpf_program* program;
    struct bpf_link** link;
  } order[] = {{skel->progs.dg_file_open, &skel->links.dg_file_open},
               {skel->progs.dg_path_truncate, &skel->links.dg_path_truncate},
               {skel->progs.dg_bprm_check, &skel->links.dg_bprm_check},
               {skel->progs.dg_mmap_file, &skel->links.dg_mmap_file},
               {skel->progs.dg_file_mprotect, &skel->links.dg_file_mprotect}};
  bool attached = true;
  for (auto& step : order) {
    if (attached) *step.link = bpf_program__attach_lsm(step.program);
    attached = attached && *step.link != nullptr;
  }
  if (!attached) {
    coverage_.reasons.push_back(withLibbpf(std::string("attaching the LSM programs: ") + strerror(errno)));
  } else if (!lsmRuns()) {
    // The programs attach to the bpf_lsm_* stubs whatever the boot parameters; they only
    // run when "bpf" is among the active LSMs.
    std::string lsms = activeLsms();
    coverage_.reasons.push_back("LSM programs attached but never called: the bpf LSM is not active (active: " +
                                (lsms.empty() ? std::string("unknown, securityfs not mounted") : lsms) +
                                "; boot with lsm=...,bpf)");
    attached = false;
  }
  if (!attached) {
    for (auto& step : order) {
      bpf_link__destroy(*step.link);
      *step.link = nullptr;
    }
  }
  return attached;
}

// [JS thread] Maps the agent's own executable PROT_EXEC: mmap_file must count it.
bool BpfSensor::lsmRuns() const {
  SensorStats before;
  loaded_->maps->addCounters(&before);
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  void* mapping = mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  if (mapping != MAP_FAILED) munmap(mapping, 4096);
  close(fd);
  SensorStats after;
  loaded_->maps->addCounters(&after);
  return after.lsmMmapHits > before.lsmMmapHits;
}

}  // namespace driftguard
