#!/bin/busybox sh
# /init of the QEMU guest (see ../qemuGuest.ts): mounts what the sensor needs, builds a
# "container" (an overlay whose lower is /image, a cgroup), runs /lsmguest, powers off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t securityfs securityfs /sys/kernel/security
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo "# kernel $(uname -r), lsm $(cat /sys/kernel/security/lsm)"
# The layers on a tmpfs: overlayfs wants xattrs on the upper dir, which rootfs lacks.
mount -t tmpfs layers /layers
cp -a /image /layers/lower
mkdir -p /layers/upper /layers/work
insmod /overlay.ko
mount -t overlay overlay -o lowerdir=/layers/lower,upperdir=/layers/upper,workdir=/layers/work /merged
# Drift on the writable layer: a dropped library and binary; two image libraries copied
# up unchanged by touch (only good.so is then verified by the "agent").
cp /opt/evil.so /merged/tmp/evil.so
cp /opt/evil.so /merged/tmp/evil2.so
cp /merged/bin/hello /merged/tmp/dropped
touch /merged/lib/good.so /merged/lib/good2.so
# The container's own tmpfs (as runc's /dev, or a memory emptyDir), with drift on it.
mount -t tmpfs data /merged/data
cp /opt/evil.so /merged/data/evil.so
cp /merged/bin/hello /merged/data/dropped
# A filesystem mounted after the agent attached: nobody watches it.
mkdir -p /scratch
mount -t tmpfs scratch /scratch
cp /merged/bin/hello /scratch/hello
cp /lib64/ld-linux-x86-64.so.2 /scratch/ld.so
mkdir /sys/fs/cgroup/ctr
/lsmguest
echo "# lsmguest exit $?"
poweroff -f
