// The driftguard.v1 sample messages (sample.proto) as the API code uses them.

/** Exactly one of offer and chunk is set (sample.proto). */
export interface SampleUpload {
  offer?: { sha256: string; size: number } | null;
  chunk?: { sha256: string; data: Uint8Array; last: boolean } | null;
}

export type SampleAnswer =
  | "SAMPLE_ANSWER_UNSPECIFIED"
  | "SAMPLE_ANSWER_SEND"
  | "SAMPLE_ANSWER_HAVE"
  | "SAMPLE_ANSWER_STORED"
  | "SAMPLE_ANSWER_REFUSED"
  | "SAMPLE_ANSWER_LATER";

export interface SampleUploadResponse {
  sha256: string;
  answer: SampleAnswer;
  detail: string;
}

export interface GetSampleResponse {
  sha256: string;
  size: number;
  data: Uint8Array;
}

export interface GetSampleRequest {
  id: string;
}
