// A streaming tar parser: bytes go in through write() in chunks of any size, entries come
// out through a handler that may take each entry's data as it passes. It never allocates
// by a declared size: data is forwarded in slices of the chunks it was given, and only
// metadata bodies (pax, GNU long names) are buffered, up to MAX_META_BYTES.
import { BaselineError } from "../types";
import { parsePaxRecords, type PaxOverrides } from "./paxRecords";
import { BLOCK, TYPE, isHeaderOnly, isZeroBlock, nulTerminated, paddingOf, parseHeader } from "./tarHeader";

/** Largest pax or GNU long-name body accepted (Go's archive/tar uses the same bound). */
export const MAX_META_BYTES = 1024 * 1024;

export interface TarEntry {
  /** Member name after pax / GNU long-name overrides, not normalised. */
  name: string;
  linkname: string;
  typeflag: string;
  mode: number;
  size: number;
  devmajor: number;
  devminor: number;
  /** Offset of the entry's data in the archive. */
  dataOffset: number;
}

export interface TarEntrySink {
  data(chunk: Buffer): void;
  end(): void;
}

export interface TarHandler {
  /** Returns a sink for the entry's data, or undefined to skip it. */
  entry(entry: TarEntry): TarEntrySink | undefined;
}

type State =
  | { kind: "header" }
  | { kind: "data"; remaining: number; padding: number; sink?: TarEntrySink }
  | { kind: "meta"; remaining: number; padding: number; typeflag: string; parts: Buffer[]; headerOffset: number }
  | { kind: "afterZero" }
  | { kind: "done" };

export class TarParser {
  private state: State = { kind: "header" };
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private position = 0;
  private pax: PaxOverrides = {};
  private longName: string | undefined;
  private longLink: string | undefined;

  constructor(
    private readonly source: string,
    private readonly handler: TarHandler,
  ) {}

  /** Bytes consumed so far. */
  get offset(): number {
    return this.position;
  }

  write(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      const state = this.state;
      if (state.kind === "done") return; // whatever follows the end marker is padding
      if (state.kind === "header" || state.kind === "afterZero") {
        const take = Math.min(BLOCK - this.headerFill, chunk.length - pos);
        chunk.copy(this.header, this.headerFill, pos, pos + take);
        this.headerFill += take;
        pos += take;
        this.position += take;
        if (this.headerFill === BLOCK) {
          this.headerFill = 0;
          this.onHeaderBlock(this.position - BLOCK);
        }
        continue;
      }
      const dataLeft = state.remaining;
      const take = Math.min(dataLeft + state.padding, chunk.length - pos);
      const dataTake = Math.min(dataLeft, take);
      if (dataTake > 0) {
        const slice = chunk.subarray(pos, pos + dataTake);
        if (state.kind === "data") state.sink?.data(slice);
        else state.parts.push(Buffer.from(slice)); // copied: the caller may reuse its chunk
        state.remaining -= dataTake;
      }
      state.padding -= take - dataTake;
      pos += take;
      this.position += take;
      if (state.remaining === 0 && state.padding === 0) this.finishEntry(state);
      else if (state.remaining === 0 && state.kind === "data" && state.sink) {
        // Data complete; tell the sink now rather than after the padding arrives.
        state.sink.end();
        state.sink = undefined;
      }
    }
  }

  /** The input ended: refuse an archive cut inside an entry. */
  end(): void {
    const state = this.state;
    if (state.kind === "done" || state.kind === "afterZero") return;
    // Some writers omit the end-of-archive blocks; an input ending between entries is whole.
    if (state.kind === "header" && this.headerFill === 0 && !this.hasPendingMeta()) return;
    throw new BaselineError(
      "BAD_ARCHIVE",
      this.source,
      `truncated archive: input ended at byte ${this.position} inside ${state.kind === "header" ? "a header" : "an entry"}`,
    );
  }

  private hasPendingMeta(): boolean {
    return Object.keys(this.pax).length > 0 || this.longName !== undefined || this.longLink !== undefined;
  }

  private onHeaderBlock(offset: number): void {
    if (isZeroBlock(this.header)) {
      if (this.hasPendingMeta()) {
        throw new BaselineError(
          "BAD_ARCHIVE",
          this.source,
          `end marker at byte ${offset} follows a pax or long-name header`,
        );
      }
      this.state = this.state.kind === "afterZero" ? { kind: "done" } : { kind: "afterZero" };
      return;
    }
    if (this.state.kind === "afterZero") {
      throw new BaselineError("BAD_ARCHIVE", this.source, `header at byte ${offset} follows a zero block`);
    }
    const header = parseHeader(this.header, this.source, offset);
    const size = header.size;
    const padding = paddingOf(size);
    switch (header.typeflag) {
      case TYPE.paxHeader:
      case TYPE.paxGlobal:
      case TYPE.gnuLongName:
      case TYPE.gnuLongLink:
        if (size > MAX_META_BYTES) {
          throw new BaselineError(
            "BAD_ARCHIVE",
            this.source,
            `header at byte ${offset}: metadata entry of ${size} bytes exceeds ${MAX_META_BYTES}`,
          );
        }
        this.state = {
          kind: "meta",
          remaining: size,
          padding,
          typeflag: header.typeflag,
          parts: [],
          headerOffset: offset,
        };
        if (size === 0) this.finishEntry(this.state);
        return;
      case TYPE.gnuSparse:
        throw new BaselineError(
          "BAD_ARCHIVE",
          this.source,
          `header at byte ${offset}: GNU sparse files are not supported`,
        );
    }
    const realSize = isHeaderOnly(header.typeflag) ? 0 : (this.pax.size ?? size);
    const entry: TarEntry = {
      name: this.pax.path ?? this.longName ?? header.name,
      linkname: this.pax.linkpath ?? this.longLink ?? header.linkname,
      typeflag: header.typeflag,
      mode: header.mode,
      size: realSize,
      devmajor: header.devmajor,
      devminor: header.devminor,
      dataOffset: offset + BLOCK,
    };
    this.pax = {};
    this.longName = this.longLink = undefined;
    const sink = header.typeflag === TYPE.gnuVolume ? undefined : this.handler.entry(entry);
    this.state = { kind: "data", remaining: realSize, padding: paddingOf(realSize), sink };
    if (realSize === 0) this.finishEntry(this.state);
  }

  private finishEntry(state: Extract<State, { kind: "data" | "meta" }>): void {
    this.state = { kind: "header" };
    if (state.kind === "data") {
      state.sink?.end();
      return;
    }
    const body = Buffer.concat(state.parts);
    switch (state.typeflag) {
      case TYPE.paxHeader:
        this.pax = parsePaxRecords(body, this.source, state.headerOffset);
        break;
      case TYPE.paxGlobal:
        // Validated, not applied: Go's archive/tar (and so containerd) ignores global headers.
        parsePaxRecords(body, this.source, state.headerOffset);
        break;
      case TYPE.gnuLongName:
        this.longName = nulTerminated(body);
        break;
      case TYPE.gnuLongLink:
        this.longLink = nulTerminated(body);
        break;
    }
  }
}
