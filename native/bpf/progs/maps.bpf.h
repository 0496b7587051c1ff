/* The sensor's state shared with user space (sensor_abi.h describes the values): load-time
 * settings, the maps the agent fills and reads, the ring buffer of findings with its
 * reserve/submit, and the per-CPU counters. Included once, by sensor.bpf.c. */
#pragma once

/* vmlinux.h first: it defines the kernel types the libbpf headers use. */
/* clang-format off */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
/* clang-format on */

#include "sensor_abi.h"

/* Set by user space before load. */
const volatile __u32 wakeup_bytes = 64 * 1024; /* wake the reader once this much is queued */
const volatile bool report_unknown = false;    /* also report fileless tasks in no known container */
const volatile __u64 host_mntns = 0;           /* inode of the host's mount namespace, 0 if unknown */

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, __u64); /* cgroup v2 id */
  __type(value, struct dg_container);
} containers SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 262144);
  __type(key, struct dg_file_key);
  __type(value, struct dg_file_stamp);
} trusted_files SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 262144);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct dg_file_key); /* the overlay inode: overlay dev, overlay i_ino */
  __type(value, __u8);
} written SEC(".maps");

/* Filesystems whose execs fanotify decides (sensor_abi.h). A set: user space counts users. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);
  __type(key, __u64); /* kernel dev */
  __type(value, __u8);
} watched_devs SEC(".maps");

/* Filesystems whose files the agent judges when some container maps them executable (the
 * containers' own tmpfs volumes: /dev, memory emptyDirs). A set: user space counts users. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);
  __type(key, __u64); /* kernel dev */
  __type(value, __u8);
} volume_devs SEC(".maps");

/* ... and for which container: only its own, and only those its policy does not allow. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);
  __type(key, struct dg_volume_key);
  __type(value, __u8);
} container_volumes SEC(".maps");

/* Set when an overlay inode could not be added to written (map full): from then on no
 * copy is trusted without the agent's hash, the fail-safe direction. */
bool written_lost = false;

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1024 * 1024); /* resized by user space */
} events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct dg_counters);
} stats SEC(".maps");

static __always_inline struct dg_counters *counters(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&stats, &zero);
}

/* Submits without waking the reader unless this event takes the queued bytes past the
 * threshold: the reader drains on its own timer, so a wake-up (an irq_work and a
 * context switch, ~20 µs) is paid once per batch, never once per exec. */
static __always_inline void submit(struct dg_event *e, struct dg_counters *cnt) {
  __u64 queued = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
  __u64 size = sizeof(*e) + 8; /* record header */
  if (queued >= wakeup_bytes && queued < wakeup_bytes + size) {
    cnt->forced_wakeups++;
    bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
  } else {
    bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
  }
}

static __always_inline struct dg_event *reserve(struct dg_counters *cnt) {
  struct dg_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) {
    cnt->ringbuf_full++;
    return NULL;
  }
  __builtin_memset(e, 0, sizeof(*e));
  struct task_struct *task = (void *)bpf_get_current_task();
  e->boot_ns = bpf_ktime_get_boot_ns();
  e->tgid = bpf_get_current_pid_tgid() >> 32;
  e->ppid = BPF_CORE_READ(task, real_parent, tgid);
  e->uid = (__u32)bpf_get_current_uid_gid();
  bpf_get_current_comm(e->comm, sizeof(e->comm));
  return e;
}
