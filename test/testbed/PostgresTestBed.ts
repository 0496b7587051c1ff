// A private PostgreSQL for tests and benchmarks: initdb into a temp dir, started with
// pg_ctl on 127.0.0.1 and a free port (socket dir in the temp dir too), stopped and removed
// by stop(), also after failures. As root, the server runs as the "postgres" user (it
// refuses to run as root); otherwise as the current user. Needs the Debian package
// postgresql (binaries in /usr/lib/postgresql/<version>/bin), installed by .ci/install.
//
//   const pg = await PostgresTestBed.start();
//   const url = await pg.createDatabase("t1"); // postgres://driftguard@127.0.0.1:PORT/t1
//   await pg.stop();
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import pg from "pg";

import { freePort, runCommand } from "./processes";

const USER = "driftguard";

export interface PostgresOptions {
  /** fsync and synchronous commit, as in production (benchmarks). Default false: faster tests. */
  durable?: boolean;
}

export class PostgresTestBed {
  private stopped = false;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
    private readonly runAs: string | undefined,
  ) {}

  static async start(options: PostgresOptions = {}): Promise<PostgresTestBed> {
    const bin = postgresBinDir();
    const runAs = process.getuid?.() === 0 ? "postgres" : undefined;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-pg-"));
    if (runAs) {
      const { stdout } = await runCommand("id", ["-u", runAs], 5000);
      const uid = Number(stdout.trim());
      if (!Number.isInteger(uid)) throw new Error(`no "${runAs}" user: apt-get install postgresql creates it`);
      fs.chownSync(dir, uid, uid);
    }
    const bed = new PostgresTestBed(dir, await freePort(), bin, runAs);
    try {
      await bed.run("initdb", ["-D", bed.dataDir, "-U", USER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
      const settings = [
        "-c listen_addresses=127.0.0.1",
        `-p ${bed.port}`,
        `-k ${dir}`,
        "-c max_connections=50",
        "-c shared_buffers=64MB",
        ...(options.durable ? [] : ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]),
      ].join(" ");
      await bed.run("pg_ctl", [
        "-D",
        bed.dataDir,
        "-l",
        path.join(dir, "server.log"),
        "-w",
        "-t",
        "60",
        "-o",
        settings,
        "start",
      ]);
    } catch (error) {
      await bed.stop().catch(() => undefined);
      throw error;
    }
    return bed;
  }

  private get dataDir(): string {
    return path.join(this.dir, "data");
  }

  /** A connection URL for database `name`. */
  url(name: string): string {
    return `postgres://${USER}@127.0.0.1:${this.port}/${name}`;
  }

  /** Creates an empty database and returns its URL. */
  async createDatabase(name: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.url("postgres") });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  /** Stops the server (immediate) and removes its files. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (fs.existsSync(path.join(this.dataDir, "postmaster.pid"))) {
      await this.run("pg_ctl", ["-D", this.dataDir, "-m", "immediate", "-w", "-t", "30", "stop"]).catch(
        () => undefined,
      );
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async run(tool: string, args: string[]): Promise<void> {
    const exe = path.join(this.bin, tool);
    const result = this.runAs
      ? await runCommand("runuser", ["-u", this.runAs, "--", exe, ...args], 120_000)
      : await runCommand(exe, args, 120_000);
    if (result.code !== 0) {
      const log = path.join(this.dir, "server.log");
      const tail = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").slice(-10).join("\n") : "";
      throw new Error(`${tool} failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}\n${tail}`);
    }
  }
}

/** The newest /usr/lib/postgresql/<version>/bin, or the directory of initdb on PATH. */
export function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length > 0) return path.join(root, versions[0], "bin");
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && fs.existsSync(path.join(dir, "initdb"))) return dir;
  }
  throw new Error("PostgreSQL server binaries not found (initdb): run .ci/install or apt-get install postgresql");
}
