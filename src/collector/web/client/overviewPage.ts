// The overview: findings over time per verdict and per reason, top images and namespaces,
// and the agents with their last heartbeat (silent ones stand out). Refreshed every 30 s.
import type { AgentView, OverviewResponse } from "../webTypes.js";
import { apiGet } from "./api.js";
import { horizontalBars, stackedBars, type Series } from "./charts.js";
import { h } from "./dom.js";
import { REASONS, ago } from "./format.js";
import { safeText } from "./safeText.js";

const VERDICTS: Series[] = [
  { key: "blocked", label: "blocked", color: "#b42318" },
  { key: "audited", label: "audited", color: "#c4850c" },
];
// Okabe–Ito (then wine): told apart by people with the common colour vision deficiencies.
const REASON_COLORS = [
  "#0072b2",
  "#d55e00",
  "#cc79a7",
  "#009e73",
  "#e69f00",
  "#56b4e9",
  "#6b6b6b",
  "#000000",
  "#882255",
];
// Posture findings are about containers, not execs: counted in a panel of their own.
const isPosture = (reason: string) => reason.startsWith("posture_");
const REASON_SERIES: Series[] = Object.entries(REASONS)
  .filter(([key]) => !isPosture(key))
  .map(([key, label], i) => ({ key, label, color: REASON_COLORS[i] }));
const RANGES: [string, string][] = [
  ["1h", "Last hour"],
  ["6h", "Last 6 hours"],
  ["24h", "Last 24 hours"],
  ["7d", "Last 7 days"],
  ["30d", "Last 30 days"],
];
let range = "24h";

export function renderOverview(main: HTMLElement): () => void {
  const body = h("div", { class: "overview-body" }, h("p", { class: "loading" }, "Loading…"));
  const select = h(
    "select",
    { id: "overview-range", onchange: () => ((range = select.value), void load()) },
    ...RANGES.map(([value, label]) => h("option", { value, selected: value === range }, label)),
  );
  main.replaceChildren(
    h(
      "div",
      { class: "page-head" },
      h("h1", null, "Overview"),
      h("label", { for: "overview-range" }, "Range "),
      select,
    ),
    body,
  );
  let stopped = false;
  const load = async (): Promise<void> => {
    try {
      const data = await apiGet<OverviewResponse>(`/api/overview?range=${encodeURIComponent(range)}`);
      if (!stopped) body.replaceChildren(...sections(data));
    } catch (error) {
      if (!stopped) body.replaceChildren(h("p", { class: "error", role: "alert" }, (error as Error).message));
    }
  };
  void load();
  const timer = setInterval(() => void load(), 30_000);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

function sections(d: OverviewResponse): HTMLElement[] {
  const n = Math.round((d.untilMs - d.sinceMs) / d.bucketMs);
  const buckets = Array.from({ length: n }, (_, i) => {
    const startMs = d.sinceMs + i * d.bucketMs;
    return { startMs, label: bucketLabel(startMs, d.bucketMs) };
  });
  // The time charts count execs; a container's posture has its own panel below them.
  const execs = d.buckets.filter((b) => !isPosture(b.reason));
  const count = (key: "verdict" | "reason") => (i: number, value: string) =>
    execs.filter((b) => b.startMs === buckets[i].startMs && b[key] === value).reduce((sum, b) => sum + b.findings, 0);
  const total = execs.reduce((sum, b) => sum + b.findings, 0);
  const posture = new Map<string, number>();
  for (const b of d.buckets.filter((b) => isPosture(b.reason))) {
    posture.set(b.reason, (posture.get(b.reason) ?? 0) + b.findings);
  }
  const postureTotal = [...posture.values()].reduce((sum, n) => sum + n, 0);
  return [
    figure(
      "by-verdict",
      `Findings over time by verdict (${total} in range)`,
      stackedBars({
        label: "Findings per time bucket, stacked by verdict",
        buckets,
        series: VERDICTS,
        value: count("verdict"),
        href: (i) => bucketHref(buckets[i].startMs, d.bucketMs),
      }),
    ),
    figure(
      "by-reason",
      "Findings over time by reason",
      stackedBars({
        label: "Findings per time bucket, stacked by reason",
        buckets,
        series: REASON_SERIES,
        value: count("reason"),
        href: (i) => bucketHref(buckets[i].startMs, d.bucketMs),
      }),
    ),
    figure(
      "posture",
      `Containers with a risky posture: ${postureTotal} posture findings first seen in range`,
      postureTotal === 0
        ? h("p", { class: "empty" }, "No container with a risky posture in this range.")
        : h(
            "div",
            null,
            horizontalBars({
              label: "Posture findings per property",
              color: "#882255",
              items: [...posture].sort((a, b) => b[1] - a[1]).map(([r, n]) => ({ label: REASONS[r] ?? r, value: n })),
            }),
            h("a", { href: "#/posture" }, "Which workloads, which rule, since when"),
          ),
    ),
    h(
      "div",
      { class: "two-col" },
      figure(
        "top-images",
        "Top images",
        horizontalBars({ label: "Images with the most findings", color: "#3b5ba5", items: top(d.topImages, "image") }),
      ),
      figure(
        "top-namespaces",
        "Top namespaces",
        horizontalBars({
          label: "Namespaces with the most findings",
          color: "#5b6b7b",
          items: top(d.topNamespaces, "namespace"),
        }),
      ),
    ),
    agents(d),
  ];
}

function figure(id: string, caption: string, content: HTMLElement): HTMLElement {
  return h("figure", { class: "panel", id }, h("figcaption", null, caption), content);
}

/** The findings of one bar: those seen in its time bucket. */
function bucketHref(startMs: number, bucketMs: number): string {
  return `#/findings?${new URLSearchParams({ since: String(startMs), until: String(startMs + bucketMs) })}`;
}

function top(items: { value: string; findings: number }[], filter: "image" | "namespace") {
  return items.map((i) => ({
    label: i.value || "(none)",
    value: i.findings,
    href: i.value ? `#/findings?${new URLSearchParams({ [filter]: i.value })}` : undefined,
  }));
}

function bucketLabel(ms: number, bucketMs: number): string {
  const iso = new Date(ms).toISOString();
  return bucketMs >= 86_400_000
    ? iso.slice(5, 10)
    : bucketMs >= 6 * 3600_000
      ? `${iso.slice(5, 10)} ${iso.slice(11, 13)}h`
      : iso.slice(11, 16);
}

function agents(d: OverviewResponse): HTMLElement {
  const silent = d.agents.filter((a) => a.silent).length;
  const degraded = d.agents.filter((a) => a.status === "degraded").length;
  const unwell = degraded > 0 ? `, ${degraded} degraded` : "";
  const caption = `Agents: ${d.agents.length - silent} live, ${silent} silent${unwell} (heartbeat every ${d.heartbeatIntervalMs / 1000}s)`;
  if (d.agents.length === 0) return figure("agents", caption, h("p", { class: "empty" }, "No agent has reported yet."));
  return figure("agents", caption, h("ul", { class: "agents" }, ...d.agents.map((a) => agentItem(a, d.nowMs))));
}

/** What each status looks like; anything else (a newer collector's status) reads as itself. */
const STATUS_MARK: Record<string, string> = { enforcing: "●", auditing: "●", silent: "⚠", degraded: "⚠" };

function agentItem(a: AgentView, nowMs: number): HTMLElement {
  const since = a.statusSinceMs > 0 && !a.silent ? ` since ${ago(a.statusSinceMs, nowMs)}` : "";
  return h(
    "li",
    { class: `agent ${a.silent ? "silent" : "live"} status-${a.status}`, "data-node": a.node },
    h("span", { class: "state" }, `${STATUS_MARK[a.status] ?? "?"} ${a.status}${since}`),
    h("strong", null, safeText(a.node)),
    h("span", null, safeText(a.cluster || "(no cluster name)")),
    h("span", null, `last heartbeat ${ago(a.lastSeenMs, nowMs)}`),
    h("span", null, safeText(`${a.mode}, ${a.containers} containers, v${a.version}`)),
    a.spoolPending > 0 || a.drops > 0 ? h("span", null, `${a.spoolPending} pending, ${a.drops} dropped`) : null,
    a.reasons.length > 0
      ? h(
          "ul",
          { class: "reasons" },
          ...a.reasons.map((r) =>
            h("li", { class: "reason", "data-code": r.code }, safeText(`${r.code}: ${r.detail}`, 300)),
          ),
        )
      : null,
  );
}
