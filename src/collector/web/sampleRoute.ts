// The page's download of a finding's captured sample, admins only (the Authenticator's
// role check, as FindingService.GetSample): the bytes as an attachment the browser must
// save and never render or sniff. Every download is logged with who took it.
import { ADMIN_ROLES } from "../auth/Authenticator";
import { isFailure } from "../reviewOps";
import { findSample } from "../samples/sampleDownload";
import type { SampleInfo } from "../store/SampleStore";
import type { StoredFinding } from "../store/FindingStore";
import type { Caller } from "../auth/Authenticator";
import { fail, type Route, type WebApiDeps } from "./webRoute";
import type { SampleView } from "./webTypes";

export const SAMPLE_ROUTES: Route[] = [
  {
    method: "GET",
    pattern: /^\/api\/findings\/([^/]+)\/sample$/,
    roles: ADMIN_ROLES,
    handle: (deps, match) => async (_req, res, _url, caller) => {
      const id = decodeURIComponent(match[1]);
      const found = await findSample(deps.store, id);
      if (isFailure(found)) return fail(res, found);
      deps.logger.info({ caller: caller.name, finding: id, sha256: found.sha256, via: "web" }, "sample downloaded");
      res.writeHead(200, {
        "Content-Type": "application/octet-stream",
        "Content-Disposition": `attachment; filename="${found.sha256}.sample"`,
        "Content-Length": String(found.content.length),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
      });
      res.end(found.content);
    },
  },
];

/** What the detail view says of the finding's sample: its size, and whether this caller may download it. */
export async function sampleView(deps: WebApiDeps, finding: StoredFinding, caller: Caller): Promise<SampleView | null> {
  if (!finding.sha256) return null;
  const info: SampleInfo | undefined = (await deps.store.samples.infos([finding.sha256])).get(finding.sha256);
  if (!info) return null;
  return { size: info.size, canDownload: caller.via === "insecure" || ADMIN_ROLES.includes(caller.role) };
}
