/* driftguard's eBPF sensor: what fanotify cannot see.
 *   tp_btf (or raw_tp)/sched_process_exec
 *                              fileless execs and execs from filesystems fanotify does not
 *                              watch (mounted in the container after attach), after the point
 *                              of no return: in enforce the new program gets SIGKILL before
 *                              its first instruction. tp_btf also judges the file the program
 *                              starts in (its ELF interpreter).
 *   lsm/bprm_check_security    the same, before the exec commits: refused with EPERM
 *   lsm/mmap_file, lsm/file_mprotect
 *                              executable mappings of writable-layer files the agent does
 *                              not trust, and of files on the container's own tmpfs
 *                              volumes: the loader trick, LD_PRELOAD, dlopen; the kernel's own
 *                              mapping of an ELF interpreter on an unwatched filesystem
 *   lsm/file_open, lsm/path_truncate
 *                              remember overlay files opened for write or truncated, so
 *                              that a copy never written (chmod/chown/touch of an image
 *                              file) is known unchanged without a hash
 * User space attaches the LSM programs where the kernel runs them, else the tracepoint.
 * Decisions use maps filled from the agent's container tables (sensor_abi.h); findings go
 * to a ring buffer whose reader is woken only past a threshold. A decision never depends on
 * the ring buffer: a full one loses the report, never the refusal or the kill. */
/* vmlinux.h first: it defines the kernel types the libbpf headers use. */
/* clang-format off */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
/* clang-format on */

#include "exec_judge.bpf.h"
#include "mapping_judge.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("lsm/file_open")
int BPF_PROG(dg_file_open, struct file *file, int ret) {
  if (ret) return ret;
  if (BPF_CORE_READ(file, f_mode) & DG_FMODE_WRITE) mark_written(BPF_CORE_READ(file, f_inode));
  return 0;
}

/* truncate(2) by path. (An O_RDONLY|O_TRUNC open can only empty a file: nothing to map.) */
SEC("lsm/path_truncate")
int BPF_PROG(dg_path_truncate, const struct path *path, int ret) {
  if (ret) return ret;
  mark_written(BPF_CORE_READ(path, dentry, d_inode));
  return 0;
}

/* The file mapped at the new program's first instruction (its ELF interpreter, or the
 * program itself when static): found by address, so a mount over the interpreter's path
 * in a private mount namespace cannot hide it. */
struct entry_mapping {
  struct file *file;
};

static long entry_vma(struct task_struct *task, struct vm_area_struct *vma, struct entry_mapping *entry) {
  entry->file = vma->vm_file;
  return 0;
}

/* After the exec committed: current->mm is the new program's, whose caller was the parent
 * for runc's clone (runc create/exec starting runc init). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(dg_exec_btf, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm) {
  struct dg_counters *cnt = counters();
  if (!cnt) return 0;
  cnt->execs++;
  if (host_exec(task, cnt)) return 0;
  struct entry_mapping entry = {};
  struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
  if (bpf_find_vma(task, regs->ip, entry_vma, &entry, 0) != 0) cnt->entry_unknown++;
  judge_exec(bprm, entry.file, DG_SOURCE_TRACEPOINT, BPF_CORE_READ(task, real_parent, mm, exe_file), cnt);
  return 0;
}

/* Kernels without BTF-typed tracepoints (or bpf_find_vma): the exec'd file only. */
SEC("raw_tp/sched_process_exec")
int dg_exec_tracepoint(struct bpf_raw_tracepoint_args *ctx) {
  struct dg_counters *cnt = counters();
  if (!cnt) return 0;
  cnt->execs++;
  struct linux_binprm *bprm = (void *)ctx->args[2];
  struct task_struct *task = (void *)bpf_get_current_task();
  if (host_exec(task, cnt)) return 0;
  judge_exec(bprm, NULL, DG_SOURCE_TRACEPOINT, BPF_CORE_READ(task, real_parent, mm, exe_file), cnt);
  return 0;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(dg_bprm_check, struct linux_binprm *bprm, int ret) {
  if (ret) return ret;
  struct dg_counters *cnt = counters();
  if (!cnt) return 0;
  cnt->lsm_exec_hits++;
  /* Before the point of no return: current->mm is still the caller's. */
  struct task_struct *task = (void *)bpf_get_current_task();
  if (host_exec(task, cnt)) return 0;
  int verdict = judge_exec(bprm, NULL, DG_SOURCE_LSM_EXEC, BPF_CORE_READ(task, mm, exe_file), cnt);
  return verdict == DG_VERDICT_BLOCKED ? -DG_EPERM : 0;
}

SEC("lsm/mmap_file")
int BPF_PROG(dg_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot, unsigned long flags, int ret) {
  if (ret) return ret;
  if (!file || !(prot & DG_PROT_EXEC)) return 0;
  return judge_mapping(file, BPF_CORE_READ(file, f_path.dentry), DG_SOURCE_LSM_MMAP);
}

/* A file mapped readable, then made executable: the same judgement as at mmap, on the
 * file the user mapped. (The exec'd binary's own segments are mapped through overlayfs's
 * real file, so a writable-layer binary with text relocations is judged here too.) */
SEC("lsm/file_mprotect")
int BPF_PROG(dg_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot, int ret) {
  if (ret) return ret;
  if (!(prot & DG_PROT_EXEC)) return 0;
  struct file *file = BPF_CORE_READ(vma, vm_file);
  if (!file) return 0; /* anonymous memory: no file to judge */
  return judge_mapping(file, user_dentry_of_mapping(file), DG_SOURCE_LSM_MPROTECT);
}
