// Shared by the runtime integration tests: images, log capture, waiting for watcher events.
import { createHash } from "node:crypto";
import type { EventEmitter } from "node:events";
import { Writable } from "node:stream";

import pino from "pino";

import type { Logger } from "../../../src/log/logger";
import { busyboxLayer, buildOciImage, type BuiltImage, type LayerEntry } from "../../testbed/ociImage";

/** busybox plus one layer of its own: two images built this way share their base layer. */
export function twoLayerImage(workDir: string, name: string, extra: LayerEntry[]): BuiltImage {
  return buildOciImage(workDir, name, [busyboxLayer(), extra]);
}

/** Chain IDs of layers given as uncompressed diff digests, bottom first (OCI image spec). */
export function chainIds(diffIds: string[]): string[] {
  const chain: string[] = [];
  for (const diffId of diffIds) {
    const previous = chain[chain.length - 1];
    chain.push(previous ? "sha256:" + createHash("sha256").update(`${previous} ${diffId}`).digest("hex") : diffId);
  }
  return chain;
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A debug-level logger whose lines are kept in memory. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: "debug" }, sink), lines };
}

/** Resolves with the args of the first `event` whose args match; rejects after timeoutMs. */
export function nextEvent<A extends unknown[]>(
  emitter: EventEmitter,
  event: string,
  match: (...args: A) => boolean,
  timeoutMs = 10_000,
): Promise<A> {
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      if (!match(...(args as A))) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args as A);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no matching "${event}" event within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.on(event, listener);
  });
}

/** `ctr snapshots mounts` prints a mount(8) command line; returns its options. */
export function ctrMountOptions(output: string): Record<string, string> {
  const match = / -o (\S+)/.exec(output);
  if (!match) throw new Error(`unexpected ctr snapshots mounts output: ${output}`);
  return Object.fromEntries(
    match[1].split(",").map((option) => {
      const eq = option.indexOf("=");
      return eq < 0 ? [option, ""] : [option.slice(0, eq), option.slice(eq + 1)];
    }),
  );
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
