// The BPF LSM test, run as the only program of a QEMU guest booting Debian's stock cloud
// kernel (see ../qemuGuest.ts). Links the real sensor (native/bpf) statically, fills its
// maps like the agent would, and checks from processes in a "container" (an overlay
// mount and a cgroup) that in enforce mode fileless execs fail with EPERM, the loader
// trick and LD_PRELOAD of a dropped library are refused, image libraries and unchanged
// copies still load, execs from a filesystem fanotify does not watch (a tmpfs mounted
// after attach) are refused and an ELF interpreter there kills its exec, and that audit
// mode only reports. Prints one "ok"/"not ok" line per check and "N passed, N failed" last.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bpf/BpfSensor.hh"
#include "guestBench.hh"

using namespace driftguard;

namespace {

int passed = 0, failed = 0;

void check(const std::string& name, bool ok, const std::string& detail = "") {
  (ok ? passed : failed)++;
  printf("%s %s%s%s\n", ok ? "ok" : "not ok", name.c_str(), detail.empty() ? "" : ": ", detail.c_str());
  fflush(stdout);
}

struct Collect : SensorSink {
  std::mutex mutex;
  std::vector<SensorFinding> findings;
  void push(std::vector<SensorFinding>&& batch) override {
    std::lock_guard<std::mutex> lock(mutex);
    for (SensorFinding& f : batch) findings.push_back(std::move(f));
  }
  std::vector<SensorFinding> take() {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // two flush intervals and more
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<SensorFinding> out;
    out.swap(findings);
    return out;
  }
};

struct Run {
  int code = -1;
  std::string output;  // stdout and stderr
};

const char* kCgroup = "/sys/fs/cgroup/ctr";

// Runs argv (with env) in the container cgroup, or in the root cgroup.
Run run(std::vector<std::string> argv, std::vector<std::string> env = {}, bool inContainer = true) {
  int pipeFds[2];
  if (pipe(pipeFds) < 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    if (inContainer) {
      int fd = open((std::string(kCgroup) + "/cgroup.procs").c_str(), O_WRONLY);
      if (fd < 0 || write(fd, "0", 1) != 1) _exit(99);
      close(fd);
    }
    dup2(pipeFds[1], 1);
    dup2(pipeFds[1], 2);
    close(pipeFds[0]);
    std::vector<char*> args, envs;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    for (std::string& e : env) envs.push_back(e.data());
    envs.push_back(nullptr);
    execve(args[0], args.data(), envs.data());
    fprintf(stderr, "execve %s: %s\n", args[0], strerror(errno));
    _exit(errno == EPERM ? 126 : 127);
  }
  close(pipeFds[1]);
  Run r;
  char buf[4096];
  ssize_t n;
  while ((n = read(pipeFds[0], buf, sizeof buf)) > 0) r.output.append(buf, static_cast<size_t>(n));
  close(pipeFds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

bool has(const std::string& s, const char* what) {
  return s.find(what) != std::string::npos;
}

std::string describe(const Run& r) {
  return "exit " + std::to_string(r.code) + ", output: " + r.output;
}

uint64_t devOf(const char* path) {
  struct stat st = {};
  stat(path, &st);
  return st.st_dev;
}

TrustedFile trustedFileOf(const char* upperPath) {
  struct stat st = {};
  stat(upperPath, &st);
  return {st.st_dev, st.st_ino, st.st_ctim.tv_sec, static_cast<uint32_t>(st.st_ctim.tv_nsec)};
}

const SensorFinding* find(const std::vector<SensorFinding>& all, SensorReason reason, const char* name) {
  for (const SensorFinding& f : all) {
    if (f.reason == reason && has(f.name, name)) return &f;
  }
  return nullptr;
}

void enforceChecks(BpfSensor& sensor, Collect& sink) {
  Run memfd = run({"/fileless", "memfd", "evil", "/bin/busybox", "echo", "memfd-ran"});
  check("fileless: memfd_create + execveat fails with EPERM",
        memfd.code == 126 && has(memfd.output, "execveat: Operation not permitted"), describe(memfd));
  Run deleted = run({"/fileless", "deleted", "/merged/tmp/del", "/bin/busybox", "echo", "deleted-ran"});
  check("fileless: exec of a deleted file via /proc/self/fd fails with EPERM",
        deleted.code == 126 && has(deleted.output, "execve: Operation not permitted"), describe(deleted));
  Run runc = run({"/fileless", "memfd", "runc_cloned:/proc/self/exe", "/bin/busybox", "echo", "runc-ran"});
  check("fileless: runc's memfd:runc_cloned re-exec by a host program runs",
        runc.code == 0 && has(runc.output, "runc-ran"), describe(runc));
  Run mimic = run({"/merged/bin/fileless", "memfd", "runc_cloned:/proc/self/exe", "/bin/busybox", "true"});
  check("fileless: a container program naming its memfd like runc's is blocked", mimic.code == 126, describe(mimic));
  Run image = run({"/merged/bin/hello"});
  check("library: an image binary and its libraries run", image.code == 0 && has(image.output, "hello-ran"),
        describe(image));
  Run direct = run({"/merged/tmp/dropped"});
  check("library: a writable-layer binary exec'd directly is left to fanotify (its own mappings pass)",
        direct.code == 0 && has(direct.output, "hello-ran"), describe(direct));
  Run loader = run({"/lib64/ld-linux-x86-64.so.2", "/merged/tmp/dropped"});
  check("library: the loader trick on a dropped binary is refused",
        loader.code != 0 && !has(loader.output, "hello-ran"), describe(loader));
  Run preload = run({"/merged/bin/hello"}, {"LD_PRELOAD=/merged/tmp/evil.so"});
  check("library: LD_PRELOAD of a dropped library is refused, the program runs without it",
        preload.code == 0 && has(preload.output, "hello-ran") && !has(preload.output, "library-loaded:evil"),
        describe(preload));
  Run remap = run({"/merged/bin/mapexec", "/merged/tmp/evil.so"});
  check("library: mprotect(PROT_EXEC) of a dropped file's mapping is refused", remap.code == 126, describe(remap));
  Run remapImage = run({"/merged/bin/mapexec", "/merged/bin/hello"});
  check("library: mprotect(PROT_EXEC) of an image file's mapping is allowed",
        remapImage.code == 0 && has(remapImage.output, "mapped-exec"), describe(remapImage));
  Run good = run({"/merged/bin/hello"}, {"LD_PRELOAD=/merged/lib/good.so"});
  check("library: an unchanged copied-up image library in trusted_files loads", has(good.output, "library-loaded:good"),
        describe(good));
  Run unknownCopy = run({"/merged/bin/hello"}, {"LD_PRELOAD=/merged/lib/good2.so"});
  check("library: a copied-up library the agent has not verified is refused",
        !has(unknownCopy.output, "library-loaded:good2"), describe(unknownCopy));
  Run host = run({"/merged/bin/hello"}, {"LD_PRELOAD=/merged/tmp/evil.so"}, false);
  check("library: a process outside any container is not judged", has(host.output, "library-loaded:evil"),
        describe(host));
  // A write after the agent verified the copy changes its ctime: no longer trusted.
  int fd = open("/merged/lib/good.so", O_WRONLY | O_APPEND);
  bool wrote = fd >= 0 && write(fd, "x", 1) == 1;
  if (fd >= 0) close(fd);
  Run modified = run({"/merged/bin/hello"}, {"LD_PRELOAD=/merged/lib/good.so"});
  check("library: a verified copy modified afterwards is refused",
        wrote && !has(modified.output, "library-loaded:good"), describe(modified));

  std::vector<SensorFinding> findings = sink.take();
  const SensorFinding* f = find(findings, SensorReason::Fileless, "memfd:evil");
  check("finding: refused fileless memfd exec attributed to the container",
        f && f->action == Action::Refused && f->source == SensorSource::LsmExec && f->containerId == "ctr" && f->memfd);
  f = find(findings, SensorReason::Library, "evil.so");
  check("finding: refused library with its path inside the container",
        f && f->action == Action::Refused && f->path == "/tmp/evil.so" && f->containerId == "ctr",
        f ? f->path : "none");
  int runcNamed = 0;
  for (const SensorFinding& named : findings) runcNamed += has(named.name, "memfd:runc_cloned") ? 1 : 0;
  check("finding: only the mimic of runc's clone is reported", runcNamed == 1, std::to_string(runcNamed));
  check("stats: runc clone excepted", sensor.stats().runcExcepted >= 1);
}

// With trustUnwrittenCopies: copies of image files made while the sensor watches need no
// hash unless someone opened them for write or truncated them.
void writeTrackingChecks(BpfSensor& sensor, uint64_t cgroupId) {
  sensor.putContainers({{cgroupId, "ctr", 2, 2, true}});
  uint64_t trustedBefore = sensor.stats().copiesTrusted;
  Run chmodded = run({"/bin/busybox", "chmod", "0755", "/merged/lib/good3.so"});
  Run copy = run({"/merged/bin/hello"}, {"LD_PRELOAD=/merged/lib/good3.so"});
  check("copy: an image library copied up by chmod while watched loads without a hash",
        chmodded.code == 0 && has(copy.output, "library-loaded:good3") && sensor.stats().copiesTrusted > trustedBefore,
        describe(copy));
  Run touched = run({"/bin/busybox", "touch", "/merged/bin/hello"});
  Run loader = run({"/lib64/ld-linux-x86-64.so.2", "/merged/bin/hello"});
  check("copy: the loader trick on an unchanged copied-up image binary runs",
        touched.code == 0 && loader.code == 0 && has(loader.output, "hello-ran"), describe(loader));
  // Appended to by a host process: marks are kept whoever writes.
  int fd = open("/merged/lib/good4.so", O_WRONLY | O_APPEND);
  bool appended = fd >= 0 && write(fd, "x", 1) == 1;
  if (fd >= 0) close(fd);
  Run written = run({"/merged/bin/hello"}, {"LD_PRELOAD=/merged/lib/good4.so"});
  check("copy: an image library opened for write is refused", appended && !has(written.output, "library-loaded:good4"),
        describe(written));
  Run overwrite = run({"/bin/busybox", "cp", "/merged/tmp/evil.so", "/merged/lib/good5.so"});
  Run overwritten = run({"/merged/bin/hello"}, {"LD_PRELOAD=/merged/lib/good5.so"});
  check("copy: a dropped library copied over an image library is refused",
        overwrite.code == 0 && !has(overwritten.output, "library-loaded:"), describe(overwritten));
  struct stat st = {};
  bool truncated = stat("/merged/lib/good6.so", &st) == 0 && truncate("/merged/lib/good6.so", st.st_size + 4096) == 0;
  Run grown = run({"/merged/bin/hello"}, {"LD_PRELOAD=/merged/lib/good6.so"});
  check("copy: a truncated image library is refused", truncated && !has(grown.output, "library-loaded:good6"),
        describe(grown));
  // evil2.so was dropped before the sensor started: never marked, but no copy either.
  Run renamed = run({"/bin/busybox", "mv", "/merged/tmp/evil2.so", "/merged/lib/good7.so"});
  Run moved = run({"/merged/bin/hello"}, {"LD_PRELOAD=/merged/lib/good7.so"});
  check("copy: a file dropped before the sensor and renamed over an image library is refused",
        renamed.code == 0 && !has(moved.output, "library-loaded:"), describe(moved));
  struct stat merged = {};
  stat("/merged", &merged);
  uint64_t forgotten = sensor.forgetWritten(merged.st_dev);
  check("copy: the overlay's write marks are forgotten on request",
        forgotten >= 3 && sensor.forgetWritten(merged.st_dev) == 0, std::to_string(forgotten));
  check("stats: write marks counted", sensor.stats().writtenMarks >= 3 && sensor.stats().writtenLost == 0);
}

// Files on a tmpfs of the container's own (runc's /dev, a memory emptyDir) are never the
// image's: judged when the agent names the filesystem for the container.
void volumeChecks(BpfSensor& sensor, Collect& sink, uint64_t cgroupId) {
  struct stat data = {};
  stat("/merged/data", &data);
  SensorContainer judged{cgroupId, "ctr", 2, 2, true};
  judged.volumeDevs = {data.st_dev};
  sensor.putContainers({judged});
  Run preload = run({"/merged/bin/hello"}, {"LD_PRELOAD=/merged/data/evil.so"});
  check("volume: LD_PRELOAD of a library on the container's tmpfs is refused",
        preload.code == 0 && has(preload.output, "hello-ran") && !has(preload.output, "library-loaded:evil"),
        describe(preload));
  Run loader = run({"/lib64/ld-linux-x86-64.so.2", "/merged/data/dropped"});
  check("volume: the loader trick on a binary on the container's tmpfs is refused",
        loader.code != 0 && !has(loader.output, "hello-ran"), describe(loader));
  Run direct = run({"/merged/data/dropped"});
  check("volume: a binary on the container's tmpfs exec'd directly is left to fanotify",
        direct.code == 0 && has(direct.output, "hello-ran"), describe(direct));
  Run mprotect = run({"/merged/bin/mapexec", "/merged/data/evil.so"});
  check("volume: mprotect(PROT_EXEC) of a file on the container's tmpfs is refused", mprotect.code == 126,
        describe(mprotect));
  Run host = run({"/merged/bin/hello"}, {"LD_PRELOAD=/merged/data/evil.so"}, false);
  check("volume: a process outside any container is not judged", has(host.output, "library-loaded:evil"),
        describe(host));
  std::vector<SensorFinding> findings = sink.take();
  const SensorFinding* f = find(findings, SensorReason::Library, "evil.so");
  check("finding: refused volume library with its path inside the volume",
        f && f->action == Action::Refused && f->volume && f->path == "/evil.so" && f->containerId == "ctr",
        f ? f->path : "none");
  bool mprotectSource = false;
  for (const SensorFinding& each : findings) mprotectSource |= each.source == SensorSource::LsmMprotect;
  check("finding: the mprotect refusal says so", mprotectSource);
  sensor.putContainers({{cgroupId, "ctr", 2, 2, true}});  // the policy allows the volume now
  Run allowed = run({"/merged/bin/hello"}, {"LD_PRELOAD=/merged/data/evil.so"});
  check("volume: a tmpfs the container's policy allows is not judged", has(allowed.output, "library-loaded:evil"),
        describe(allowed));
}

void auditChecks(BpfSensor& sensor, Collect& sink, uint64_t cgroupId) {
  sensor.putContainers({{cgroupId, "ctr", 1, 1}});
  Run memfd = run({"/fileless", "memfd", "evil-audit", "/bin/busybox", "echo", "memfd-ran"});
  check("audit: a fileless exec runs", memfd.code == 0 && has(memfd.output, "memfd-ran"), describe(memfd));
  Run preload = run({"/merged/bin/hello"}, {"LD_PRELOAD=/merged/tmp/evil.so"});
  check("audit: a dropped library loads", has(preload.output, "library-loaded:evil"), describe(preload));
  std::vector<SensorFinding> findings = sink.take();
  const SensorFinding* f = find(findings, SensorReason::Fileless, "memfd:evil-audit");
  check("audit: fileless finding audited", f && f->action == Action::Audited && f->mode == 1);
  f = find(findings, SensorReason::Library, "evil.so");
  check("audit: library finding audited", f && f->action == Action::Audited && f->mode == 1);
  Run unwatched = run({"/scratch/hello"});
  check("audit: an exec from an unwatched filesystem runs", has(unwatched.output, "hello-ran"), describe(unwatched));
  std::vector<SensorFinding> later = sink.take();
  f = find(later, SensorReason::UnwatchedFilesystem, "hello");
  check("audit: unwatched finding audited", f && f->action == Action::Audited && f->mode == 1);
}

// A filesystem mounted after the agent attached (here /scratch, a tmpfs nobody watches):
// fanotify never sees its execs, so the sensor judges them. /merged/bin/hello is
// dynamically linked: with a tmpfs over /lib64 in a private mount namespace its ELF
// interpreter comes from an unwatched filesystem too.
void unwatchedChecks(Collect& sink) {
  Run direct = run({"/scratch/hello"});
  check("unwatched: an exec from a filesystem mounted after attach fails with EPERM",
        direct.code == 126 && !has(direct.output, "hello-ran"), describe(direct));
  Run interpreter = run({"/bin/busybox", "unshare", "-m", "/bin/busybox", "sh", "-c",
                         "mount -t tmpfs t /lib64 && cp /scratch/ld.so /lib64/ld-linux-x86-64.so.2 && "
                         "exec /merged/bin/hello"});
  check("unwatched: an image program whose ELF interpreter is on an unwatched filesystem does not run",
        interpreter.code != 0 && !has(interpreter.output, "hello-ran"), describe(interpreter));
  Run image = run({"/merged/bin/hello"});
  check("unwatched: image programs on watched filesystems still run", has(image.output, "hello-ran"), describe(image));
  Run host = run({"/scratch/hello"}, {}, false);
  check("unwatched: a process outside any container is not judged", has(host.output, "hello-ran"), describe(host));
  std::vector<SensorFinding> findings = sink.take();
  const SensorFinding* f = find(findings, SensorReason::UnwatchedFilesystem, "hello");
  check("finding: refused unwatched exec attributed to the container",
        f && f->action == Action::Refused && f->source == SensorSource::LsmExec && f->containerId == "ctr" &&
            !f->entry && f->path == "/scratch/hello",
        f ? f->path : "none");
  f = find(findings, SensorReason::UnwatchedFilesystem, "ld-linux");
  check("finding: the interpreter's mapping killed the exec", f && f->action == Action::Killed && f->entry,
        f ? f->name : "none");
}

}  // namespace

int main() {
  measureHooks();  // warm-up: page cache, dentries, the copy-up of /merged/tmp/bench
  HookCosts before = measureHooks();
  before.exec = execNs(kCgroup, kExecRounds);
  Collect sink;
  SensorOptions options;
  options.flushIntervalMs = 50;
  BpfSensor sensor(options, sink);
  const Coverage& coverage = sensor.start();
  for (const std::string& reason : coverage.reasons) printf("# reason: %s\n", reason.c_str());
  check("coverage: LSM programs attached and running", coverage.lsm);
  check("coverage: program types lsm and fentry load", coverage.programTypes.lsm && coverage.programTypes.fentry);
  if (coverage.lsm) {
    struct stat cg = {};
    stat(kCgroup, &cg);
    sensor.putContainers({{cg.st_ino, "ctr", 2, 2}});
    // What the agent's fanotify guard would mark, and the container's own overlay.
    sensor.watchFilesystems({devOf("/"), devOf("/layers"), devOf("/merged"), devOf("/merged/data")});
    sensor.putTrustedFiles({trustedFileOf("/layers/upper/lib/good.so")});
    setBpfStats(true);
    HookCosts after = measureHooks();
    // All the sensor's programs together, per exec: what one exec costs in BPF.
    uint64_t bpfNsBefore = 0, bpfNsAfter = 0;
    for (const ProgramRunTime& p : sensor.programRunTimes()) bpfNsBefore += p.runTimeNs;
    after.exec = execNs(kCgroup, kExecRounds);
    for (const ProgramRunTime& p : sensor.programRunTimes()) bpfNsAfter += p.runTimeNs;
    setBpfStats(false);
    printHookCosts(before, after);
    printProgramCosts(sensor);
    double perExec = static_cast<double>(bpfNsAfter - bpfNsBefore) / kExecRounds;
    printf("# bench programs per exec: %.0f ns of %.0f ns (%.2f%% of the exec)\n", perExec, after.exec,
           100 * perExec / after.exec);
    enforceChecks(sensor, sink);
    unwatchedChecks(sink);
    writeTrackingChecks(sensor, cg.st_ino);
    sink.take();
    volumeChecks(sensor, sink, cg.st_ino);
    auditChecks(sensor, sink, cg.st_ino);
  }
  sensor.stop();
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
