// A finding's string on the page: every character that is not shown as itself (controls,
// bidi overrides, invisible ones; visibleText.ts) appears as its escape inside a <mark>,
// so "/tmp/rtl-\u202etxt.exe" reads as itself, marked; a long value is cut with a button
// that shows the rest. Text nodes only (dom.ts): nothing becomes markup.
import { h } from "./dom.js";
import { hasHiddenChars, visibleSegments } from "./visibleText.js";

const ESCAPED_TITLE = "a control, bidi or invisible character, shown as its escape";

function segments(text: string): Node[] {
  return visibleSegments(text).map((s) =>
    s.escaped && s.text !== "\\\\"
      ? h("mark", { class: "esc", title: ESCAPED_TITLE }, s.text)
      : document.createTextNode(s.text),
  );
}

/** `text` safe to show; over `max` characters (0: never) cut, with a button that expands it. */
export function safeText(text: string, max = 0): HTMLElement {
  const span = h("span", { class: "safe", dir: "ltr" });
  if (hasHiddenChars(text)) span.dataset.hidden = "true"; // tests and styles find marked values
  const whole = segments(text);
  if (!max || text.length <= max) {
    span.append(...whole);
    return span;
  }
  const more = h(
    "button",
    { type: "button", class: "expand", "aria-label": `Show all ${text.length} characters` },
    `… +${text.length - max}`,
  );
  more.addEventListener("click", (event) => {
    event.stopPropagation(); // a row's click opens the finding; this only expands
    span.replaceChildren(...whole);
  });
  span.append(...segments(text.slice(0, max)), more);
  return span;
}
