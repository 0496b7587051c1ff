// Listen addresses of the HTTP endpoints: ":9464" (every interface), "HOST:PORT",
// "[::1]:PORT"; port 0 picks a free one. "" means off.
export interface ListenAddress {
  /** undefined: every interface. */
  host: string | undefined;
  port: number;
}

/** The address, or a message naming what is wrong with it. */
export function parseListenAddress(text: string, flag: string): ListenAddress | string {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) return `${flag} must be HOST:PORT, :PORT or [IPv6]:PORT (got ${JSON.stringify(text)})`;
  const host = match[1] ?? match[2];
  return { host: host === "" ? undefined : host, port };
}
