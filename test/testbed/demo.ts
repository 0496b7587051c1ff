// `npm run demo`: driftguard on a throwaway node. Starts containerd in a temp dir, imports
// a two-layer busybox image built offline, starts `driftguard agent --mode enforce`, runs
// the classic drift attacks in a container, prints what happened and the findings, and
// removes everything it started. Needs root (fanotify, overlayfs, runc).
import * as fs from "node:fs";
import * as path from "node:path";

import { buildDriftImage } from "../integration/agent/driftImage";
import { AgentProcess } from "./AgentProcess";
import { ContainerdTestBed } from "./ContainerdTestBed";
import { scratchDir } from "./ociImage";
import { bedAgentArgs } from "./agentArgs";

const ATTACKS: { title: string; script: string }[] = [
  { title: "an image binary runs", script: "ls /bin | head -3" },
  {
    title: "Aqua's test: copy an image binary to a new name and run it",
    script: "mkdir -p /tmp/x && cp /bin/busybox /tmp/x/ls && /tmp/x/ls /",
  },
  {
    title: "a dropped binary on the container's tmpfs",
    script: "mkdir -p /run/x && cp /bin/busybox /run/x/echo && /run/x/echo pwned",
  },
  { title: "an image binary overwritten in place", script: "cp /bin/busybox /opt/old/script.sh && /opt/old/script.sh" },
  {
    title: "an image binary only touched (same content: not drift)",
    script: "touch /bin/busybox && /bin/echo still the image",
  },
  {
    title: "escape the mount namespace first",
    script: "mkdir -p /tmp/u && cp /bin/busybox /tmp/u/echo && unshare -Urm /tmp/u/echo escaped",
  },
];

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the demo needs root: run it with sudo");
  const scratch = scratchDir("demo");
  let bed: ContainerdTestBed | undefined;
  let agent: AgentProcess | undefined;
  const say = (line: string) => process.stdout.write(line + "\n");
  try {
    say("• starting a private containerd and importing test.local/drift:1 (built offline)");
    bed = await ContainerdTestBed.start();
    await bed.importImage(buildDriftImage(scratch.dir).archive);
    await bed.run("web", "test.local/drift:1", ["sleep", "100000"], {
      labels: {
        "io.kubernetes.pod.namespace": "shop",
        "io.kubernetes.pod.name": "web-0",
        "io.kubernetes.container.name": "web",
      },
    });
    say("• starting driftguard agent --mode enforce");
    agent = await AgentProcess.start(
      bedAgentArgs(bed, { mode: "enforce", stateDir: path.join(scratch.dir, "state") }, "--node-name", "demo-node"),
    );
    await agent.waitFor((l) => l.msg === "image baseline ready");
    for (const attack of ATTACKS) {
      const result = await bed.exec("web", ["/bin/sh", "-c", attack.script]);
      say(`\n$ ${attack.script}\n  (${attack.title})`);
      for (const line of (result.stdout + result.stderr).trim().split("\n").filter(Boolean)) say(`  ${line}`);
      say(`  → exit ${result.code}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    say("\n• findings (one JSON log line each in the agent's output; here as a table):");
    for (const f of agent.findings()) {
      say(
        `  ${f.verdict.padEnd(8)} ${f.reason.padEnd(16)} ${f.path.padEnd(20)} pod ${f.k8s.namespace}/${f.k8s.pod}` +
          `${f.copyOf ? `  copy of ${f.copyOf}` : ""}`,
      );
    }
    const stats = agent.lines.filter((l) => l.msg === "drift").length;
    say(`\n• ${stats} findings; stopping the agent (answers pending execs, removes its marks) and cleaning up`);
  } finally {
    await agent?.stop();
    await bed?.stop();
    scratch.remove();
  }
  if (!fs.existsSync(scratch.dir)) say("• done: nothing left behind");
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
