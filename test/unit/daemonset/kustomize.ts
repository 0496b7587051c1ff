// Renders daemonset/ as `kubectl apply -k` would (`kubectl kustomize`, kustomize v5), from a
// temporary copy that holds what a user adds before installing: the Secrets' files made by
// `driftguard certs` and a tokens file (never committed; daemonset/secrets/.gitignore).
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";

import { CLI } from "../../testbed/AgentProcess";

export const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
export const DAEMONSET = path.join(ROOT, "daemonset");
/** Every overlay a user may install. */
export const OVERLAYS = ["audit", "enforce", "postgres"] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** What every rendered object has; the rest is checked against the API schemas. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** `kubectl kustomize DIR`, parsed. Throws with kubectl's message when it fails. */
export function kustomize(dir: string): K8sObject[] {
  const run = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (run.error) throw new Error(`kubectl kustomize: ${run.error.message} (kubectl with kustomize v5 is needed)`);
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${run.stderr}`);
  return parseAllDocuments(run.stdout).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`kubectl kustomize ${dir}: ${doc.errors[0].message}`);
    return doc.toJS() as K8sObject;
  });
}

/** The collector's names in its certificate, as daemonset/README.md has `driftguard certs` make it. */
export const SERVER_NAMES = "driftguard-collector,driftguard-collector.driftguard.svc,localhost";

/** The tokens file of a first install: one reviewer, as daemonset/README.md shows. */
export const TOKENS = "triager alice 0123456789abcdef0123456789abcdef\n";

/** A copy of daemonset/ with the Secrets' files in place. */
export class DaemonsetCopy {
  private constructor(readonly dir: string) {}

  /** With secrets false, the copy is as a clone is: daemonset/secrets holds no files yet. */
  static create({ secrets = true } = {}): DaemonsetCopy {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-daemonset-"));
    const dir = path.join(tmp, "daemonset");
    const secretsDir = path.join(DAEMONSET, "secrets");
    fs.cpSync(DAEMONSET, dir, {
      recursive: true,
      filter: (src) => path.dirname(src) !== secretsDir || !isSecretFile(src),
    });
    if (!secrets) return new DaemonsetCopy(dir);
    // The commands daemonset/README.md gives for a first install.
    execFileSync(process.execPath, [CLI, "certs", "--out", path.join(dir, "secrets"), "--server-names", SERVER_NAMES], {
      stdio: "pipe",
    });
    fs.writeFileSync(path.join(dir, "secrets", "tokens"), TOKENS);
    return new DaemonsetCopy(dir);
  }

  render(overlay: string): K8sObject[] {
    return kustomize(path.join(this.dir, "overlays", overlay));
  }

  /** A directory beside the copy's daemonset/, rendered. */
  renderSibling(relative: string): K8sObject[] {
    return kustomize(path.join(path.dirname(this.dir), relative));
  }

  /** A file beside the copy's daemonset/ (e.g. "my-cluster/kustomization.yaml"), as in a user's repository. */
  write(relative: string, text: string): string {
    const file = path.join(path.dirname(this.dir), relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  }

  remove(): void {
    fs.rmSync(path.dirname(this.dir), { recursive: true, force: true });
  }
}

/** Files a developer may have made in daemonset/secrets for a real cluster: not copied. */
function isSecretFile(file: string): boolean {
  return ![".gitignore", "kustomization.yaml"].includes(path.basename(file));
}

let shared: DaemonsetCopy | undefined;
const renders = new Map<string, K8sObject[]>();

/** One copy with Secrets' files per test run (certificates take a moment to make). */
export function sharedCopy(): DaemonsetCopy {
  if (!shared) {
    const copy = (shared = DaemonsetCopy.create());
    process.once("exit", () => copy.remove());
  }
  return shared;
}

/** An overlay of the shared copy, rendered once per test run. */
export function rendered(overlay: Overlay): K8sObject[] {
  let objects = renders.get(overlay);
  if (!objects) renders.set(overlay, (objects = sharedCopy().render(overlay)));
  return objects;
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return found;
}
