// A real headless Chromium for the review page's tests: Debian's package (.ci/install),
// driven by playwright-core (which downloads nothing), with a fresh profile per launch and
// no background traffic. The test certificates' CA is not in Chromium's store, so TLS
// errors are ignored here; the page's TLS itself is checked with Node in the tests.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export interface Chromium {
  context: BrowserContext;
  /** Where screenshots go (under the OS temp dir); kept after the test for people to look at. */
  shots: string;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Chromium> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run .ci/install (apt-get install chromium)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-chromium-"));
  const shots = fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-screenshots-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreHTTPSErrors: true,
    viewport: { width: 1366, height: 768 }, // a laptop screen
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    shots,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
