// The CLI's escaping (src/util/visibleText.ts) and the review page's copy of it
// (web/client/visibleText.ts, an ES module of its own) held to one table: every character a
// terminal or a renderer would act on or hide is shown as the same escape by both.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { hasHiddenChars, terminalJson, visibleText } from "../../../src/util/visibleText";

const TABLE: [string, string][] = [
  ["/tmp/\x1b[2J\x1b[H", "/tmp/\\e[2J\\e[H"],
  ["a\nb\rc\td", "a\\nb\\rc\\td"],
  ["\x07\x00\x7f", "\\x07\\x00\\x7f"],
  ["\x9b31m", "\\x9b31m"],
  ["/tmp/rtl-\u202etxt.exe", "/tmp/rtl-\\u202etxt.exe"],
  ["\u2066x\u2069\u200e\u200f\u061c", "\\u2066x\\u2069\\u200e\\u200f\\u061c"],
  ["zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"],
  ["line\u2028sep", "line\\u2028sep"],
  ["back\\slash", "back\\\\slash"],
  ["plain /usr/bin/ü ✓", "plain /usr/bin/ü ✓"],
];

describe("visibleText: the CLI and the page escape alike", () => {
  it("the CLI's table", () => {
    for (const [raw, shown] of TABLE) assert.equal(visibleText(raw), shown, JSON.stringify(raw));
    assert.equal(hasHiddenChars("back\\slash"), false);
    assert.equal(hasHiddenChars("\u202e"), true);
  });

  it("the page's copy gives the same, and marks exactly the escapes", async () => {
    // As the browser loads it: an ES module (dist/ has no package.json saying so; it imports nothing).
    const source = fs
      .readFileSync(path.resolve(__dirname, "../../../src/collector/web/client/visibleText.js"), "utf8")
      .replace(/^\/\/# sourceMappingURL=.*$/m, ""); // relative to a file, not to a data: URL
    const page = (await import(`data:text/javascript;base64,${Buffer.from(source).toString("base64")}`)) as {
      visibleText(text: string): string;
      visibleSegments(text: string): { text: string; escaped: boolean }[];
    };
    for (const [raw, shown] of TABLE) assert.equal(page.visibleText(raw), shown, JSON.stringify(raw));
    assert.deepEqual(page.visibleSegments("a\u202eb"), [
      { text: "a", escaped: false },
      { text: "\\u202e", escaped: true },
      { text: "b", escaped: false },
    ]);
  });

  it("terminal JSON decodes to the exact value and holds no raw hidden character", () => {
    const value = { path: "/tmp/\x1b]0;t\x07\u202e\x9b" };
    const text = terminalJson(value);
    assert.doesNotMatch(text, /[\x00-\x1f\x7f-\x9f\u202e]/);
    assert.deepEqual(JSON.parse(text), value);
  });
});
