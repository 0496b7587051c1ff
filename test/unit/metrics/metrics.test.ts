// The metrics building blocks: the native latency buckets as a Prometheus histogram,
// counters fed from running totals, listen addresses, and the HTTP endpoint's answers.
import * as assert from "node:assert/strict";
import pino from "pino";
import { Registry } from "prom-client";

import { cumulativeCounter } from "../../../src/metrics/cumulative";
import { parseListenAddress } from "../../../src/metrics/listenAddress";
import { Log2LatencyHistogram } from "../../../src/metrics/log2Histogram";
import { MetricsServer } from "../../../src/metrics/MetricsServer";
import { request } from "../../testbed/metricsScrape";

describe("metrics", () => {
  it("exposes log2 microsecond buckets as a cumulative histogram in seconds", async () => {
    const registry = new Registry();
    let buckets: number[] | undefined = undefined;
    registry.registerMetric(new Log2LatencyHistogram("lat_seconds", "latency", () => buckets).asMetric());
    assert.match(await registry.metrics(), /lat_seconds_bucket\{le="\+Inf"\} 0/, "no guard yet: empty");
    buckets = [0, 2, 3, 0, 5]; // < 1 µs, [1, 2) µs, [2, 4) µs, [4, 8) µs, the rest
    const text = await registry.metrics();
    assert.match(text, /# TYPE lat_seconds histogram/);
    assert.match(text, /lat_seconds_bucket\{le="0\.000001"\} 0\n/);
    assert.match(text, /lat_seconds_bucket\{le="0\.000002"\} 2\n/);
    assert.match(text, /lat_seconds_bucket\{le="0\.000004"\} 5\n/);
    assert.match(text, /lat_seconds_bucket\{le="0\.000008"\} 5\n/);
    assert.match(text, /lat_seconds_bucket\{le="\+Inf"\} 10\n/);
    assert.match(text, /lat_seconds_count 10/);
    assert.doesNotMatch(text, /le="0\.000016"/, "the last bucket is only +Inf");
  });

  it("turns running totals into counters that only go up", async () => {
    const registry = new Registry();
    let total = 5;
    cumulativeCounter(registry, { name: "things_total", help: "things", read: () => [{ labels: {}, total }] });
    assert.match(await registry.metrics(), /things_total 5/);
    total = 8;
    assert.match(await registry.metrics(), /things_total 8/);
    total = 2; // the source restarted
    assert.match(await registry.metrics(), /things_total 10/);
  });

  it("parses listen addresses", () => {
    assert.deepEqual(parseListenAddress(":9464", "--x"), { host: undefined, port: 9464 });
    assert.deepEqual(parseListenAddress("127.0.0.1:0", "--x"), { host: "127.0.0.1", port: 0 });
    assert.deepEqual(parseListenAddress("[::1]:9", "--x"), { host: "::1", port: 9 });
    assert.match(parseListenAddress("9464", "--x") as string, /--x must be HOST:PORT/);
    assert.match(parseListenAddress(":70000", "--x") as string, /--x must be/);
  });

  it("serves /metrics, /healthz and /readyz, and says when a port is taken", async () => {
    const registry = new Registry();
    let ready = false;
    const quiet = pino({ level: "silent" });
    const address = { host: "127.0.0.1", port: 0 };
    const server = await MetricsServer.start({
      address,
      registry,
      logger: quiet,
      ready: () => ({ ready, detail: "x" }),
    });
    try {
      const url = `http://127.0.0.1:${server.port}`;
      assert.equal((await request(`${url}/readyz`)).status, 503);
      ready = true;
      assert.equal((await request(`${url}/readyz`)).status, 200);
      assert.equal((await request(`${url}/metrics`)).headers["content-type"], registry.contentType);
      assert.equal((await request(`${url}/metrics`, { method: "POST" })).status, 405);
      await assert.rejects(
        MetricsServer.start({
          address: { host: "127.0.0.1", port: server.port },
          registry,
          logger: quiet,
          ready: () => ({ ready, detail: "" }),
        }),
        /cannot serve metrics on 127\.0\.0\.1:\d+: .*EADDRINUSE.*--metrics-address/,
      );
    } finally {
      await server.close();
    }
  });
});
