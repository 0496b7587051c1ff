// The review page: session check, then a hash router over four views (#/findings?...,
// #/finding/ID, #/overview, #/posture). Every view returns a cleanup that stops its requests and
// live updates when the reader moves on.
import type { SessionResponse } from "../webTypes.js";
import { ApiError, apiGet, token } from "./api.js";
import { renderDetail } from "./detailPage.js";
import { h } from "./dom.js";
import { renderFindings } from "./findingsPage.js";
import { renderGroups } from "./groupsPage.js";
import { renderLogin } from "./loginPage.js";
import { renderOverview } from "./overviewPage.js";
import { renderPosture } from "./posturePage.js";

const main = document.getElementById("main") as HTMLElement;
const nav = document.getElementById("nav") as HTMLElement;
let session: SessionResponse | undefined;
let cleanup: () => void = () => undefined;

function route(): void {
  if (!session) return;
  cleanup();
  const hash = location.hash || "#/findings";
  const [path, query = ""] = hash.slice(1).split("?");
  for (const link of nav.querySelectorAll("a[data-view]")) {
    const current = path.startsWith((link as HTMLElement).dataset.view!);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const detail = /^\/finding\/(.+)$/.exec(path);
  if (detail) {
    document.title = "Finding · driftguard";
    cleanup = renderDetail(main, decodeURIComponent(detail[1]), session);
  } else if (path === "/groups") {
    document.title = "Groups · driftguard";
    cleanup = renderGroups(main, new URLSearchParams(query));
  } else if (path === "/overview") {
    document.title = "Overview · driftguard";
    cleanup = renderOverview(main);
  } else if (path === "/posture") {
    document.title = "Posture · driftguard";
    cleanup = renderPosture(main);
  } else {
    document.title = "Findings · driftguard";
    sessionStorage.setItem("driftguard.lastList", hash);
    cleanup = renderFindings(main, new URLSearchParams(query), session);
  }
}

function start(s: SessionResponse): void {
  session = s;
  const signOut = h("button", { type: "button", class: "link" }, "Sign out");
  signOut.addEventListener("click", () => {
    token.clear();
    location.reload();
  });
  nav.replaceChildren(
    h("a", { href: "#/findings", "data-view": "/finding" }, "Findings"),
    h("a", { href: "#/groups?by=sha256", "data-view": "/groups" }, "Groups"),
    h("a", { href: "#/overview", "data-view": "/overview" }, "Overview"),
    h("a", { href: "#/posture", "data-view": "/posture" }, "Posture"),
    h("span", { class: "who" }, `${s.name} (${s.role})`),
    ...(s.via === "token" ? [signOut] : []),
  );
  route();
}

window.addEventListener("hashchange", route);
// The skip link must not change the hash, which is the router's.
document.querySelector("a.skip")?.addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});
apiGet<SessionResponse>("/api/session").then(start, (error: Error) => {
  token.clear();
  const problem = error instanceof ApiError && error.status === 401 ? "" : error.message;
  renderLogin(main, start, problem);
});
