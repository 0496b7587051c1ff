// Scraping a Prometheus text endpoint in tests: GET, then one number per series.
import * as http from "node:http";
import * as https from "node:https";

export interface HttpAnswer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** A plain request (ca: trust this CA for https). */
export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; ca?: Buffer } = {},
): Promise<HttpAnswer> {
  const transport = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      url,
      { method: options.method ?? "GET", headers: options.headers, ca: options.ca },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** "name{a="x",b="y"}" → value, for every sample of the exposition. */
export async function scrape(metricsUrl: string): Promise<Map<string, number>> {
  const answer = await request(`${metricsUrl}/metrics`);
  if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}: ${answer.body}`);
  const samples = new Map<string, number>();
  for (const line of answer.body.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** A sample's value, 0 when absent (a counter not incremented yet). */
export function sample(samples: Map<string, number>, series: string): number {
  return samples.get(series) ?? 0;
}
