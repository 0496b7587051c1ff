/* driftguard's eBPF sensor: what fanotify cannot see.
 *   raw_tp/sched_process_exec  fileless execs, after the fact (audit only)
 *   lsm/bprm_check_security    fileless execs, before they run (blocks in enforce)
 *   lsm/mmap_file, lsm/file_mprotect
 *                              executable mappings of writable-layer files the agent does
 *                              not trust, and of files on the container's own tmpfs
 *                              volumes: the loader trick, LD_PRELOAD, dlopen
 *   lsm/file_open, lsm/path_truncate
 *                              remember overlay files opened for write or truncated, so
 *                              that a copy never written (chmod/chown/touch of an image
 *                              file) is known unchanged without a hash
 * User space attaches the LSM programs where the kernel runs them, else the tracepoint.
 * Decisions use two maps filled from the agent's container tables (sensor_abi.h);
 * findings go to a ring buffer whose reader is woken only past a threshold. */
/* vmlinux.h first: it defines the kernel types the libbpf headers use. */
/* clang-format off */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
/* clang-format on */

#include "file_facts.bpf.h"
#include "maps.bpf.h"
#include "sensor_abi.h"

char LICENSE[] SEC("license") = "GPL";

#define DG_EPERM 1
#define DG_FMODE_WRITE 0x2

/* Fills the facts of a fileless file (unlinked: memfd, deleted, O_TMPFILE), with its
 * dentry name ("memfd:<name>" for memfd_create) in e->name. */
static __always_inline void fill_fileless(struct file *file, struct inode *inode, struct dg_event *e) {
  e->nlink = 0;
  e->dev = BPF_CORE_READ(inode, i_sb, s_dev);
  e->ino = BPF_CORE_READ(inode, i_ino);
  e->file_flags = DG_FILE_UNLINKED;
  bpf_probe_read_kernel_str(e->name, sizeof(e->name), BPF_CORE_READ(file, f_path.dentry, d_name.name));
  if (has_prefix(e->name, "memfd:", 6)) e->file_flags |= DG_FILE_MEMFD;
}

/* runc (≤ 1.1) re-executes itself from a sealed memfd named "runc_cloned:/proc/self/exe"
 * (CVE-2019-5736). Excepted only when the program doing it is a host program: a container
 * process naming its memfd alike is still reported. */
static __always_inline bool is_runc_clone(const struct dg_event *e, struct file *caller_exe) {
  return (e->file_flags & DG_FILE_MEMFD) && has_prefix(e->name, "memfd:runc_cloned", 17) && is_host_program(caller_exe);
}

/* Shared by the tracepoint and bprm_check_security. Returns the verdict, 0 to let the
 * exec go unreported. */
static __always_inline int fileless_exec(struct linux_binprm *bprm, __u8 source, struct file *caller_exe,
                                         struct dg_counters *cnt) {
  struct file *file = BPF_CORE_READ(bprm, file);
  struct inode *inode = BPF_CORE_READ(file, f_inode);
  if (!inode || BPF_CORE_READ(inode, i_nlink) != 0) return 0; /* the common case */
  struct dg_event *e = reserve(cnt);
  if (!e) return 0;
  fill_fileless(file, inode, e);
  cnt->fileless++;
  if (is_runc_clone(e, caller_exe)) {
    cnt->runc_excepted++;
    bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
    return 0;
  }
  struct dg_container *c = container_of_current(&containers, &e->cgroup_id);
  if ((!c && !report_unknown) || (c && c->exec_mode == DG_MODE_DISABLED)) {
    bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
    return 0;
  }
  if (!c) e->file_flags |= DG_FILE_NOT_CONTAINER;
  e->kind = DG_KIND_FILELESS;
  e->source = source;
  e->mode = c ? c->exec_mode : DG_MODE_AUDIT;
  /* The tracepoint runs after the exec: it can only report. */
  bool block = source != DG_SOURCE_TRACEPOINT && e->mode == DG_MODE_ENFORCE;
  e->verdict = block ? DG_VERDICT_BLOCKED : DG_VERDICT_AUDITED;
  bpf_probe_read_kernel_str(e->path, sizeof(e->path), BPF_CORE_READ(bprm, filename));
  *(block ? &cnt->blocked : &cnt->audited) += 1;
  int verdict = e->verdict;
  submit(e, cnt);
  return verdict;
}

/* A copy of an image file that no one opened for write or truncated through an overlay
 * since the sensor started: a chmod, chown or touch copied it up, its content is the
 * image's. overlayfs gives a copy the inode number of the image file it came from (a
 * new file keeps its own), which tells the two apart. */
static __always_inline bool unwritten_copy(struct inode *inode, struct inode *real) {
  if (written_lost) return false;
  __u64 ino = BPF_CORE_READ(inode, i_ino);
  if (ino == BPF_CORE_READ(real, i_ino)) return false; /* a file created on the writable layer */
  struct dg_file_key key = {.dev = BPF_CORE_READ(inode, i_sb, s_dev), .ino = ino};
  return bpf_map_lookup_elem(&written, &key) == NULL;
}

/* Content reaches an overlay file only through a file opened for write (write, mmap,
 * fallocate, copy_file_range, io_uring all need one) or a truncate: both are marked
 * before the copy-up they cause, on the overlay inode, whatever process does it. */
static __always_inline void mark_written(struct inode *inode) {
  if (!inode || BPF_CORE_READ(inode, i_sb, s_magic) != DG_OVERLAYFS_MAGIC) return;
  struct dg_file_key key = {.dev = BPF_CORE_READ(inode, i_sb, s_dev), .ino = BPF_CORE_READ(inode, i_ino)};
  if (bpf_map_lookup_elem(&written, &key)) return; /* written again: a lookup only */
  struct dg_counters *cnt = counters();
  __u8 one = 1;
  if (bpf_map_update_elem(&written, &key, &one, BPF_NOEXIST) == 0) {
    if (cnt) cnt->written_marks++;
  } else if (!bpf_map_lookup_elem(&written, &key)) {
    written_lost = true;
    if (cnt) cnt->written_lost++;
  }
}

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

SEC("raw_tp/sched_process_exec")
int dg_exec_tracepoint(struct bpf_raw_tracepoint_args *ctx) {
  struct dg_counters *cnt = counters();
  if (!cnt) return 0;
  cnt->execs++;
  struct linux_binprm *bprm = (void *)ctx->args[2];
  /* The exec is done: current->mm is the new program's. The caller was the parent for
   * runc's clone (runc create/exec starting runc init). */
  struct task_struct *task = (void *)bpf_get_current_task();
  fileless_exec(bprm, DG_SOURCE_TRACEPOINT, BPF_CORE_READ(task, real_parent, mm, exe_file), cnt);
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
  int verdict = fileless_exec(bprm, DG_SOURCE_LSM_EXEC, BPF_CORE_READ(task, mm, exe_file), cnt);
  return verdict == DG_VERDICT_BLOCKED ? -DG_EPERM : 0;
}

/* Judges an executable mapping of a file (mmap with PROT_EXEC, or mprotect adding it):
 * drift when the file is on the container's writable layer and is neither a copy the
 * agent trusts nor an unwritten copy of an image file, or when it is on a filesystem
 * the agent judges for this container (its own tmpfs volumes, e.g. /dev). */
static __always_inline int judge_mapping(struct file *file, struct dentry *dentry, __u8 source) {
  struct dg_counters *cnt = counters();
  if (!cnt) return 0;
  cnt->lsm_mmap_hits++;
  struct inode *inode = BPF_CORE_READ(dentry, d_inode);
  struct dentry *upper = overlay_upper(inode);
  __u64 dev = BPF_CORE_READ(inode, i_sb, s_dev);
  /* The common case ends here: an image-layer or host file, on no judged volume. */
  if (!upper && !bpf_map_lookup_elem(&volume_devs, &dev)) return 0;
  /* The kernel mapping the program being exec'd and its interpreter: both were opened
   * for exec, which fanotify decides. Only the exec'ing thread has in_execve set. */
  struct task_struct *task = (void *)bpf_get_current_task();
  if (BPF_CORE_READ_BITFIELD_PROBED(task, in_execve)) return 0;
  __u64 cgroup_id;
  struct dg_container *c = container_of_current(&containers, &cgroup_id);
  if (!c || c->library_mode == DG_MODE_DISABLED) return 0;
  struct dg_file_key key = {.dev = dev, .ino = BPF_CORE_READ(inode, i_ino)};
  __u8 file_flags;
  if (upper) {
    struct inode *real = BPF_CORE_READ(upper, d_inode);
    key.dev = BPF_CORE_READ(real, i_sb, s_dev);
    key.ino = BPF_CORE_READ(real, i_ino);
    struct dg_file_stamp *known = bpf_map_lookup_elem(&trusted_files, &key);
    if (known) {
      struct dg_file_stamp now = {};
      inode_ctime(real, &now);
      if (now.ctime_sec == known->ctime_sec && now.ctime_nsec == known->ctime_nsec) return 0;
    }
    if ((c->flags & DG_CONTAINER_TRUST_UNWRITTEN_COPIES) && unwritten_copy(inode, real)) {
      cnt->copies_trusted++;
      return 0;
    }
    file_flags = DG_FILE_OVERLAY_UPPER;
  } else {
    /* Another container's volume (or one this container's policy allows): not judged. */
    struct dg_volume_key volume = {.cgroup_id = cgroup_id, .dev = dev};
    if (!bpf_map_lookup_elem(&container_volumes, &volume)) return 0;
    file_flags = DG_FILE_VOLUME;
  }
  bool block = c->library_mode == DG_MODE_ENFORCE;
  *(block ? &cnt->blocked : &cnt->audited) += 1;
  struct dg_event *e = reserve(cnt);
  if (e) {
    e->cgroup_id = cgroup_id;
    e->dev = key.dev;
    e->ino = key.ino;
    e->nlink = BPF_CORE_READ(inode, i_nlink);
    e->kind = DG_KIND_LIBRARY;
    e->source = source;
    e->mode = c->library_mode;
    e->verdict = block ? DG_VERDICT_BLOCKED : DG_VERDICT_AUDITED;
    e->file_flags = file_flags | (e->nlink == 0 ? DG_FILE_UNLINKED : 0);
    bpf_probe_read_kernel_str(e->name, sizeof(e->name), BPF_CORE_READ(dentry, d_name.name));
    dentry_path(dentry, e->path);
    submit(e, cnt);
  }
  return block ? -DG_EPERM : 0;
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
