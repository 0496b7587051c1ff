// Delivers the node's captured samples to the collector over AgentService.UploadSamples,
// one at a time: offer, and only when the collector answers SEND, the bytes in chunks of
// 1 MiB; a sample the collector stored, already has or refuses is deleted from the spool.
// A collector without sample support answers UNIMPLEMENTED: the samples stay (bounded by
// the spool) and the agent asks again every unsupportedRetryMs. Findings never wait for
// this: the Report stream is separate. [JS thread; all waits are stream events and timers]
import * as fs from "node:fs";
import * as grpc from "@grpc/grpc-js";

import type { SampleUpload, SampleUploadResponse } from "../api/sampleTypes";
import type { SampleSpool } from "../agent/samples/SampleSpool";
import type { Logger } from "../log/logger";
import { errorMessage } from "../util/errorMessage";
import { createAgentClient, readCredentialFiles, reportMetadata, type CollectorConnection } from "./agentClient";

const CHUNK_BYTES = 1024 * 1024;

export interface SampleUploaderOptions {
  connection: CollectorConnection;
  spool: SampleSpool;
  logger: Logger;
  /** After a failure, or when samples are left for LATER. Default 30 s. */
  retryMs?: number;
  /** After UNIMPLEMENTED (a collector without samples). Default 10 min. */
  unsupportedRetryMs?: number;
}

export interface SampleUploaderStats {
  offered: number;
  /** Samples whose bytes were sent (the collector answered SEND). */
  uploaded: number;
  stored: number;
  have: number;
  refused: number;
  later: number;
  failures: number;
  /** The collector answered UNIMPLEMENTED last time. */
  unsupported: boolean;
}

type UploadCall = grpc.ClientDuplexStream<SampleUpload, SampleUploadResponse>;
type UploadClient = grpc.Client & { UploadSamples(metadata: grpc.Metadata): UploadCall };

export class SampleUploader {
  private running = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private again = false;
  private call?: UploadCall;
  private readonly s: SampleUploaderStats = {
    offered: 0,
    uploaded: 0,
    stored: 0,
    have: 0,
    refused: 0,
    later: 0,
    failures: 0,
    unsupported: false,
  };

  constructor(private readonly o: SampleUploaderOptions) {}

  start(): void {
    this.o.spool.onStored(() => this.wake());
    this.wake();
  }

  /** Samples to deliver: start a round unless one runs or a retry is scheduled. */
  wake(): void {
    if (this.stopped || this.timer) return;
    if (this.running) {
      this.again = true; // stored after this round listed the spool: it would wait for the next sample
      return;
    }
    this.running = true;
    this.again = false;
    void this.round().finally(() => {
      this.running = false;
      if (this.again) this.wake();
    });
  }

  stats(): SampleUploaderStats {
    return { ...this.s };
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.call?.cancel();
  }

  /** One stream offering every sample in the spool. */
  private async round(): Promise<void> {
    const digests = this.o.spool.digests();
    if (digests.length === 0) return;
    let client: UploadClient | undefined;
    let left = false;
    try {
      const files = readCredentialFiles(this.o.connection);
      client = createAgentClient(this.o.connection, files) as unknown as UploadClient;
      const call = (this.call = client.UploadSamples(reportMetadata(files)));
      const answers = new Answers(call);
      for (const sha256 of digests) {
        if (this.stopped) return;
        left = (await this.deliver(call, answers, sha256)) || left;
      }
      call.end();
      await answers.ended();
      this.s.unsupported = false;
      if (left) this.retry(this.o.retryMs ?? 30_000);
    } catch (error) {
      if (this.stopped) return;
      const code = (error as Partial<grpc.ServiceError>).code;
      this.s.unsupported = code === grpc.status.UNIMPLEMENTED;
      this.s.failures++;
      const delay = this.s.unsupported ? (this.o.unsupportedRetryMs ?? 600_000) : (this.o.retryMs ?? 30_000);
      const log = { err: errorMessage(error), retryInMs: delay };
      if (this.s.unsupported)
        this.o.logger.info(log, "the collector takes no samples (older version); kept on the node");
      else this.o.logger.warn(log, "sample upload failed");
      this.retry(delay);
    } finally {
      this.call = undefined;
      client?.close();
    }
  }

  /** Offers one sample and sends it if asked; true when it is left for later. */
  private async deliver(call: UploadCall, answers: Answers, sha256: string): Promise<boolean> {
    const file = this.o.spool.file(sha256);
    const size = this.o.spool.size(sha256);
    if (!file || !size) return false;
    this.s.offered++;
    call.write({ offer: { sha256, size } });
    let answer = await answers.next(sha256);
    if (answer.answer === "SAMPLE_ANSWER_SEND") {
      await sendChunks(call, file, sha256, size);
      this.s.uploaded++;
      answer = await answers.next(sha256);
    }
    switch (answer.answer) {
      case "SAMPLE_ANSWER_STORED":
      case "SAMPLE_ANSWER_HAVE":
        this.s[answer.answer === "SAMPLE_ANSWER_STORED" ? "stored" : "have"]++;
        this.o.spool.remove(sha256);
        return false;
      case "SAMPLE_ANSWER_REFUSED":
        this.s.refused++;
        this.o.logger.warn({ sha256, size, detail: answer.detail }, "the collector refused a sample; deleted");
        this.o.spool.remove(sha256);
        return false;
      case "SAMPLE_ANSWER_LATER":
        this.s.later++;
        return true;
      default:
        throw new Error(`unexpected answer ${answer.answer} for sample ${sha256}`);
    }
  }

  private retry(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wake();
    }, delay);
    this.timer.unref();
  }
}

/** The file's size bytes in chunks, waiting for the stream to drain (the file is never changed after it was stored). */
async function sendChunks(call: UploadCall, file: string, sha256: string, size: number): Promise<void> {
  const handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    for (let offset = 0; offset < size;) {
      const data = Buffer.alloc(Math.min(CHUNK_BYTES, size - offset));
      const { bytesRead } = await handle.read(data, 0, data.length, offset);
      if (bytesRead !== data.length) throw new Error(`sample ${file} is shorter than its ${size} bytes`);
      offset += bytesRead;
      if (!call.write({ chunk: { sha256, data, last: offset === size } })) {
        await new Promise<void>((resolve) => call.once("drain", resolve));
      }
    }
  } finally {
    await handle.close();
  }
}

/** The collector's answers on one stream, taken in order; a stream error rejects every wait. */
class Answers {
  private readonly queue: SampleUploadResponse[] = [];
  private waiter?: { resolve: (a: SampleUploadResponse) => void; reject: (e: unknown) => void };
  private failure?: unknown;
  private readonly end: Promise<void>;

  constructor(call: UploadCall) {
    this.end = new Promise<void>((resolve, reject) => {
      call.on("data", (answer: SampleUploadResponse) => {
        if (this.waiter) this.waiter.resolve(answer);
        else this.queue.push(answer);
        this.waiter = undefined;
      });
      call.on("error", (error) => {
        this.failure = error;
        this.waiter?.reject(error);
        reject(error);
      });
      call.on("end", () => {
        this.failure ??= new Error("the collector ended the sample stream");
        this.waiter?.reject(this.failure);
        resolve();
      });
    });
    this.end.catch(() => undefined);
  }

  async next(sha256: string): Promise<SampleUploadResponse> {
    const answer =
      this.queue.shift() ??
      (await new Promise<SampleUploadResponse>((resolve, reject) => {
        if (this.failure) reject(this.failure);
        else this.waiter = { resolve, reject };
      }));
    if (answer.sha256 !== sha256) throw new Error(`the collector answered for ${answer.sha256}, not ${sha256}`);
    return answer;
  }

  ended(): Promise<void> {
    return this.end;
  }
}
