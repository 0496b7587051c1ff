// The page's calls to the collector: the bearer token from sessionStorage (gone when the
// tab closes) in an Authorization header, or nothing when a client certificate or
// --insecure does the authenticating. Live updates are read with fetch(), since
// EventSource cannot send the header.
import type { FindingView } from "../webTypes.js";

const TOKEN_KEY = "driftguard.token";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string): void => sessionStorage.setItem(TOKEN_KEY, value),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const t = token.get();
  return t ? { ...extra, Authorization: `Bearer ${t}` } : extra;
}

export async function apiGet<T>(path: string, signal?: AbortSignal): Promise<T> {
  return parse<T>(await fetch(path, { headers: headers(), signal }));
}

export async function apiPost<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, {
    method: "POST",
    headers: headers({ "Content-Type": "application/json" }),
    body: JSON.stringify(body),
  });
  return parse<T>(res);
}

/** Saves the attachment at path (a sample) through a temporary object URL; returns its file name. */
export async function apiDownload(path: string): Promise<string> {
  const res = await fetch(path, { headers: headers() });
  if (!res.ok) return parse<string>(res); // throws the collector's error
  const name = /filename="([0-9a-f]{64}\.sample)"/.exec(res.headers.get("Content-Disposition") ?? "")?.[1] ?? "sample";
  const url = URL.createObjectURL(await res.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(res.status, `the collector answered ${res.status} without JSON`);
  }
  if (!res.ok) throw new ApiError(res.status, (value as { error?: string }).error ?? `HTTP ${res.status}`);
  return value as T;
}

/** New findings, and findings a recurrence reopened, matching `params` until `signal` aborts; reconnects after failures. */
export async function watchFindings(
  params: URLSearchParams,
  onFinding: (finding: FindingView, event: "finding" | "recurred") => void,
  signal: AbortSignal,
  onConnected: (connected: boolean) => void = () => undefined,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const res = await fetch(`/api/events?${params}`, { headers: headers(), signal });
      if (!res.ok || !res.body) throw new ApiError(res.status, "live updates refused");
      onConnected(true);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event
            .split("\n")
            .filter((l) => l.startsWith("data: "))
            .map((l) => l.slice(6))
            .join("\n");
          const kind = /^event: (finding|recurred)$/m.exec(event)?.[1] as "finding" | "recurred" | undefined;
          if (kind && data) onFinding(JSON.parse(data) as FindingView, kind);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && error.status === 401) return;
    }
    onConnected(false);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
