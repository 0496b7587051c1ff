// An agent's findings reporter as its own process, for the resilience test: it generates
// findings [from, to) at a steady rate into startReporter() (the agent's pipeline) and
// prints JSON lines: {"msg":"progress","next":N,...stats} and, on SIGTERM, stops generating,
// closes the reporter (findings stay in the spool) and prints {"msg":"stopped","next":N}.
//
//   DRIFTGUARD_REPORTER_CHILD='{"config":{...ReporterConfig},"from":0,"to":10000,"perTick":20}'
import pino from "pino";

import { startReporter, type ReporterConfig } from "../../src/report/Reporter";
import { driftFinding } from "./findingFixtures";

interface ChildSpec {
  config: ReporterConfig;
  from: number;
  to: number;
  /** Findings per 10 ms tick. */
  perTick: number;
}

function main(): void {
  const spec = JSON.parse(process.env.DRIFTGUARD_REPORTER_CHILD ?? "") as ChildSpec;
  const logger = pino({ level: "warn" }, pino.destination({ dest: 2, sync: true }));
  const reporter = startReporter(spec.config, logger);
  let next = spec.from;
  const print = (msg: string) => {
    const s = reporter.stats();
    process.stdout.write(
      JSON.stringify({
        msg,
        next,
        pending: s.spool.pending,
        acked: s.stream.findingsAcked,
        connects: s.stream.connects,
        dropped: s.dropped,
      }) + "\n",
    );
  };
  const tick = setInterval(() => {
    for (let i = 0; i < spec.perTick && next < spec.to; i++) reporter.write(driftFinding(next++));
    if (next >= spec.to) clearInterval(tick);
  }, 10);
  const progress = setInterval(() => print("progress"), 100);
  process.once("SIGTERM", () => {
    clearInterval(tick);
    clearInterval(progress);
    void reporter.close().then(() => {
      print("stopped");
      process.exit(0);
    });
  });
}

main();
