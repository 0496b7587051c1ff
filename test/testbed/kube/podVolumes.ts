// A pod's volumes laid out as the kubelet lays them out under its pods dir:
//   <pods>/<uid>/volumes/kubernetes.io~empty-dir/<name>    a directory (medium Memory: a tmpfs)
//   <pods>/<uid>/volumes/kubernetes.io~configmap/<name>    a directory written atomically
//                                                          (..data swap, KubeletConfigMap)
//   <pods>/<uid>/volumes/kubernetes.io~secret/<name>       a tmpfs, written the same way
//   <pods>/<uid>/volumes/kubernetes.io~projected/<name>    a tmpfs, written the same way: the
//                                                          pod's ServiceAccount tokens
//                                                          (VolumeSources.serviceAccountToken;
//                                                          not renewed: tests last minutes)
//   <pods>/<uid>/volumes/kubernetes.io~local-volume/<name> a PersistentVolumeClaim (local PV)
//   hostPath                                               the node's directory (KubeNode.hostPath)
// plus /etc/hosts (<pods>/<uid>/etc-hosts) and /dev/termination-log per container, as the
// kubelet mounts them. fsGroup gives the volumes to the group as the kubelet does.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { KubeletConfigMap } from "../kubeletConfigMap";
import type { Pod, Volume } from "./podTypes";

/** What the kubelet asks the API server for a projected serviceAccountToken (a TokenRequest). */
export interface TokenRequest {
  audience: string;
  expirationSeconds: number;
  namespace: string;
  pod: string;
  podUid: string;
  serviceAccount: string;
}

export interface VolumeSources {
  configMaps: Map<string, Record<string, string>>;
  secrets: Map<string, Record<string, string>>;
  /** The node's directory for a hostPath volume. */
  hostPath(nodePath: string): string;
  /** Lines added to the pod's /etc/hosts (the stand-in for cluster DNS: Service names). */
  hosts: string[];
  /** A signed token for the pod's ServiceAccount (the cluster's issuer). */
  serviceAccountToken(request: TokenRequest): string;
}

export interface PodVolume {
  kind: string;
  hostPath: string;
  /** The atomic writer of a configMap or secret volume (updates swap ..data). */
  writer?: KubeletConfigMap;
}

export class PodVolumes {
  readonly volumes = new Map<string, PodVolume>();
  private readonly tmpfs: string[] = [];

  constructor(readonly podDir: string) {}

  get etcHosts(): string {
    return path.join(this.podDir, "etc-hosts");
  }

  setUp(pod: Pod, uid: string, sources: VolumeSources): void {
    fs.mkdirSync(path.join(this.podDir, "volumes"), { recursive: true });
    fs.writeFileSync(this.etcHosts, `${fs.readFileSync("/etc/hosts", "utf8")}\n${sources.hosts.join("\n")}\n`);
    const fsGroup = pod.spec.securityContext?.fsGroup;
    for (const volume of pod.spec.volumes ?? []) {
      const found = this.setUpOne(volume, sources, pod, uid);
      if (fsGroup !== undefined && found.kind !== "hostPath") giveToGroup(found.hostPath, fsGroup);
      this.volumes.set(volume.name, found);
    }
  }

  private setUpOne(volume: Volume, sources: VolumeSources, pod: Pod, uid: string): PodVolume {
    const dir = (plugin: string): string => path.join(this.podDir, "volumes", `kubernetes.io~${plugin}`, volume.name);
    if (volume.emptyDir) {
      const hostPath = this.directory(dir("empty-dir"), volume.emptyDir.medium === "Memory");
      fs.chmodSync(hostPath, 0o777);
      return { kind: "emptyDir", hostPath };
    }
    if (volume.configMap) {
      const data = sources.configMaps.get(volume.configMap.name);
      if (!data) throw new Error(`pod volume ${volume.name}: no ConfigMap ${volume.configMap.name}`);
      const writer = new KubeletConfigMap(this.directory(dir("configmap"), false), volume.configMap.defaultMode);
      writer.update(data);
      return { kind: "configMap", hostPath: writer.dir, writer };
    }
    if (volume.secret) {
      const data = sources.secrets.get(volume.secret.secretName);
      if (!data) throw new Error(`pod volume ${volume.name}: no Secret ${volume.secret.secretName}`);
      const writer = new KubeletConfigMap(this.directory(dir("secret"), true), volume.secret.defaultMode ?? 0o644);
      writer.update(data);
      return { kind: "secret", hostPath: writer.dir, writer };
    }
    if (volume.projected) {
      const writer = new KubeletConfigMap(
        this.directory(dir("projected"), true),
        volume.projected.defaultMode ?? 0o644,
      );
      const files: Record<string, string> = {};
      for (const source of volume.projected.sources) {
        const token = source.serviceAccountToken;
        if (!token) throw new Error(`pod volume ${volume.name}: a projected source the kube node does not make`);
        files[token.path] = sources.serviceAccountToken({
          audience: token.audience ?? "https://kubernetes.default.svc", // the API server's own
          expirationSeconds: token.expirationSeconds ?? 3600,
          namespace: pod.metadata.namespace,
          pod: pod.metadata.name,
          podUid: uid,
          serviceAccount: pod.spec.serviceAccountName ?? "default",
        });
      }
      writer.update(files);
      return { kind: "projected", hostPath: writer.dir, writer };
    }
    if (volume.persistentVolumeClaim)
      return { kind: "persistentVolumeClaim", hostPath: this.directory(dir("local-volume"), false) };
    if (volume.hostPath) {
      const hostPath = sources.hostPath(volume.hostPath.path);
      if (volume.hostPath.type === "DirectoryOrCreate") fs.mkdirSync(hostPath, { recursive: true, mode: 0o755 });
      if (!fs.existsSync(hostPath)) throw new Error(`pod volume ${volume.name}: hostPath ${hostPath} does not exist`);
      return { kind: "hostPath", hostPath };
    }
    throw new Error(`pod volume ${volume.name}: a kind the kube node does not make`);
  }

  private directory(dir: string, tmpfs: boolean): string {
    fs.mkdirSync(dir, { recursive: true });
    if (tmpfs) {
      execFileSync("mount", ["-t", "tmpfs", "-o", "mode=0755,size=64m", "tmpfs", dir]);
      this.tmpfs.push(dir);
    }
    return dir;
  }

  /** A fresh /dev/termination-log file for a container (the kubelet makes one per start). */
  terminationLog(container: string, attempt: number): string {
    const file = path.join(this.podDir, "containers", container, `termination-${attempt}`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "", { mode: 0o666 });
    return file;
  }

  /** Unmounts the pod's tmpfs volumes and removes its dir. */
  tearDown(): void {
    for (const dir of this.tmpfs.splice(0).reverse()) execFileSync("umount", ["-l", dir]);
    fs.rmSync(this.podDir, { recursive: true, force: true });
  }
}

/** The kubelet's SetVolumeOwnership: group fsGroup, group-writable, setgid directories. */
function giveToGroup(dir: string, gid: number): void {
  execFileSync("chown", ["-R", `:${gid}`, dir]);
  execFileSync("chmod", ["-R", "g+rwX", dir]);
  execFileSync("find", [dir, "-type", "d", "-exec", "chmod", "g+s", "{}", "+"]);
}
