// A ConfigMap volume updated the way kubelet's AtomicWriter does it: the files live in a
// hidden timestamped dir, ..data links to it, each visible name links into ..data; an
// update writes a new timestamped dir, renames a new ..data_tmp link over ..data (one
// atomic step), adds or removes the visible links, and deletes the old dir.
import * as fs from "node:fs";
import * as path from "node:path";

let generation = 0;

export class KubeletConfigMap {
  /** mode: the volume's defaultMode for every file (the kubelet's default is 0644). */
  constructor(
    readonly dir: string,
    private readonly mode = 0o644,
  ) {
    fs.mkdirSync(dir, { recursive: true });
  }

  /** Publishes files (name → content) as the volume's new content. */
  update(files: Record<string, string>): void {
    const stamp = new Date().toISOString().replace(/[-:T]/g, "_").replace("Z", "");
    const tsDir = `..${stamp}${String(++generation).padStart(9, "0")}`;
    fs.mkdirSync(path.join(this.dir, tsDir));
    for (const [name, content] of Object.entries(files)) {
      fs.writeFileSync(path.join(this.dir, tsDir, name), content);
      fs.chmodSync(path.join(this.dir, tsDir, name), this.mode);
    }
    const data = path.join(this.dir, "..data");
    const old = fs.existsSync(data) ? fs.readlinkSync(data) : undefined;
    fs.symlinkSync(tsDir, path.join(this.dir, "..data_tmp"));
    fs.renameSync(path.join(this.dir, "..data_tmp"), data);
    for (const name of Object.keys(files)) {
      const link = path.join(this.dir, name);
      if (!fs.existsSync(link)) fs.symlinkSync(path.join("..data", name), link);
    }
    for (const name of fs.readdirSync(this.dir)) {
      const link = path.join(this.dir, name);
      const ours = fs.lstatSync(link).isSymbolicLink() && fs.readlinkSync(link).startsWith("..data/");
      if (ours && !(name in files)) fs.unlinkSync(link);
    }
    if (old) fs.rmSync(path.join(this.dir, old), { recursive: true });
  }
}
