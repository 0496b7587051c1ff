/* The judgement of executable file mappings (lsm/mmap_file, lsm/file_mprotect) and the
 * write tracking it relies on to tell unchanged copies of image files from drift.
 * Included once, by sensor.bpf.c, after exec_judge.bpf.h. */
#pragma once

/* vmlinux.h first: it defines the kernel types the libbpf headers use. */
/* clang-format off */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
/* clang-format on */

#include "exec_judge.bpf.h"
#include "file_facts.bpf.h"
#include "maps.bpf.h"
#include "sensor_abi.h"

#define DG_EPERM 1
#define DG_FMODE_WRITE 0x2

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

/* An ELF interpreter on a filesystem fanotify does not watch (a tmpfs mounted over its
 * path in a private mount namespace): its exec was never judged. Refusing the mapping
 * fails the exec past its point of no return, so the program dies before it runs. The
 * program's own file (already the new mm's exe_file) was judged by bprm_check_security. */
static __always_inline int judge_exec_mapping(struct task_struct *task, struct file *file, struct dentry *dentry,
                                              __u64 dev, __u8 source, struct dg_counters *cnt) {
  if (watched(dev) || file == BPF_CORE_READ(task, mm, exe_file) || in_host_mount_namespace(task)) return 0;
  __u64 cgroup_id;
  struct dg_container *c = container_of_current(&containers, &cgroup_id);
  if (!c || c->exec_mode == DG_MODE_DISABLED) return 0;
  cnt->unwatched++;
  bool stop = c->exec_mode == DG_MODE_ENFORCE;
  *(stop ? &cnt->blocked : &cnt->audited) += 1;
  if (stop) cnt->killed++;
  struct dg_event *e = reserve(cnt);
  if (e) {
    struct inode *inode = BPF_CORE_READ(dentry, d_inode);
    e->cgroup_id = cgroup_id;
    e->dev = dev;
    e->ino = BPF_CORE_READ(inode, i_ino);
    e->nlink = BPF_CORE_READ(inode, i_nlink);
    e->kind = DG_KIND_UNWATCHED;
    e->source = source;
    e->mode = c->exec_mode;
    e->verdict = stop ? DG_VERDICT_KILLED : DG_VERDICT_AUDITED;
    e->file_flags = DG_FILE_ENTRY | (e->nlink == 0 ? DG_FILE_UNLINKED : 0);
    bpf_probe_read_kernel_str(e->name, sizeof(e->name), BPF_CORE_READ(dentry, d_name.name));
    dentry_path(dentry, e->path);
    submit(e, cnt);
  }
  return stop ? -DG_EPERM : 0;
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
  __u64 dev = BPF_CORE_READ(inode, i_sb, s_dev);
  /* The kernel mapping the program being exec'd and its interpreter (only the exec'ing
   * thread has in_execve set): both were opened for exec, which fanotify decides where it
   * watches their filesystem. */
  struct task_struct *task = (void *)bpf_get_current_task();
  if (BPF_CORE_READ_BITFIELD_PROBED(task, in_execve)) return judge_exec_mapping(task, file, dentry, dev, source, cnt);
  struct dentry *upper = overlay_upper(inode);
  /* The common case ends here: an image-layer or host file, on no judged volume. */
  if (!upper && !bpf_map_lookup_elem(&volume_devs, &dev)) return 0;
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
