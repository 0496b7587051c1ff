// The probes' paths are what the agent's and the collector's health endpoint serves
// (src/metrics/MetricsServer.ts, started on loopback): a renamed path breaks this test.
import * as assert from "node:assert/strict";
import pino from "pino";
import { Registry } from "prom-client";

import { MetricsServer, type Readiness } from "../../../src/metrics/MetricsServer";
import { OVERLAYS, rendered } from "./kustomize";
import { workloads } from "./workloads";

describe("daemonset: probes reach the health endpoint", function () {
  this.timeout(60000);
  let server: MetricsServer;
  let readiness: Readiness = { ready: true, detail: "test" };

  before(async () => {
    server = await MetricsServer.start({
      address: { host: "127.0.0.1", port: 0 },
      registry: new Registry(),
      ready: () => readiness,
      logger: pino({ level: "silent" }),
    });
  });
  after(() => server.close());

  const status = async (path: string): Promise<number> =>
    (await fetch(`http://127.0.0.1:${server.port}${path}`, { signal: AbortSignal.timeout(5000) })).status;

  for (const overlay of OVERLAYS) {
    it(`overlays/${overlay}: every HTTP probe's path is served, readiness follows the component's state`, async () => {
      const probes = workloads(rendered(overlay)).flatMap((w) =>
        w.pod.containers.flatMap((c) =>
          (["startupProbe", "readinessProbe", "livenessProbe"] as const).map((kind) => ({
            kind,
            where: `${w.name}/${c.name} ${kind}`,
            path: c[kind]?.httpGet?.path,
          })),
        ),
      );
      for (const probe of probes.filter((p) => p.path !== undefined)) {
        readiness = { ready: true, detail: "test" };
        assert.equal(await status(probe.path!), 200, probe.where);
        readiness = { ready: false, detail: "test" };
        const expected = probe.kind === "readinessProbe" ? 503 : 200;
        assert.equal(await status(probe.path!), expected, `${probe.where}, not ready`);
      }
    });
  }
});
