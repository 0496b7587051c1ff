// A failed call to the collector as one line a reviewer can act on: what happened and the
// flag or step that fixes it, instead of grpc-js's "14 UNAVAILABLE: No connection
// established. Last error: ..." text. Server messages are shown visibly escaped (they may
// quote a finding's values).
import { status } from "@grpc/grpc-js";

import { visibleText } from "../util/visibleText";
import { COLLECTOR_GRPC_PORT } from "./serverAddress";

export interface CallError {
  code: number;
  details?: string;
  message: string;
}

export function isCallError(error: unknown): error is CallError {
  return typeof error === "object" && error !== null && typeof (error as CallError).code === "number";
}

/** The one line for `error` from the collector at `server`. */
export function collectorErrorLine(error: CallError, server: string): string {
  const details = visibleText(error.details || error.message);
  switch (error.code) {
    case status.UNAVAILABLE:
      return unreachable(details, server);
    case status.UNAUTHENTICATED:
      return `the collector at ${server} did not accept your credentials (${details}): give --token-file FILE (or DRIFTGUARD_TOKEN), or --cert and --key of a reviewer certificate`;
    case status.PERMISSION_DENIED:
      return `${details}: ask whoever runs the collector for that role`;
    case status.DEADLINE_EXCEEDED:
      return `the collector at ${server} did not answer in time: check that it runs and its database answers (its /readyz)`;
    case status.RESOURCE_EXHAUSTED:
      return `the collector refused: ${details}`;
    case status.UNIMPLEMENTED:
      return `the collector at ${server} does not know this call (${details}): it is older than this CLI; upgrade it`;
    default:
      return details;
  }
}

function unreachable(details: string, server: string): string {
  if (/certificate|SSL|TLS|handshake|self.signed|unable to verify/i.test(details)) {
    return `cannot verify the collector at ${server}: its certificate is not signed by --ca, or it is not issued for this host name (${details})`;
  }
  if (/ECONNREFUSED|Connection refused/i.test(details)) {
    return `nothing answers at ${server} (connection refused): is the collector running, and is this its gRPC port (${COLLECTOR_GRPC_PORT} by default; the review page's port is not it)? Set --server HOST:PORT`;
  }
  if (/ENOTFOUND|EAI_AGAIN|Name resolution|DNS/i.test(details)) {
    return `cannot resolve the collector's host in --server ${server}: check the name`;
  }
  if (/Protocol error|http2|frame|status code 400|Received HTTP status/i.test(details)) {
    return `${server} answered, but not as the collector's gRPC port (is it the review page's port, or a plaintext collector without --insecure?): set --server HOST:PORT`;
  }
  return `cannot reach the collector at ${server} (${details}): check --server, the network, and that the collector runs`;
}
