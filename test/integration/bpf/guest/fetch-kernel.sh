#!/usr/bin/env bash
# Puts one of Debian 12's stock cloud kernels (the package META depends on: 6.1 for
# linux-image-cloud-amd64, the default; 6.12 for linux-image-6.12-cloud-amd64) in OUTDIR
# for the QEMU test of the BPF LSM path: vmlinuz and overlay.ko, extracted from the .deb
# with dpkg-deb. Nothing is installed: the host's kernel and boot config stay as they
# are. Idempotent; prints the kernel release.
set -euo pipefail
out="${1:?usage: fetch-kernel.sh OUTDIR [META]}"
meta="${2:-linux-image-cloud-amd64}"
package="$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')"
if [ -z "$package" ]; then
  apt-get update -qq
  package="$(apt-cache depends "$meta" | awk '/Depends: linux-image-/ {print $2; exit}')"
fi
release="${package#linux-image-}"
if [ -f "$out/$release/vmlinuz" ] && [ -f "$out/$release/overlay.ko" ]; then
  echo "$release"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -qq "$package" 2>/dev/null)
dpkg-deb --fsys-tarfile "$work"/*.deb |
  tar -x -C "$work" --wildcards "./boot/vmlinuz-*" "./lib/modules/*/kernel/fs/overlayfs/overlay.ko*"
mkdir -p "$out/$release"
cp "$work/boot/vmlinuz-$release" "$out/$release/vmlinuz"
overlay="$(find "$work/lib/modules" -name 'overlay.ko*' | head -1)"
case "$overlay" in
  *.xz) xz -dc "$overlay" >"$out/$release/overlay.ko" ;;
  *.zst) zstd -dqc "$overlay" >"$out/$release/overlay.ko" ;;
  *) cp "$overlay" "$out/$release/overlay.ko" ;;
esac
echo "$release"
