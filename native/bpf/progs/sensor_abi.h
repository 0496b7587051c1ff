/* The contract between the BPF programs (sensor.bpf.c) and the user-space loader
 * (BpfSensor.cc): map keys and values, the ring-buffer event, per-CPU counters.
 * Plain C with fixed-width types so that both clang -target bpf and g++ include it. */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Mode of one container for one hook. Same numbers as driftguard::Mode. */
#define DG_MODE_DISABLED 0
#define DG_MODE_AUDIT 1
#define DG_MODE_ENFORCE 2

#define DG_KIND_FILELESS 1  /* exec of a memfd, a deleted file, an O_TMPFILE file */
#define DG_KIND_LIBRARY 2   /* PROT_EXEC mapping of a writable-layer file that is not an image file */
#define DG_KIND_UNWATCHED 3 /* exec of a file on a filesystem fanotify does not watch (mounted after attach) */

#define DG_SOURCE_TRACEPOINT 1   /* sched_process_exec: after the point of no return, stops by SIGKILL */
#define DG_SOURCE_LSM_EXEC 2     /* lsm/bprm_check_security */
#define DG_SOURCE_LSM_MMAP 3     /* lsm/mmap_file */
#define DG_SOURCE_LSM_MPROTECT 4 /* lsm/file_mprotect */

#define DG_VERDICT_BLOCKED 1 /* refused: the exec or mapping failed with EPERM */
#define DG_VERDICT_AUDITED 2 /* ran, reported */
#define DG_VERDICT_KILLED 3  /* the new program got SIGKILL before its first instruction */

#define DG_FILE_MEMFD 1         /* dentry "memfd:..." (memfd_create) */
#define DG_FILE_UNLINKED 2      /* i_nlink == 0: deleted, memfd or O_TMPFILE */
#define DG_FILE_OVERLAY_UPPER 4 /* overlayfs file with an upper (writable-layer) inode */
#define DG_FILE_NOT_CONTAINER 8 /* reported although no container cgroup matched */
#define DG_FILE_VOLUME 16       /* on a filesystem judged for the container (its tmpfs volume) */
/* The unwatched file is the one the new program starts in (its ELF interpreter), not the
 * file given to execve. */
#define DG_FILE_ENTRY 32

/* containers: key = cgroup v2 id (the cgroup directory's inode number). */
struct dg_container {
  __u8 exec_mode;    /* fileless execs and execs from unwatched filesystems */
  __u8 library_mode; /* PROT_EXEC mappings of writable-layer files (mmap_file) */
  __u8 flags;        /* DG_CONTAINER_* */
  __u8 pad[5];
};

/* Set once the agent has checked the copies already on the container's writable layer
 * (hashed equal to the image, or not programs): from then on a copy of an image file
 * that was never opened for write through an overlay (the written map) is unchanged. */
#define DG_CONTAINER_TRUST_UNWRITTEN_COPIES 1

/* written: overlay inodes (the overlay's dev and inode number, which overlayfs keeps
 * equal to the image file's for a copy) opened for write or truncated through an overlay
 * since the sensor started. Same key type as trusted_files. */

/* trusted_files: writable-layer files the agent allows to be mapped executable: equal to
 * the image file at the same path when the agent hashed them (copied up by chmod, chown,
 * touch before the sensor watched, or refused once). Key: the upper inode, dev in the kernel's
 * encoding (MAJOR << 20 | MINOR). The value pins the inode's ctime: any write or
 * metadata change after the agent hashed it (or inode reuse) makes it unknown again. */
struct dg_file_key {
  __u64 dev;
  __u64 ino;
};
/* watched_devs: filesystems (kernel dev) whose execs fanotify decides: every filesystem the
 * exec guard marked, plus each attached container's own overlay (its files' real files are
 * on a marked filesystem). An exec in a container from any other filesystem is drift. */

/* container_volumes: a filesystem (kernel dev) judged for one container (cgroup id). */
struct dg_volume_key {
  __u64 cgroup_id;
  __u64 dev;
};

struct dg_file_stamp {
  __s64 ctime_sec;
  __u32 ctime_nsec;
  __u32 pad;
};

#define DG_NAME_LEN 64
#define DG_PATH_LEN 256
#define DG_COMM_LEN 16

struct dg_event {
  __u64 boot_ns;   /* bpf_ktime_get_boot_ns() */
  __u64 cgroup_id; /* the matched container's cgroup, else the task's own */
  __u64 dev;       /* kernel encoding; the upper inode's for DG_FILE_OVERLAY_UPPER */
  __u64 ino;
  __u32 tgid;
  __u32 ppid; /* real parent's tgid */
  __u32 uid;
  __u32 nlink;
  __u8 kind;
  __u8 source;
  __u8 verdict;
  __u8 mode;
  __u8 file_flags;
  __u8 pad[3];
  char comm[DG_COMM_LEN];
  char name[DG_NAME_LEN]; /* dentry name: "memfd:x", or the file's base name */
  char path[DG_PATH_LEN]; /* exec: the path given to execve ("/dev/fd/3" for execveat);
                           * library: inside the overlay, or inside the volume */
};

/* Per-CPU counters (stats map, one element). Summed by user space. */
struct dg_counters {
  __u64 execs;         /* sched_process_exec hits */
  __u64 fileless;      /* fileless execs seen, any source, before container filtering */
  __u64 runc_excepted; /* runc's own memfd:runc_cloned re-exec, not reported */
  __u64 lsm_exec_hits; /* bprm_check_security calls */
  __u64 lsm_mmap_hits; /* executable file mappings judged (mmap_file, file_mprotect) */
  __u64 blocked;
  __u64 audited;
  __u64 forced_wakeups; /* submits that woke the reader (ring buffer past the threshold) */
  __u64 ringbuf_full;   /* events lost: ring buffer full */
  __u64 written_marks;  /* overlay inodes added to the written map */
  __u64 written_lost;   /* written map full: no copy is trusted unhashed any more */
  __u64 copies_trusted; /* PROT_EXEC mappings allowed as unwritten copies of image files */
  __u64 unwatched;      /* execs in containers from filesystems fanotify does not watch */
  __u64 killed;         /* programs stopped by SIGKILL before their first instruction */
  __u64 host_mntns;     /* execs in the host's mount namespace (the host's, runc's own), not judged */
  __u64 entry_unknown;  /* the mapping at the first instruction could not be read (lock busy) */
};
