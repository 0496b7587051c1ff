import * as assert from "node:assert/strict";
import * as fs from "node:fs";

import { deviceNumber, mountContaining, parseMountinfo } from "../../../src/agent/mountinfo";

const SAMPLE = [
  "70 47 0:39 / / rw,relatime - overlay overlay rw,lowerdir=/a:/b,upperdir=/c,workdir=/d",
  "72 70 0:43 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755",
  "74 72 0:45 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k",
  "80 70 254:0 /var/lib/kubelet/pods/u/volumes/x /data rw,relatime shared:1 - ext4 /dev/vda rw",
  "81 70 0:50 / /with\\040space rw - tmpfs tmpfs rw",
  "garbage line",
  "",
].join("\n");

describe("mountinfo", () => {
  it("parses fields, optional fields and octal escapes", () => {
    const entries = parseMountinfo(SAMPLE);
    assert.equal(entries.length, 5);
    assert.deepEqual(
      entries.map((e) => [e.mountPoint, e.fsType, e.device, e.root]),
      [
        ["/", "overlay", "0:39", "/"],
        ["/dev", "tmpfs", "0:43", "/"],
        ["/dev/shm", "tmpfs", "0:45", "/"],
        ["/data", "ext4", "254:0", "/var/lib/kubelet/pods/u/volumes/x"],
        ["/with space", "tmpfs", "0:50", "/"],
      ],
    );
    assert.ok(entries[2].options.includes("noexec"));
  });

  it("finds the deepest mount containing a path, not a sibling with the same prefix", () => {
    const entries = parseMountinfo(SAMPLE);
    assert.equal(mountContaining(entries, "/dev/shm/x")?.mountPoint, "/dev/shm");
    assert.equal(mountContaining(entries, "/devices/x")?.mountPoint, "/");
    assert.equal(mountContaining(entries, "/data")?.mountPoint, "/data");
  });

  it("encodes devices as fs.stat reports them", () => {
    const mine = parseMountinfo(fs.readFileSync("/proc/self/mountinfo", "utf8"));
    const root = mountContaining(mine, "/proc/self")!;
    assert.equal(deviceNumber(root.device), fs.statSync("/proc/self/").dev);
    const rootfs = mountContaining(mine, "/etc")!;
    assert.equal(deviceNumber(rootfs.device), fs.statSync("/etc").dev);
    assert.equal(deviceNumber("259:65537"), 259 * 256 + 1 + 256 * 2 ** 20);
  });
});
