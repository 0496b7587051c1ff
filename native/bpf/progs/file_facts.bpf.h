/* What the sensor's programs need to know about a file and a task, read with CO-RE so
 * that one object runs on every kernel from 6.1 (Debian 12 cloud) to 6.18. Helpers only;
 * the programs are in sensor.bpf.c. */
#pragma once

/* vmlinux.h first: it defines the kernel types the libbpf headers use. */
/* clang-format off */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
/* clang-format on */

#include "sensor_abi.h"

#define DG_OVERLAYFS_MAGIC 0x794c7630
#define DG_PATH_DEPTH 8
#define DG_PROT_EXEC 0x4

/* overlayfs keeps its inode in struct ovl_inode (in the overlay module's BTF when it is
 * a module, as on Debian). Only the two fields used here; libbpf finds the offsets. */
struct ovl_inode___dg {
  struct inode vfs_inode;
  struct dentry *__upperdentry;
} __attribute__((preserve_access_index));

/* struct inode's ctime moved twice: i_ctime (≤ 6.5), __i_ctime (6.6–6.10), then
 * i_ctime_sec / i_ctime_nsec (6.11+, the vmlinux.h this builds against). */
struct inode___ctime_old {
  struct timespec64 i_ctime;
} __attribute__((preserve_access_index));
struct inode___ctime_66 {
  struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

static __always_inline void inode_ctime(struct inode *inode, struct dg_file_stamp *out) {
  if (bpf_core_field_exists(inode->i_ctime_sec)) {
    out->ctime_sec = BPF_CORE_READ(inode, i_ctime_sec);
    out->ctime_nsec = BPF_CORE_READ(inode, i_ctime_nsec);
  } else if (bpf_core_field_exists(((struct inode___ctime_66 *)inode)->__i_ctime)) {
    struct inode___ctime_66 *i = (void *)inode;
    out->ctime_sec = BPF_CORE_READ(i, __i_ctime.tv_sec);
    out->ctime_nsec = BPF_CORE_READ(i, __i_ctime.tv_nsec);
  } else {
    struct inode___ctime_old *i = (void *)inode;
    out->ctime_sec = BPF_CORE_READ(i, i_ctime.tv_sec);
    out->ctime_nsec = BPF_CORE_READ(i, i_ctime.tv_nsec);
  }
}

/* A file overlayfs opened on its real file for a mapping (6.6+): the user's path beside it. */
struct backing_file___dg {
  struct file file;
  struct path user_path;
} __attribute__((preserve_access_index));

static __always_inline bool has_prefix(const char *s, const char *prefix, int n) {
  for (int i = 0; i < n; i++) {
    if (s[i] != prefix[i]) return false;
  }
  return true;
}

/* The upper (writable-layer) dentry of an overlayfs inode, NULL for a lower-only file
 * or when the kernel has no overlayfs BTF (then nothing is a writable-layer file). */
static __always_inline struct dentry *overlay_upper(struct inode *inode) {
  if (!bpf_core_type_exists(struct ovl_inode___dg)) return NULL;
  if (BPF_CORE_READ(inode, i_sb, s_magic) != DG_OVERLAYFS_MAGIC) return NULL;
  struct ovl_inode___dg *oi = (void *)((char *)inode - bpf_core_field_offset(struct ovl_inode___dg, vfs_inode));
  return BPF_CORE_READ(oi, __upperdentry);
}

/* The dentry a mapping shows the user. overlayfs puts its real file in vma->vm_file,
 * opened with a fake path to the overlay (before 6.6) or as a backing file that carries
 * the overlay's path (6.6+). Whether a file is a backing file is a bit of f_mode that
 * moved between kernels, so the user path is read unconditionally (a probe read: past the
 * end of an ordinary file it reads junk, never faults) and believed only when it is an
 * overlay dentry whose writable-layer inode is this very file's. */
static __always_inline struct dentry *user_dentry_of_mapping(struct file *file) {
  struct dentry *own = BPF_CORE_READ(file, f_path.dentry);
  if (!bpf_core_type_exists(struct backing_file___dg)) return own;
  struct inode *real = BPF_CORE_READ(file, f_inode);
  if (BPF_CORE_READ(real, i_sb, s_magic) == DG_OVERLAYFS_MAGIC) return own;
  struct backing_file___dg *backing = (void *)file;
  struct dentry *user = BPF_CORE_READ(backing, user_path.dentry);
  struct dentry *upper = overlay_upper(BPF_CORE_READ(user, d_inode));
  return upper && BPF_CORE_READ(upper, d_inode) == real ? user : own;
}

/* A program of the host rather than of a container: not on an overlay, not unlinked.
 * Used to tell runc's own memfd re-exec from a container process naming its memfd alike. */
static __always_inline bool is_host_program(struct file *exe) {
  if (!exe) return false;
  struct inode *inode = BPF_CORE_READ(exe, f_inode);
  return BPF_CORE_READ(inode, i_sb, s_magic) != DG_OVERLAYFS_MAGIC && BPF_CORE_READ(inode, i_nlink) != 0;
}

/* The cgroup of the current task or its nearest ancestor that is a container in the
 * containers map. Walks from the root down: containers sit a few levels deep and a
 * process may have made sub-cgroups below its container's. Only called for files that
 * already look like drift, so the walk is off the common path. */
#define DG_MAX_CGROUP_LEVEL 16
static __always_inline struct dg_container *container_of_current(void *containers, __u64 *cgroup_id) {
  for (int level = 0; level < DG_MAX_CGROUP_LEVEL; level++) {
    __u64 id = bpf_get_current_ancestor_cgroup_id(level);
    if (id == 0) break;
    struct dg_container *c = bpf_map_lookup_elem(containers, &id);
    if (c) {
      *cgroup_id = id;
      return c;
    }
  }
  *cgroup_id = bpf_get_current_cgroup_id();
  return NULL;
}

/* The path of a dentry inside its mount (for an overlay file: the path inside the
 * container), at most DG_PATH_DEPTH components, each cut at DG_NAME_LEN bytes, the
 * last one starting before byte DG_PATH_LEN / 2. */
static __always_inline void dentry_path(struct dentry *d, char *buf) {
  struct dentry *chain[DG_PATH_DEPTH] = {};
  int n = 0;
  for (int i = 0; i < DG_PATH_DEPTH; i++) {
    struct dentry *parent = BPF_CORE_READ(d, d_parent);
    if (!parent || parent == d) break;
    chain[i] = d;
    n = i + 1;
    d = parent;
  }
  __u32 off = 0;
  for (int i = DG_PATH_DEPTH - 1; i >= 0; i--) {
    if (i >= n || off >= DG_PATH_LEN / 2) continue; /* keeps the masked offset in bounds */
    buf[off & (DG_PATH_LEN - 1)] = '/';
    off++;
    const unsigned char *name = BPF_CORE_READ(chain[i], d_name.name);
    long len = bpf_probe_read_kernel_str(buf + (off & (DG_PATH_LEN / 2 - 1)), DG_NAME_LEN, name);
    if (len > 1) off += len - 1;
  }
}
