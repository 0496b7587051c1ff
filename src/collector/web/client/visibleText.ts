// The page's copy of src/util/visibleText.ts's rules (the page loads only its own ES
// modules): which characters of a finding's strings are shown as escapes instead of
// themselves, split into segments so that the page can mark the escapes.
// test/unit/cli/visibleText.test.ts holds both copies to the same table.

export interface Segment {
  text: string;
  /** An escape standing for one character that is not shown as itself. */
  escaped: boolean;
}

const UNSAFE_CHARS = /[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\\]/g;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e", "\\": "\\\\" };

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** `text` as plain runs and escapes (a backslash is an escape too: "\\"). */
export function visibleSegments(text: string): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const match of text.matchAll(UNSAFE_CHARS)) {
    if (match.index > at) out.push({ text: text.slice(at, match.index), escaped: false });
    out.push({ text: escapeChar(match[0]), escaped: true });
    at = match.index + 1;
  }
  if (at < text.length) out.push({ text: text.slice(at), escaped: false });
  return out;
}

export function visibleText(text: string): string {
  return visibleSegments(text)
    .map((s) => s.text)
    .join("");
}

/** Whether `text` holds a character that is not shown as itself (a backslash does not count). */
export function hasHiddenChars(text: string): boolean {
  return /[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/.test(text);
}
