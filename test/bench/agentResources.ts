// RSS and CPU time of a process from /proc, for the resource targets of the benchmarks.
import * as fs from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kib / 1024) * 10) / 10;
}

/** CPU seconds (user + system) the process and its threads have used so far. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
}

/** Share of one core the process used while `during` ran. */
export async function cpuShareDuring(pid: number, during: () => Promise<unknown>): Promise<number> {
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  await during();
  const elapsed = (performance.now() - started) / 1000;
  return Math.round(((cpuSeconds(pid) - cpuBefore) / elapsed) * 1000) / 10; // percent
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
