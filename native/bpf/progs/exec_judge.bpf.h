/* The exec judgement shared by the exec tracepoints and bprm_check_security: fileless
 * files and files on filesystems fanotify does not watch, in a known container, by its
 * exec mode (sensor_abi.h). Included once, by sensor.bpf.c. */
#pragma once

/* vmlinux.h first: it defines the kernel types the libbpf headers use. */
/* clang-format off */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
/* clang-format on */

#include "file_facts.bpf.h"
#include "maps.bpf.h"
#include "sensor_abi.h"

#define DG_SIGKILL 9

static __always_inline bool watched(__u64 dev) {
  return bpf_map_lookup_elem(&watched_devs, &dev) != NULL;
}

/* Processes in the host's mount namespace are the host's, runc's own included (runc init
 * is in the container's cgroup before it joins the container's mount namespace): never
 * judged. A container process cannot enter the host's mount namespace without host
 * privileges. Checked first: it makes every host exec cost one pointer chase. */
static __always_inline bool in_host_mount_namespace(struct task_struct *task) {
  return host_mntns != 0 && BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum) == host_mntns;
}

static __always_inline bool host_exec(struct task_struct *task, struct dg_counters *cnt) {
  if (!in_host_mount_namespace(task)) return false;
  cnt->host_mntns++;
  return true;
}

/* runc (<= 1.1) re-executes itself from a sealed memfd named "runc_cloned:/proc/self/exe"
 * (CVE-2019-5736). Excepted only when the program doing it is a host program: a container
 * process naming its memfd alike is still reported. */
static __always_inline bool is_runc_clone(struct file *file, struct file *caller_exe) {
  char name[18] = {};
  bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(file, f_path.dentry, d_name.name));
  return has_prefix(name, "memfd:runc_cloned", 17) && is_host_program(caller_exe);
}

/* What an exec judgement does in the container's mode: the LSM refuses before the exec
 * commits, the tracepoint can only stop the new program (SIGKILL), audit reports. */
static __always_inline __u8 exec_verdict(__u8 mode, __u8 source) {
  if (mode != DG_MODE_ENFORCE) return DG_VERDICT_AUDITED;
  return source == DG_SOURCE_TRACEPOINT ? DG_VERDICT_KILLED : DG_VERDICT_BLOCKED;
}

/* Reports an exec judgement, best effort: the file's identity and name, the path given to
 * execve. */
static __always_inline void report_exec(struct linux_binprm *bprm, struct file *file, __u8 kind, __u8 file_flags,
                                        __u8 source, __u8 mode, __u8 verdict, __u64 cgroup_id,
                                        struct dg_counters *cnt) {
  struct dg_event *e = reserve(cnt);
  if (!e) return;
  struct inode *inode = BPF_CORE_READ(file, f_inode);
  e->cgroup_id = cgroup_id;
  e->dev = BPF_CORE_READ(inode, i_sb, s_dev);
  e->ino = BPF_CORE_READ(inode, i_ino);
  e->nlink = BPF_CORE_READ(inode, i_nlink);
  e->kind = kind;
  e->source = source;
  e->mode = mode;
  e->verdict = verdict;
  e->file_flags = file_flags | (e->nlink == 0 ? DG_FILE_UNLINKED : 0);
  bpf_probe_read_kernel_str(e->name, sizeof(e->name), BPF_CORE_READ(file, f_path.dentry, d_name.name));
  if (has_prefix(e->name, "memfd:", 6)) e->file_flags |= DG_FILE_MEMFD;
  bpf_probe_read_kernel_str(e->path, sizeof(e->path), BPF_CORE_READ(bprm, filename));
  submit(e, cnt);
}

/* Judges one exec in a container: a file without a link (memfd, deleted, O_TMPFILE), or
 * one on a filesystem whose execs fanotify does not see (bprm's own file, or entry_file:
 * the file mapped where the new program starts, i.e. its ELF interpreter; NULL where the
 * caller cannot tell). Shared by the tracepoints and bprm_check_security, which skip the
 * host's mount namespace first (host_exec). Returns the verdict, 0 when the exec is not
 * drift here. The verdict never waits for the report. */
static __always_inline int judge_exec(struct linux_binprm *bprm, struct file *entry_file, __u8 source,
                                      struct file *caller_exe, struct dg_counters *cnt) {
  struct file *file = BPF_CORE_READ(bprm, file);
  struct inode *inode = BPF_CORE_READ(file, f_inode);
  if (!inode) return 0;
  __u8 kind, file_flags = 0;
  if (BPF_CORE_READ(inode, i_nlink) == 0) {
    kind = DG_KIND_FILELESS;
    cnt->fileless++;
    if (is_runc_clone(file, caller_exe)) {
      cnt->runc_excepted++;
      return 0;
    }
  } else if (!watched(BPF_CORE_READ(inode, i_sb, s_dev))) {
    kind = DG_KIND_UNWATCHED;
  } else if (entry_file && !watched(BPF_CORE_READ(entry_file, f_inode, i_sb, s_dev))) {
    kind = DG_KIND_UNWATCHED;
    file_flags = DG_FILE_ENTRY;
    file = entry_file;
  } else {
    return 0; /* the common case */
  }
  __u64 cgroup_id;
  struct dg_container *c = container_of_current(&containers, &cgroup_id);
  /* Unknown tasks' execs from unwatched filesystems are the host's own: never reported. */
  if (!c && (kind != DG_KIND_FILELESS || !report_unknown)) return 0;
  if (c && c->exec_mode == DG_MODE_DISABLED) return 0;
  if (!c) file_flags |= DG_FILE_NOT_CONTAINER;
  if (kind == DG_KIND_UNWATCHED) cnt->unwatched++;
  __u8 mode = c ? c->exec_mode : DG_MODE_AUDIT;
  __u8 verdict = exec_verdict(mode, source);
  if (verdict == DG_VERDICT_KILLED) {
    bpf_send_signal(DG_SIGKILL); /* the whole new process; it has not run an instruction yet */
    cnt->killed++;
  }
  *(verdict == DG_VERDICT_AUDITED ? &cnt->audited : &cnt->blocked) += 1;
  report_exec(bprm, file, kind, file_flags, source, mode, verdict, cgroup_id, cnt);
  return verdict;
}
