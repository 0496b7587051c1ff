#!/usr/bin/env bash
# Builds the eBPF sensor for the addon (called by binding.gyp):
#   build-bpf.sh detect       prints 1 if clang, bpftool, libbpf-dev and a kernel BTF are
#                             here, else 0 (the addon is then built without the sensor)
#   build-bpf.sh build OUTDIR vmlinux.h from the BTF, sensor.bpf.o (CO-RE), and the libbpf
#                             skeleton sensor.skel.h that embeds the object in the addon
# The BTF is the running kernel's unless DRIFTGUARD_VMLINUX_BTF names another file: CO-RE
# only needs the type definitions, the loader relocates against the target kernel.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
btf="${DRIFTGUARD_VMLINUX_BTF:-/sys/kernel/btf/vmlinux}"
clang="${DRIFTGUARD_CLANG:-clang}"

missing() {
  command -v "$clang" >/dev/null || echo "clang"
  command -v bpftool >/dev/null || echo "bpftool"
  [ -f /usr/include/bpf/bpf_helpers.h ] || echo "libbpf-dev"
  [ -r "$btf" ] || echo "kernel BTF ($btf)"
}

case "${1:-}" in
  detect)
    if [ "${DRIFTGUARD_NO_BPF:-}" = 1 ] || [ -n "$(missing)" ]; then echo 0; else echo 1; fi
    ;;
  build)
    out="${2:?usage: build-bpf.sh build OUTDIR}"
    if [ -n "$(missing)" ]; then
      echo "build-bpf.sh: missing $(missing | tr '\n' ' ')" >&2
      exit 1
    fi
    mkdir -p "$out"
    bpftool btf dump file "$btf" format c >"$out/vmlinux.h.tmp"
    mv "$out/vmlinux.h.tmp" "$out/vmlinux.h"
    "$clang" -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -I"$out" -I"$here/progs" \
      -c "$here/progs/sensor.bpf.c" -o "$out/sensor.bpf.o"
    bpftool gen skeleton "$out/sensor.bpf.o" name dg_sensor >"$out/sensor.skel.h.tmp"
    mv "$out/sensor.skel.h.tmp" "$out/sensor.skel.h"
    ;;
  *)
    echo "usage: build-bpf.sh detect | build OUTDIR" >&2
    exit 2
    ;;
esac
