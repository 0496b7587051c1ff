#include "bpf/ProgramProbe.hh"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace driftguard {

namespace {

// r0 = 0; exit: valid for every program type probed here.
const struct bpf_insn kReturnZero[] = {
    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
};

struct Attempt {
  const char* name;
  bpf_prog_type type;
  bpf_attach_type attachType;
  const char* btfName;  // the kernel BTF entry to attach to, nullptr for raw_tp
  int btfKind;
};

int btfIdOf(const struct btf* vmlinux, const Attempt& a) {
  if (a.btfName == nullptr) return 0;
  if (vmlinux == nullptr) return -ENOENT;
  return btf__find_by_name_kind(vmlinux, a.btfName, a.btfKind);
}

// Loads and attaches; returns "" on success, else what failed and why.
std::string tryAttempt(const struct btf* vmlinux, const Attempt& a) {
  int btfId = btfIdOf(vmlinux, a);
  if (btfId < 0) return std::string("no BTF entry ") + a.btfName;
  LIBBPF_OPTS(bpf_prog_load_opts, opts);
  opts.expected_attach_type = a.attachType;
  opts.attach_btf_id = static_cast<__u32>(btfId);
  int prog = bpf_prog_load(a.type, "dg_probe", "GPL", kReturnZero, 2, &opts);
  if (prog < 0) return std::string("bpf(BPF_PROG_LOAD): ") + strerror(errno);
  int link = a.type == BPF_PROG_TYPE_RAW_TRACEPOINT ? bpf_raw_tracepoint_open("sched_process_exec", prog)
                                                    : bpf_link_create(prog, 0, a.attachType, nullptr);
  std::string error;
  if (link < 0) {
    error = std::string(a.type == BPF_PROG_TYPE_RAW_TRACEPOINT ? "bpf(BPF_RAW_TRACEPOINT_OPEN): "
                                                               : "bpf(BPF_LINK_CREATE): ") +
            strerror(errno);
  } else {
    close(link);
  }
  close(prog);
  return error;
}

}  // namespace

ProgramTypes probeProgramTypes(std::vector<std::string>* reasons) {
  struct btf* vmlinux = btf__load_vmlinux_btf();
  if (vmlinux == nullptr) reasons->push_back(std::string("kernel BTF: ") + strerror(errno));
  const Attempt attempts[] = {
      {"raw_tp/sched_process_exec", BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_TRACE_RAW_TP, nullptr, 0},
      {"tp_btf/sched_process_exec", BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, "btf_trace_sched_process_exec",
       BTF_KIND_TYPEDEF},
      {"fentry/security_bprm_check", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, "security_bprm_check", BTF_KIND_FUNC},
      {"lsm/bprm_check_security", BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_bprm_check_security", BTF_KIND_FUNC},
  };
  bool ok[4];
  for (size_t i = 0; i < 4; i++) {
    std::string error = tryAttempt(vmlinux, attempts[i]);
    ok[i] = error.empty();
    if (!ok[i]) reasons->push_back(std::string(attempts[i].name) + " refused: " + error);
  }
  btf__free(vmlinux);
  return {ok[0], ok[1], ok[2], ok[3]};
}

std::string activeLsms() {
  std::ifstream in("/sys/kernel/security/lsm");
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace driftguard
