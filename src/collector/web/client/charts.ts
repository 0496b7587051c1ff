// The overview's pictures as inline SVG: stacked bars over time and horizontal bars for
// top-N lists. Each bar has a <title> (a tooltip, and what a screen reader reads), each
// chart a legend in text, so colour is never the only carrier of meaning.
import { h, svg } from "./dom.js";
import { visibleText } from "./visibleText.js";

export interface Series {
  key: string;
  label: string;
  color: string;
}

const W = 640; // top-N charts sit in half-width panels
const TW = 1000; // time charts span the page
const H = 220;
const PAD = { left: 40, right: 8, top: 10, bottom: 28 };

/** Stacked bars, one per bucket; value(i, key) is the height of `key` in bucket i. */
export function stackedBars(o: {
  label: string;
  buckets: { startMs: number; label: string }[];
  series: Series[];
  value: (bucket: number, key: string) => number;
  /** Where a bar leads (its findings), if anywhere. */
  href?: (bucket: number) => string;
}): HTMLElement {
  const totals = o.buckets.map((_, i) => o.series.reduce((sum, s) => sum + o.value(i, s.key), 0));
  const max = Math.max(1, ...totals);
  const plotW = TW - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / Math.max(1, o.buckets.length);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const chart = svg("svg", { viewBox: `0 0 ${TW} ${H}`, role: "img", "aria-label": o.label, class: "chart" });
  for (const tick of [0, Math.round(max / 2), max]) {
    chart.append(
      svg("line", { x1: PAD.left, x2: TW - PAD.right, y1: y(tick), y2: y(tick), class: "grid" }),
      svg("text", { x: PAD.left - 6, y: y(tick) + 4, class: "axis", "text-anchor": "end" }, tick),
    );
  }
  const labelEvery = Math.ceil(o.buckets.length / 8);
  o.buckets.forEach((bucket, i) => {
    const g = svg("g", { class: "bar", "data-start": bucket.startMs, "data-total": totals[i] });
    let top = y(0);
    const parts: string[] = [];
    for (const s of o.series) {
      const v = o.value(i, s.key);
      if (v <= 0) continue;
      const height = (v / max) * plotH;
      top -= height;
      g.append(
        svg("rect", {
          x: PAD.left + i * step + step * 0.12,
          y: top,
          width: step * 0.76,
          height: Math.max(height, 1),
          fill: s.color,
          "data-series": s.key,
          "data-value": v,
        }),
      );
      parts.push(`${v} ${s.label}`);
    }
    g.prepend(svg("title", null, `${bucket.label}: ${parts.length ? parts.join(", ") : "none"}`));
    chart.append(o.href && totals[i] > 0 ? svg("a", { href: o.href(i), class: "bar-link" }, g) : g);
    if (i % labelEvery === 0) {
      chart.append(
        svg(
          "text",
          { x: PAD.left + i * step + step / 2, y: H - 8, class: "axis", "text-anchor": "middle" },
          bucket.label,
        ),
      );
    }
  });
  return h("div", { class: "chart-box" }, chart, legend(o.series));
}

export function legend(series: Series[]): HTMLElement {
  return h(
    "ul",
    { class: "legend" },
    ...series.map((s) =>
      h(
        "li",
        null,
        svg(
          "svg",
          { width: 12, height: 12, "aria-hidden": "true" },
          svg("rect", { width: 12, height: 12, fill: s.color }),
        ),
        s.label,
      ),
    ),
  );
}

/** Horizontal bars, longest first, each labelled with its name and value. */
export function horizontalBars(o: {
  label: string;
  items: { label: string; value: number; href?: string }[];
  color: string;
}): HTMLElement {
  if (o.items.length === 0) return h("p", { class: "empty" }, "No findings in this range.");
  const max = Math.max(1, ...o.items.map((i) => i.value));
  const rowH = 26;
  const labelW = 260;
  const height = o.items.length * rowH;
  const chart = svg("svg", { viewBox: `0 0 ${W} ${height}`, role: "img", "aria-label": o.label, class: "chart hbars" });
  o.items.forEach((item, i) => {
    const width = ((W - labelW - 60) * item.value) / max;
    const yTop = i * rowH;
    const g = svg(
      "g",
      { class: "hbar", "data-label": item.label, "data-value": item.value },
      svg("title", null, `${item.label}: ${item.value}`),
      svg("text", { x: labelW - 8, y: yTop + 17, "text-anchor": "end", class: "label" }, truncate(item.label, 38)),
      svg("rect", { x: labelW, y: yTop + 5, width: Math.max(width, 2), height: rowH - 10, fill: o.color }),
      svg("text", { x: labelW + width + 6, y: yTop + 17, class: "value" }, item.value),
    );
    chart.append(item.href ? svg("a", { href: item.href, class: "bar-link" }, g) : g);
  });
  return h("div", { class: "chart-box" }, chart);
}

function truncate(text: string, max: number): string {
  const shown = visibleText(text); // an image name is the image author's: shown escaped
  return shown.length > max ? "…" + shown.slice(shown.length - max + 1) : shown;
}
