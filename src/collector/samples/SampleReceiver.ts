// One UploadSamples stream's state: an offer answered, then its chunks checked as they
// come (each at most 1 MiB, never more than offered, for the sample offered) and the whole
// checked against the offer's size and SHA-256 before anything is stored. Anything else a
// peer sends is a SampleProtocolError: the stream ends and nothing of that sample is kept.
import { createHash, type Hash } from "node:crypto";

import type { SampleUpload, SampleUploadResponse } from "../../api/sampleTypes";
import type { SampleStore } from "../store/SampleStore";

export const SAMPLE_CHUNK_BYTES = 1024 * 1024;
/** The largest sample (the policy's capture.maxBytes limit). */
export const MAX_SAMPLE_BYTES = 64 * 1024 * 1024;
const DIGEST = /^[0-9a-f]{64}$/;

export class SampleProtocolError extends Error {}

export interface SampleLimits {
  /** Bytes all samples may take in the store; an offer past it is refused. */
  storeBytes: number;
  /** Digests being received now, on every stream of this collector (shared). */
  receiving: Set<string>;
  /** At most this many at once (each holds up to 64 MiB in memory until checked). */
  maxReceiving: number;
}

interface Receiving {
  sha256: string;
  size: number;
  hash: Hash;
  chunks: Buffer[];
  received: number;
}

export class SampleReceiver {
  private current?: Receiving;

  constructor(
    private readonly store: SampleStore,
    private readonly limits: SampleLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** The answer to one message, or undefined (a chunk before the last). Throws SampleProtocolError. */
  async handle(message: SampleUpload): Promise<SampleUploadResponse | undefined> {
    if (message.offer) return this.offer(message.offer.sha256, message.offer.size);
    if (message.chunk) return this.chunk(message.chunk.sha256, Buffer.from(message.chunk.data), message.chunk.last);
    throw new SampleProtocolError("a SampleUpload needs an offer or a chunk");
  }

  /** The stream ended: a sample half received is dropped. */
  close(): void {
    if (this.current) this.limits.receiving.delete(this.current.sha256);
    this.current = undefined;
  }

  /** Whether this stream is receiving a sample now. */
  get busy(): boolean {
    return this.current !== undefined;
  }

  private async offer(sha256: string, size: number): Promise<SampleUploadResponse> {
    if (this.current) {
      throw new SampleProtocolError(`an offer of ${sha256} while ${this.current.sha256} is still being sent`);
    }
    if (!DIGEST.test(sha256)) throw new SampleProtocolError("a SampleOffer's sha256 must be 64 lower-case hex digits");
    if (!Number.isSafeInteger(size) || size < 1)
      throw new SampleProtocolError("a SampleOffer's size must be at least 1");
    if ((await this.store.infos([sha256])).has(sha256)) return answer(sha256, "SAMPLE_ANSWER_HAVE");
    if (size > MAX_SAMPLE_BYTES) {
      return answer(
        sha256,
        "SAMPLE_ANSWER_REFUSED",
        `${size} bytes is more than a sample may have (${MAX_SAMPLE_BYTES})`,
      );
    }
    const { bytes } = await this.store.totals();
    if (bytes + size > this.limits.storeBytes) {
      return answer(
        sha256,
        "SAMPLE_ANSWER_REFUSED",
        `the sample store is full (${bytes} of ${this.limits.storeBytes} bytes)`,
      );
    }
    const { receiving, maxReceiving } = this.limits;
    if (receiving.has(sha256) || receiving.size >= maxReceiving) return answer(sha256, "SAMPLE_ANSWER_LATER");
    receiving.add(sha256);
    this.current = { sha256, size, hash: createHash("sha256"), chunks: [], received: 0 };
    return answer(sha256, "SAMPLE_ANSWER_SEND");
  }

  private async chunk(sha256: string, data: Buffer, last: boolean): Promise<SampleUploadResponse | undefined> {
    const current = this.current;
    if (!current || current.sha256 !== sha256) {
      throw new SampleProtocolError(`a SampleChunk of ${sha256.slice(0, 64)} without an offer answered SEND`);
    }
    if (data.length > SAMPLE_CHUNK_BYTES) {
      throw new SampleProtocolError(`a SampleChunk of ${data.length} bytes (at most ${SAMPLE_CHUNK_BYTES})`);
    }
    current.received += data.length;
    if (current.received > current.size) {
      throw new SampleProtocolError(`more bytes than the ${current.size} offered for ${sha256}; nothing stored`);
    }
    current.hash.update(data);
    current.chunks.push(data);
    if (!last) return undefined;
    this.close();
    if (current.received !== current.size) {
      throw new SampleProtocolError(
        `${current.received} bytes, not the ${current.size} offered for ${sha256}; nothing stored`,
      );
    }
    const digest = current.hash.digest("hex");
    if (digest !== sha256) {
      throw new SampleProtocolError(`the bytes hash to ${digest}, not the offered ${sha256}; nothing stored`);
    }
    const stored = await this.store.put(sha256, Buffer.concat(current.chunks), this.now());
    return answer(sha256, stored === "stored" ? "SAMPLE_ANSWER_STORED" : "SAMPLE_ANSWER_HAVE");
  }
}

function answer(sha256: string, a: SampleUploadResponse["answer"], detail = ""): SampleUploadResponse {
  return { sha256, answer: a, detail };
}
