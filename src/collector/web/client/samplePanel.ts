// The captured sample of a finding's file (policy capture): its size and, for admins, a
// download. The file may be malware: it is fetched with the reviewer's credentials and
// saved as an attachment (application/octet-stream, never opened by the page).
import type { FindingDetailResponse } from "../webTypes.js";
import { apiDownload } from "./api.js";
import { h } from "./dom.js";

export function samplePanel(id: string, sample: FindingDetailResponse["sample"]): HTMLElement {
  const rows: (Node | string)[] = [];
  if (!sample) {
    rows.push(
      h("p", { class: "sample-none" }, "No sample stored (not captured by the policy, too large, or expired)."),
    );
  } else {
    rows.push(h("p", { class: "sample-size" }, `Sample: ${sample.size} bytes`));
    if (sample.canDownload) {
      const message = h("p", { class: "sample-message", role: "alert" });
      const path = `/api/findings/${encodeURIComponent(id)}/sample`;
      const link = h("a", { href: path, class: "sample-download", download: "" }, "Download");
      link.addEventListener("click", (event) => {
        event.preventDefault(); // the bearer token travels in a header a plain link cannot set
        apiDownload(path).then(
          (name) => (message.textContent = `Saved as ${name}`),
          (error: Error) => (message.textContent = error.message),
        );
      });
      rows.push(h("p", null, link), message);
    } else {
      rows.push(h("p", { class: "sample-admin-only" }, "Download: admin only"));
    }
  }
  return h("section", { class: "panel sample" }, h("h2", null, "Sample"), ...rows);
}
