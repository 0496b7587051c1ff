// `driftguard findings sample ID --output FILE`: downloads a finding's captured file (admins
// only). Written under a temporary name with mode 0600 (never executable), checked against
// the size and SHA-256 the collector announced, then renamed into place; an existing FILE
// is replaced only with --force. Every failure is one line.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import type { GetSampleResponse } from "../api/sampleTypes";
import type { FindingsClient } from "../collector/findingsClient";
import { visibleText } from "../util/visibleText";
import { UsageError } from "./command";
import type { ParsedFlags } from "./flags";

export const SAMPLE_USAGE = `  sample ID --output FILE   the finding's captured file (admin role; policy capture), written
                            with mode 0600 after its SHA-256 is checked; --force replaces FILE`;

export async function downloadSample(client: FindingsClient, flags: ParsedFlags, id: string): Promise<number> {
  const output = flags.values.get("output");
  if (!output) throw new UsageError("usage: driftguard findings sample ID --output FILE");
  if (fs.existsSync(output) && !flags.booleans.has("force")) {
    process.stderr.write(`driftguard findings: ${visibleText(output)} exists; give --force to replace it\n`);
    return 1;
  }
  const tmp = path.join(path.dirname(output), `.${path.basename(output)}.partial-${process.pid}`);
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  let done = false;
  try {
    fs.fchmodSync(fd, 0o600); // whatever the umask
    const { sha256, size, received, digest } = await receive(client, id, fd);
    if (received !== size || digest !== sha256) {
      process.stderr.write(
        `driftguard findings: the sample received (${received} bytes, sha256 ${digest}) is not the finding's (${size} bytes, sha256 ${visibleText(sha256)}); nothing written\n`,
      );
      return 1;
    }
    fs.fsyncSync(fd);
    fs.renameSync(tmp, output);
    done = true;
    process.stdout.write(`wrote ${visibleText(output)}: ${size} bytes, sha256 ${sha256}\n`);
    return 0;
  } finally {
    fs.closeSync(fd);
    if (!done) fs.rmSync(tmp, { force: true });
  }
}

async function receive(
  client: FindingsClient,
  id: string,
  fd: number,
): Promise<{ sha256: string; size: number; received: number; digest: string }> {
  const hash = createHash("sha256");
  let head: { sha256: string; size: number } | undefined;
  let received = 0;
  const stream = client.sample({ id });
  for await (const message of stream as AsyncIterable<GetSampleResponse>) {
    head ??= { sha256: message.sha256, size: Number(message.size) };
    const data = Buffer.from(message.data);
    received += data.length;
    if (received > head.size) {
      stream.cancel();
      break; // more than announced: reported as a mismatch
    }
    hash.update(data);
    fs.writeSync(fd, data);
  }
  if (!head) throw new Error(`the collector sent no sample for ${id}`);
  return { ...head, received, digest: hash.digest("hex") };
}
